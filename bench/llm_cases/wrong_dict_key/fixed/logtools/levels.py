"""Per-level counts for the log viewer's status bar."""


def count_levels(lines: list[str]) -> dict[str, int]:
    """Count the error, warning and info lines of a log.

    Lines look like ``2024-05-01 12:00:00 WARNING disk almost full``; lines
    with another level (DEBUG, ...) or too short to have one are ignored.
    """
    counts = {"errors": 0, "warnings": 0, "info": 0}
    for line in lines:
        fields = line.split(maxsplit=3)
        if len(fields) < 3:
            continue
        level = fields[2]
        if level == "ERROR":
            counts["errors"] += 1
        elif level == "WARNING":
            counts["warnings"] += 1
        elif level == "INFO":
            counts["info"] += 1
    return counts
