"""Reading indented code blocks out of the help pages."""


def read_block(text: str, marker: str = "```") -> list[str]:
    """Return the lines of the first fenced block in ``text``, indentation kept.

    The fences themselves are not included; an unterminated block runs to
    the end of the text.  Without a block, the result is empty.
    """
    lines = []
    inside = False
    for raw in text.splitlines(keepends=True):
        if raw.strip().startswith(marker):
            if inside:
                break
            inside = True
            continue
        if not inside:
            continue
        lines.append(raw.rstrip("\n"))
    return lines
