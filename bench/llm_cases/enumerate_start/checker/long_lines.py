"""A tiny style check: lines longer than the limit."""


def long_lines(source: str, limit: int = 79) -> list[tuple[int, int]]:
    """Return (line number, length) for each line of ``source`` longer than ``limit``.

    Line numbers start at 1, as editors show them; newlines are not counted.
    """
    found = []
    for number, line in enumerate(source.splitlines()):
        if len(line) > limit:
            found.append((number, len(line)))
    return found
