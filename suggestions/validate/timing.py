"""Timing a performance claim: interleaved before/after runs and the speed-up's interval.

Each pair runs the unchanged and the patched code back to back, in alternating order (so a
machine that slows down or speeds up during the measurement hits both sides alike), after a
warm-up run of each. The figure is the tests' own time when pytest reports it for every run
(JUnit XML: no interpreter start-up or collection, which are the same on both sides and only
dilute the ratio), else the command's wall-clock time. :mod:`suggestions.validate.stats`
turns the pairs into a median speed-up and a bootstrap 95% interval; the claim holds only
when the interval's lower bound is above ``validation.min-speedup``.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from suggestions.validate.runner import RunResult, junit_seconds
from suggestions.validate.stats import MIN_PAIRS, Speedup, speedup_interval

__all__ = ["Timed", "time_claim"]

# (patched?, junit report path or None) -> the run
TimedRun = Callable[[bool, Path | None], RunResult]


@dataclass(frozen=True)
class Timed:
    """What the timing found: the figures, or why it could not be measured."""

    speedup: Speedup | None
    before_s: float = 0.0  # best (lowest) time of the unchanged code
    after_s: float = 0.0
    what: str = ""  # what was timed, in words
    error: str = ""  # a run failed while being timed (its output)


def time_claim(run: TimedRun, pairs: int, *, benchmark: bool, pytest_runs: bool, work: Path,
               tests: str = "the affected tests") -> Timed:
    """Time ``max(MIN_PAIRS, pairs)`` interleaved pairs with ``run`` (see the module docstring);
    ``tests`` says which tests it runs, in words."""
    n = max(MIN_PAIRS, pairs)
    what = "the benchmark command" if benchmark else tests
    junit = Path(tempfile.mkdtemp(prefix="timing-", dir=work)) / "report.xml" if pytest_runs else None

    def timed(patched: bool) -> tuple[float, float | None]:
        if junit is not None:
            junit.unlink(missing_ok=True)
        r = run(patched, junit)
        if r.faked or r.unreadable:
            raise _RunFailed(f"{r.faked or r.unreadable}\n{r.output[-2000:]}")
        if not r.ok and not (r.returncode == 0 and benchmark):
            raise _RunFailed(r.output[-2000:])
        return r.duration, junit_seconds(junit) if junit is not None else None

    befores: list[tuple[float, float | None]] = []
    afters: list[tuple[float, float | None]] = []
    try:
        with _cleanup(junit):
            timed(False)  # warm-up: imports, bytecode, disk cache
            timed(True)
            for i in range(n):
                order = (False, True) if i % 2 == 0 else (True, False)
                for patched in order:
                    (afters if patched else befores).append(timed(patched))
    except _RunFailed as exc:
        return Timed(None, what=what, error=str(exc))
    if all(t is not None for _w, t in befores + afters):
        what += " (time in the tests, as pytest reports it)"
        b = [t or 0.0 for _w, t in befores]
        a = [t or 0.0 for _w, t in afters]
    else:
        what += " (wall-clock time of the command)"
        b = [w for w, _t in befores]
        a = [w for w, _t in afters]
    return Timed(speedup_interval(b, a), before_s=min(b), after_s=min(a), what=what)


class _RunFailed(Exception):
    pass


@contextlib.contextmanager
def _cleanup(junit: Path | None) -> Iterator[None]:
    try:
        yield
    finally:
        if junit is not None:
            shutil.rmtree(junit.parent, ignore_errors=True)
