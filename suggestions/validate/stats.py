"""Statistics of a performance claim: the speed-up of interleaved before/after timing pairs.

Pure: timings in, figures out. The speed-up of a pair is ``before / after``; the claim's
speed-up is the median of the pairs' ratios (robust to one disturbed pair), and its
uncertainty a percentile bootstrap interval of that median, with a fixed seed so the same
timings always give the same interval. A claim holds only when the interval's lower bound
is above the required speed-up: a median just over the bar, with noise around it, is not a
measured improvement.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["MIN_PAIRS", "Speedup", "speedup_interval"]

MIN_PAIRS = 5  # fewer pairs cannot give a 95% interval worth the name
RESAMPLES = 2000
FLOOR_S = 0.001  # timings below this (JUnit's millisecond resolution) count as this


@dataclass(frozen=True, slots=True)
class Speedup:
    """n pairs, the median ratio and its bootstrap interval."""

    pairs: int
    median: float
    low: float
    high: float
    confidence: float = 0.95

    def holds(self, required: float) -> bool:
        """Whether the claim of a speed-up above ``required`` is proven by these timings."""
        return self.pairs >= MIN_PAIRS and self.low > required

    def words(self) -> str:
        pct = round(self.confidence * 100)
        return (f"n={self.pairs} pairs, median speed-up x{self.median:.2f}, "
                f"{pct}% interval x{self.low:.2f}-x{self.high:.2f}")


def speedup_interval(befores: Sequence[float], afters: Sequence[float], *, resamples: int = RESAMPLES,
                     confidence: float = 0.95, seed: int = 0) -> Speedup:
    """The median of ``befores[i] / afters[i]`` and a percentile bootstrap interval of it.

    Raises:
        ValueError: no pairs, or the two sequences differ in length.
    """
    if len(befores) != len(afters) or not befores:
        raise ValueError("speed-up needs as many timings before as after, at least one pair")
    ratios = [max(b, FLOOR_S) / max(a, FLOOR_S) for b, a in zip(befores, afters, strict=True)]
    median = statistics.median(ratios)
    n = len(ratios)
    if n == 1:
        return Speedup(1, median, median, median, confidence)
    rng = random.Random(seed)
    medians = sorted(statistics.median(rng.choices(ratios, k=n)) for _ in range(max(resamples, 1)))
    tail = (1.0 - confidence) / 2.0
    low = _percentile(medians, tail)
    high = _percentile(medians, 1.0 - tail)
    return Speedup(n, median, low, high, confidence)


def _percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (``ordered`` sorted ascending)."""
    if len(ordered) == 1:
        return ordered[0]
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
