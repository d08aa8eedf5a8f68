"""The high-score table."""

from typing import NamedTuple


class Entry(NamedTuple):
    player: str
    score: int


def leaderboard(entries: list[Entry], size: int = 10) -> list[Entry]:
    """Return the ``size`` best entries, highest score first.

    Equal scores keep their submission order: the earlier entry ranks higher.
    """
    ranked = sorted(entries, key=lambda entry: entry.score, reverse=True)
    return ranked[:size]
