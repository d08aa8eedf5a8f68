"""Run-length encoding for the sprite format."""


def run_length_encode(data: str) -> list[tuple[str, int]]:
    """Encode ``data`` as (character, run length) pairs: "aaab" -> [("a", 3), ("b", 1)]."""
    runs = []
    i = 0
    while i < len(data) - 1:
        char = data[i]
        length = 1
        while i + length < len(data) and data[i + length] == char:
            length += 1
        runs.append((char, length))
        i += length
    return runs


def run_length_decode(runs: list[tuple[str, int]]) -> str:
    """Invert run_length_encode."""
    return "".join(char * length for char, length in runs)
