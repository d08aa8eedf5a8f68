"""Apply every safe fix until none is left: ``kaizen apply PATH --all-safe`` and the window's
"Apply all safe fixes".

One fix often makes another possible (``x == None`` becomes ``x is None``, then the whole
``if`` collapses) or two fixes touch the same lines and only one can go first. So the fixes
go in rounds: each round takes the open SAFE fixes in rank order, leaves out any that
overlaps one already taken in that round (the next round re-computes it against the new
text), applies them, and re-analyses the changed files; it stops when a round has nothing
to apply, or after ``rounds`` rounds (the result says the bound was hit).

What is applied: fixes declared SAFE (they keep the exact meaning), except those whose
validation failed (as ``kaizen apply`` refuses them without ``--force``); a SAFE fix needs no
validation to be applied by the user, as today. It is the user's own action, like an accept,
so the pause switch (which stops *automatic* changes) does not hold it back.

Every change of the run shares one audit batch made to undo together: one ``kaizen undo``
(or the window's Undo) takes the whole run back, and git records it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from suggestions.model import Applicability, Suggestion, ValidationStatus

if TYPE_CHECKING:
    from suggestions.apply.audit import AuditEntry
    from suggestions.apply.patcher import Refusal
    from suggestions.project.actions import Project

__all__ = ["MAX_ROUNDS", "AllSafe", "apply_all_safe", "safe_round"]

MAX_ROUNDS = 10


@dataclass
class AllSafe:
    """What a run of :func:`apply_all_safe` did."""

    applied: list[Suggestion] = field(default_factory=list)
    entries: list[AuditEntry] = field(default_factory=list)
    rounds: int = 0  # rounds that applied something
    bound_hit: bool = False  # stopped at the round limit with fixes still to apply
    batch: str = ""
    refused: list[Refusal] = field(default_factory=list)  # failed to write (not overlaps: those wait)
    warnings: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused


def _overlap(a: Suggestion, b: Suggestion) -> bool:
    assert a.patch is not None and b.patch is not None
    for x in a.patch.edits:
        for y in b.patch.edits:
            if x.start < y.end and y.start < x.end:
                return True
            if x.start == x.end == y.start == y.end:
                return True
    return False


def safe_round(candidates: Sequence[Suggestion], file: str | None = None) -> list[Suggestion]:
    """The SAFE fixes one round applies, in the given (rank) order: no two overlap."""
    taken: list[Suggestion] = []
    for s in candidates:
        if s.applicability is not Applicability.SAFE or s.patch is None or not s.patch.edits:
            continue
        if s.validation.status is ValidationStatus.FAILED or (file is not None and s.path != file):
            continue
        if any(t.path == s.path and _overlap(t, s) for t in taken):
            continue  # the next round re-computes it against the new text
        taken.append(s)
    return taken


def apply_all_safe(project: Project, file: str | None = None, rounds: int = MAX_ROUNDS,
                   reason: str = "", actor: str = "user") -> AllSafe:
    """Apply, re-analyse and apply again until no safe fix is left (see the module docstring)."""
    from suggestions.apply.patcher import apply_suggestions, new_batch

    out = AllSafe(batch=new_batch())
    refused_before: set[str] = set()
    for _ in range(max(1, rounds)):
        todo = [s for s in safe_round(project.listing(), file) if s.fingerprint not in refused_before]
        if not todo:
            return _finish(project, out)
        result = apply_suggestions(project.root, project.store, todo, actor=actor, reason=reason,
                                   config=project.config, batch=out.batch, git=False)
        out.warnings += result.warnings
        # A stale one is re-computed by the re-analysis and tried again; one that could not
        # be written is not tried again in this run.
        for r in result.refused:
            if not r.stale:
                out.refused.append(r)
                refused_before.add(next((s.fingerprint for s in todo if s.id == r.handle), r.handle))
        if result.applied:
            out.rounds += 1
            out.applied += result.applied
            out.entries += result.entries
            out.paths += [p for p in result.paths if p not in out.paths]
        project.reanalyse([*result.paths, *result.stale_paths])
        if not result.applied and not result.stale_paths:
            return _finish(project, out)
    out.bound_hit = bool(safe_round(project.listing(), file))
    return _finish(project, out)


def _finish(project: Project, out: AllSafe) -> AllSafe:
    from suggestions.apply.patcher import ApplyResult, record_git

    if out.entries:
        git = ApplyResult()
        record_git(project.root, project.config, out.entries, git)
        out.warnings += git.warnings
    return out
