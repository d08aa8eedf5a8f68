"""The one rule for "is this suggestion open": used by the ranker, the service, the CLI and the window.

Pure: a suggestion, its latest decision and the time in, a verdict out. A suggestion is
hidden when its latest decision rejects it (a "not now" rejection only for a day), when it
was applied (by the user or a rule) and is still there, or when its validation failed.
An undo reopens it. An unverified suggestion (its tests pass, but none of them runs the
changed code) stays open, flagged: nothing proved it wrong, but nothing checked it either,
and the user is the one who can judge it (no rule ever applies it). So does one that touches
the tests themselves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from suggestions.model import Decision, DecisionAction, Suggestion, ValidationStatus

__all__ = [
    "NOT_NOW_SECONDS",
    "REJECT_CHOICES",
    "UNVERIFIED",
    "RejectReason",
    "Visibility",
    "hidden_by_decisions",
    "hidden_reason",
    "next_reopening",
    "visibility",
]

NOT_NOW_SECONDS = 24 * 3600.0
FAILED = "failed validation"
APPLIED = "already applied"
UNVERIFIED = "unverified: no test runs this code"
TOUCHES_TESTS = "touches the tests"


class RejectReason:
    """The reasons a user can give for a rejection (the ``reject --reason`` kinds)."""

    NOT_NOW = "not-now"  # hide for a day, light penalty
    FALSE_POSITIVE = "false-positive"  # hide until the code changes, full penalty
    NEVER_FOLDER = "never-folder"  # per-file-ignores entry for the folder in the config
    NEVER_RULE = "never-rule"  # the rule goes into `ignore`

    @staticmethod
    def parse(text: str) -> str:
        """The reason kind named by ``text`` ("not now", "never in this folder"…), else ''."""
        t = re.sub(r"[^a-z]+", "-", text.lower()).strip("-")
        return _ALIASES.get(t, "")


_ALIASES = {
    "not-now": RejectReason.NOT_NOW,
    "later": RejectReason.NOT_NOW,
    "false-positive": RejectReason.FALSE_POSITIVE,
    "fp": RejectReason.FALSE_POSITIVE,
    "wrong": RejectReason.FALSE_POSITIVE,
    "never-folder": RejectReason.NEVER_FOLDER,
    "never-in-this-folder": RejectReason.NEVER_FOLDER,
    "folder": RejectReason.NEVER_FOLDER,
    "never-rule": RejectReason.NEVER_RULE,
    "never-this-rule": RejectReason.NEVER_RULE,
    "rule": RejectReason.NEVER_RULE,
}

#: (kind, the label a menu shows, what it does) -- declared once for every front end.
REJECT_CHOICES: tuple[tuple[str, str, str], ...] = (
    (RejectReason.NOT_NOW, "not now", "not now: hide it for a day; a light mark against the rule"),
    (RejectReason.FALSE_POSITIVE, "false positive", "false positive: hide it until its code changes"),
    (RejectReason.NEVER_FOLDER, "never in this folder",
     "never in this folder: add a per-file-ignores entry to the config"),
    (RejectReason.NEVER_RULE, "never this rule", "never this rule: add the rule to `ignore` in the config"),
)


@dataclass(frozen=True)
class Visibility:
    """Open, or hidden with the reason a list shows ("rejected (not-now)", "already applied"...).

    ``flag``: for an open one, what a list shows beside it (unverified, touches the tests).
    """

    reason: str = ""
    flag: str = ""

    @property
    def open(self) -> bool:
        return not self.reason

    @property
    def by_decision(self) -> bool:
        """Hidden because of what someone decided (not because of its validation)."""
        return bool(self.reason) and self.reason != FAILED


def _decided(decision: Decision | None, now: float) -> str:
    if decision is None:
        return ""
    if decision.action is DecisionAction.REJECT:
        if RejectReason.parse(decision.reason) == RejectReason.NOT_NOW and now - decision.at > NOT_NOW_SECONDS:
            return ""
        return "rejected" + (f" ({decision.reason})" if decision.reason else "")
    if decision.action in (DecisionAction.ACCEPT, DecisionAction.AUTO_APPLIED):
        return APPLIED
    return ""


def visibility(suggestion: Suggestion, decision: Decision | None, now: float) -> Visibility:
    """Whether ``suggestion`` is open, given its latest ``decision`` (None: never decided)."""
    why = _decided(decision, now)
    v = suggestion.validation
    if not why and v.status is ValidationStatus.FAILED:
        why = FAILED
    flag = ""
    if not why:
        if v.status is ValidationStatus.UNVERIFIED:
            flag = UNVERIFIED
        elif v.strength is not None and v.strength.touches_tests:
            flag = TOUCHES_TESTS
    return Visibility(why, flag)


def hidden_reason(suggestion: Suggestion, decision: Decision | None, now: float) -> str:
    """Why ``suggestion`` is hidden ('' when it is open)."""
    return visibility(suggestion, decision, now).reason


def hidden_by_decisions(latest: Mapping[str, Decision], now: float, *, applied: bool = True) -> set[str]:
    """Fingerprints that a decision hides at ``now`` (whatever their validation says).

    ``applied=False`` leaves out the applied ones: the service still reports how they move.
    """
    return {fp for fp, d in latest.items()
            if (why := _decided(d, now)) and (applied or why != APPLIED)}


def next_reopening(latest: Mapping[str, Decision], now: float) -> float | None:
    """Seconds until the next "not now" rejection expires (None: none is waiting)."""
    ends = [d.at + NOT_NOW_SECONDS for d in latest.values()
            if d.action is DecisionAction.REJECT and RejectReason.parse(d.reason) == RejectReason.NOT_NOW
            and d.at + NOT_NOW_SECONDS >= now]
    return max(0.0, min(ends) - now) if ends else None
