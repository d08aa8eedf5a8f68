"""Who did best in a class."""


def top_student(scores: dict[str, float]) -> str | None:
    """Return the name with the highest score; on a tie, the first one listed.

    Returns None for an empty class.
    """
    best_name = None
    best_score = float("-inf")
    for name, score in scores.items():
        if score > best_score:
            best_name, best_score = name, best_score
    return best_name
