"""Shortening of labels for fixed-width table columns."""

ELLIPSIS = "..."


def truncate(text: str, width: int) -> str:
    """Fit ``text`` into ``width`` characters, ending with an ellipsis if it was cut.

    The result is never longer than ``width``; text that already fits is
    returned unchanged.
    """
    if width < len(ELLIPSIS):
        raise ValueError(f"width must be at least {len(ELLIPSIS)}")
    if len(text) <= width:
        return text
    return text[: width - len(ELLIPSIS) + 1] + ELLIPSIS
