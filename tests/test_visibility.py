"""The one rule for "is this suggestion open" (suggestions/decide/visibility.py)."""

from __future__ import annotations

from suggestions.decide.visibility import (
    NOT_NOW_SECONDS,
    RejectReason,
    hidden_by_decisions,
    next_reopening,
    visibility,
)
from suggestions.model import (
    Applicability,
    Decision,
    DecisionAction,
    Span,
    Suggestion,
    Validation,
    ValidationStatus,
)

NOW = 1_000_000.0


def sug(status: ValidationStatus = ValidationStatus.PENDING) -> Suggestion:
    return Suggestion("ab" * 20, "KZ108", "t", "r", "a.py", Span(1, 0, 1, 1), None, Applicability.SAFE, 0.9,
                      validation=Validation(status))


def decided(action: DecisionAction, reason: str = "", ago: float = 0.0) -> Decision:
    return Decision("ab" * 20, action, "user", NOW - ago, reason)


def test_open_without_a_decision_and_reopened_by_an_undo() -> None:
    assert visibility(sug(), None, NOW).open
    assert visibility(sug(), decided(DecisionAction.UNDONE), NOW).open


def test_not_now_hides_for_a_day_only() -> None:
    hidden = visibility(sug(), decided(DecisionAction.REJECT, RejectReason.NOT_NOW, ago=60), NOW)
    assert not hidden.open and hidden.reason == "rejected (not-now)" and hidden.by_decision
    assert visibility(sug(), decided(DecisionAction.REJECT, "not-now", ago=NOT_NOW_SECONDS + 1), NOW).open


def test_other_rejections_and_applied_ones_stay_hidden() -> None:
    for reason in (RejectReason.FALSE_POSITIVE, RejectReason.NEVER_RULE, "some words", ""):
        assert not visibility(sug(), decided(DecisionAction.REJECT, reason, ago=10 * NOT_NOW_SECONDS), NOW).open
    for action in (DecisionAction.ACCEPT, DecisionAction.AUTO_APPLIED):
        assert visibility(sug(), decided(action), NOW).reason == "already applied"


def test_failed_validation_hides_and_is_not_a_decision() -> None:
    v = visibility(sug(ValidationStatus.FAILED), None, NOW)
    assert v.reason == "failed validation" and not v.by_decision


def test_hidden_by_decisions_leaves_applied_ones_to_the_caller() -> None:
    latest = {
        "a": Decision("a", DecisionAction.REJECT, "user", NOW, "false-positive"),
        "b": Decision("b", DecisionAction.REJECT, "user", NOW - NOT_NOW_SECONDS - 1, "not-now"),
        "c": Decision("c", DecisionAction.ACCEPT, "user", NOW),
    }
    assert hidden_by_decisions(latest, NOW) == {"a", "c"}
    assert hidden_by_decisions(latest, NOW, applied=False) == {"a"}


def test_next_reopening_is_the_earliest_not_now_end() -> None:
    latest = {
        "a": Decision("a", DecisionAction.REJECT, "user", NOW - 100, "not-now"),
        "b": Decision("b", DecisionAction.REJECT, "user", NOW - 50, "not now"),
        "c": Decision("c", DecisionAction.REJECT, "user", NOW - 10 * NOT_NOW_SECONDS, "not-now"),  # over
        "d": Decision("d", DecisionAction.REJECT, "user", NOW, "false-positive"),
    }
    assert next_reopening(latest, NOW) == NOT_NOW_SECONDS - 100
    assert next_reopening({"d": latest["d"]}, NOW) is None
