"""Building the list of notes attached to an invoice."""


def add_note(text: str, notes: list[str] | None = None) -> list[str]:
    """Append ``text`` (trimmed) to ``notes`` and return the list.

    Without ``notes``, a new list is started.
    """
    if notes is None:
        notes = []
    text = text.strip()
    if text:
        notes.append(text)
    return notes
