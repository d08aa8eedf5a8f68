"""Word splitting for the search index."""

PUNCTUATION = ".,;:!?\"'()"


def tokenize(text: str, sep: str | None = " ", lowercase: bool = True) -> list[str]:
    """Split ``text`` into words for indexing.

    By default words are separated by any run of whitespace (spaces, tabs,
    newlines), as ``str.split()`` does; pass ``sep`` to split on one exact
    separator instead.  Surrounding punctuation is dropped.
    """
    if lowercase:
        text = text.lower()
    words = text.split(sep)
    return [word.strip(PUNCTUATION) for word in words if word.strip(PUNCTUATION)]
