"""What the actions return, and the errors they raise (see :mod:`suggestions.project.actions`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from suggestions.decide.visibility import RejectReason
from suggestions.model import Decision, Suggestion, Validation, ValidationStatus

if TYPE_CHECKING:
    from analysis.tracing import TraceResult
    from suggestions.apply.patcher import ApplyResult, UndoResult
    from suggestions.decide.policy import PauseState, Policy, Verdict
    from suggestions.project.events import ServiceEvent
    from suggestions.validate.diffparse import FileChange

__all__ = [
    "Accepted",
    "Acknowledged",
    "ActionError",
    "DiffValidated",
    "ListDelta",
    "PauseChange",
    "PolicyPreview",
    "Rejected",
    "Traced",
    "TrustNeeded",
    "Undone",
    "reject_kind",
]


class ActionError(Exception):
    """Something the user asked for that cannot be done: one sentence, nothing was changed."""


class TrustNeeded(ActionError):
    """The project's settings name an LLM endpoint the user has not trusted with their key."""

    def __init__(self, confirmation: Any) -> None:
        super().__init__(confirmation.message())
        self.confirmation = confirmation


@dataclass
class Accepted:
    result: ApplyResult
    event: ServiceEvent | None = None  # the re-analysis of the touched files

    @property
    def ok(self) -> bool:
        return self.result.ok


@dataclass
class Rejected:
    decisions: list[Decision]
    config_edit: Path | None = None  # the settings file a "never" reason wrote


@dataclass
class Undone:
    result: UndoResult
    event: ServiceEvent | None = None

    @property
    def ok(self) -> bool:
        return self.result.ok


@dataclass
class Traced:
    result: TraceResult
    trace_id: int
    runtime: list[Suggestion]


@dataclass
class PauseChange:
    before: PauseState
    after: PauseState


@dataclass
class PolicyPreview:
    policy: Policy
    rows: list[tuple[Suggestion, Verdict]]
    later: set[str]  # fingerprints that would apply once validated
    state: PauseState
    used: int  # automatic changes in the last hour


@dataclass
class ListDelta:
    """A change to the list of open suggestions (scored, not yet placed in rank order)."""

    added: list[Suggestion] = field(default_factory=list)
    updated: list[Suggestion] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def reject_kind(reason: str) -> str:
    """The reason kind for menu labels and CLI words alike ("not now" -> "not-now")."""
    return RejectReason.parse(reason) or reason


@dataclass
class Acknowledged:
    """An audit-log reset the user accepted (``seq`` None: there was nothing to accept)."""

    problem: str
    seq: int | None
    after: Any  # the verification from there on (a forged head record still fails it)


@dataclass
class DiffValidated:
    """A diff validated in sandboxes (`kaizen validate --diff`, "Validate my changes")."""

    validation: Validation
    files: tuple[FileChange, ...]
    source: str  # what was validated, in words ("the working tree's uncommitted changes")

    @property
    def ok(self) -> bool:
        """Proven or passed: what exit code 0 means."""
        return self.validation.status is ValidationStatus.PASSED
