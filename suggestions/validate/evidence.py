"""What a validation proved: changed-line coverage of its run, and the grade it earns.

The grade (:class:`suggestions.model.Grade`):

* ``failed``: the tests broke, a replayed call behaved differently (and no test that fails
  on the unchanged code asks for the new behaviour: a fix may change what it fixes), or a
  performance claim was not proven;
* ``unverified``: the tests pass, but none of them executed a changed line;
* ``proven``: every changed line executed, and either the covering tests killed at least
  ``validation.mutation-threshold`` of the mutants of the changed code (one mutant at
  least), or at least ``validation.replay-min`` recorded real calls replayed on the old and
  the new code with no difference; and the change does not touch the tests;
* ``passed``: anything weaker that passed.

Pure functions; the runs that produce the figures are the validator's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from suggestions.model import Grade, Strength, ValidationStatus

__all__ = ["LineCoverage", "grade", "line_coverage"]

MAX_LISTED = 50  # tests and lines named on a validation


def grade(status: ValidationStatus, s: Strength, *, threshold: float, replay_min: int,
          lines_known: bool) -> Grade | None:
    """The grade of a finished validation (None: it could not judge: skipped, error)."""
    if status is ValidationStatus.FAILED:
        return Grade.FAILED
    if status is ValidationStatus.UNVERIFIED:
        return Grade.UNVERIFIED
    if status is not ValidationStatus.PASSED:
        return None
    return Grade.PROVEN if proven(s, threshold=threshold, replay_min=replay_min, lines_known=lines_known) \
        else Grade.PASSED


def all_lines_ran(s: Strength, lines_known: bool) -> bool:
    return lines_known and bool(s.changed_lines) and len(s.changed_lines_run) == len(s.changed_lines)


def proven(s: Strength, *, threshold: float, replay_min: int, lines_known: bool) -> bool:
    """Whether the evidence in ``s`` makes a passing change proven (see the module docstring)."""
    if s.touches_tests or not all_lines_ran(s, lines_known):
        return False
    killed_enough = s.mutants >= 1 and s.mutants_killed / s.mutants >= threshold
    replayed_enough = s.replayed >= replay_min and s.mismatches == 0
    return killed_enough or replayed_enough


@dataclass
class LineCoverage:
    """Which changed lines the validation's own run executed, and by which tests."""

    changed: list[int] = field(default_factory=list)  # file after file, in change order
    ran: list[int] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)  # "path:line"
    covering: list[str] = field(default_factory=list)  # tests that executed a changed line
    at_import: list[str] = field(default_factory=list)  # module-level files whose changed lines ran on import

    @property
    def any_test(self) -> bool:
        return bool(self.covering) or bool(self.at_import)


def line_coverage(watched: Mapping[str, Sequence[int]], hits: Mapping[str, Mapping[str, set[int]]],
                  module_level: Sequence[str] = ()) -> LineCoverage:
    """From the changed lines per file and what the run's plugin recorded per test.

    ``hits``: test id ("" outside any test) -> file -> lines run. A file in
    ``module_level`` (its change is outside every function) counts as covered when its
    changed lines ran on import, since every test of the run imported it.
    """
    out = LineCoverage()
    covering: set[str] = set()
    for rel, lines in watched.items():
        ran: set[int] = set()
        for test, files in hits.items():
            got = set(files.get(rel, ())) & set(lines)
            if got:
                ran |= got
                if test:
                    covering.add(test)
        imported = set(hits.get("", {}).get(rel, ())) & set(lines)
        if rel in module_level and imported:
            out.at_import.append(rel)
        out.changed += sorted(lines)
        out.ran += sorted(ran)
        out.not_run += [f"{rel}:{n}" for n in sorted(set(lines) - ran)]
    out.covering = sorted(covering)
    return out
