"""Tag clean-up for the contact editor."""


def unique_tags(raw: str) -> list[str]:
    """Return the distinct tags of a comma-separated string: trimmed, lowercased, sorted."""
    tags = {part.strip().lower() for part in raw.split(",") if part.strip()}
    return list(tags).sort()


def format_tags(tags: list[str]) -> str:
    """Render tags for display: ["a", "b"] -> "#a #b"."""
    return " ".join(f"#{tag}" for tag in tags)
