"""Auto-apply on a service: after each analysed batch, validate the candidates the policy
would allow and apply the eligible ones through the patcher, which logs each change to the
audit log with the rule's name.

The decisions themselves are :class:`~suggestions.decide.policy.Policy`'s (pure, on data);
this module is the orchestration around them: the validator, the patcher, timers, threads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from suggestions.apply.patcher import apply_suggestions
from suggestions.decide.policy import Policy, Verdict, is_paused
from suggestions.model import Suggestion, ValidationStatus
from suggestions.project.service import ProjectService
from suggestions.rank.ranking import Ranker
from suggestions.validate.validator import Validator

__all__ = ["AutoApplier", "AutoApplyReport", "autoapply_hook"]

log = logging.getLogger(__name__)



@dataclass
class AutoApplyReport:
    """What one auto-apply pass did."""

    applied: list[tuple[Suggestion, str]] = field(default_factory=list)  # (suggestion, rule)
    refused: list[tuple[Suggestion, str]] = field(default_factory=list)  # validated but not applied
    validated: int = 0
    error: str = ""


class AutoApplier:
    """Runs the policy after each batch of a :class:`ProjectService` (see :func:`autoapply_hook`).

    Args:
        service: the project's service.
        report: called with a sentence for each thing done (for ``watch`` to print).
        validator_factory: builds the validator (default: :class:`suggestions.validate.validator.Validator`).
    """

    PAUSED_POLL = 3.0  # seconds between looks at the pause switch while paused
    RATE_LIMIT_POLL = 60.0  # seconds between tries while the hourly limit is used up

    def __init__(
        self,
        service: ProjectService,
        report: Callable[[str], None] | None = None,
        validator_factory: Callable[[], Any] | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service = service
        self.report = report or (lambda message: log.info("%s", message))
        self._validator_factory = validator_factory
        self._validator: Any = None
        self.clock = clock
        self._lock = threading.Lock()
        self._again = False
        self._timer: threading.Timer | None = None
        self._closed = False
        self._last_error = ""
        self._unsubscribe: Callable[[], None] | None = None
        self.passes = 0

    def __call__(self, event: object = None) -> None:
        self.run()

    def _validator_obj(self) -> Any:
        if self._validator is None:
            if self._validator_factory is not None:
                self._validator = self._validator_factory()
            else:
                self._validator = Validator(self.service.root, self.service.config, self.service.store)
        return self._validator

    def run(self) -> AutoApplyReport:
        """One pass: pick candidates, validate them, apply the eligible ones."""
        if not self._lock.acquire(blocking=False):
            self._again = True  # a pass is running: it will look again when it ends
            return AutoApplyReport()
        report = AutoApplyReport()
        try:
            self._again = True
            while self._again and not self._closed:
                self._again = False
                more = self._run_once()
                report.applied += more.applied
                report.refused += more.refused
                report.validated += more.validated
                report.error = more.error or report.error
        except Exception as exc:  # the watcher must keep running; say what went wrong
            log.exception("auto-apply pass failed")
            report.error = f"{type(exc).__name__}: {exc}"
            self.report(f"auto-apply failed: {report.error}")
        finally:
            self._lock.release()
        return report

    def _run_once(self) -> AutoApplyReport:
        self.passes += 1
        out = AutoApplyReport()
        policy = self._policy(out)
        if policy is None:
            return out
        candidates = self._candidates(policy)
        if not candidates:
            return out
        fresh = [s for s in candidates if _validated_for(s)]
        todo = [s for s in candidates if not _validated_for(s)]
        if todo:
            self.report(f"validating {len(todo)} candidate(s) for auto-apply")
            todo = list(self._validator_obj().validate(todo))
            out.validated = len(todo)
        touched: set[str] = set()  # files this pass changed: their other fixes wait for re-analysis
        for s in fresh + todo:
            if self._closed:
                break
            if s.path not in touched and not self._apply_one(policy, s, s in todo, touched, out):
                break
        return out

    def _policy(self, out: AutoApplyReport) -> Policy | None:
        """The policy as the settings say now, or None when nothing may apply this pass."""
        policy = Policy.load(self.service.root, self.service.store, clock=self.clock)
        if policy.error:
            if policy.error != self._last_error:
                self.report(f"auto-apply stopped: {policy.error}")
            self._last_error = out.error = policy.error
            return None
        if self._last_error:
            self.report("auto-apply resumed: the settings are readable again")
            self._last_error = ""
        if not policy.rules:
            return None
        if is_paused(self.service.store):
            # `kaizen resume` may come from another process: look again in a while.
            self._schedule(self.PAUSED_POLL)
            return None
        return policy

    def _candidates(self, policy: Policy) -> list[Suggestion]:
        """The suggestions the rules would allow once validated, the best first."""
        verdicts = [(s, policy.evaluate(s, assume_validated=True)) for s in self.service.suggestions()]
        candidates = [s for s, v in verdicts if v.eligible]
        if any(_only_quiet(v) for _, v in verdicts):
            self._schedule(policy.quiet_seconds)
        if not candidates:
            return []
        return Ranker(self.service.store).rank(candidates)  # the best first, should the rate limit bite

    def _apply_one(
        self, policy: Policy, s: Suggestion, validated_now: bool, touched: set[str], out: AutoApplyReport
    ) -> bool:
        """Apply ``s`` if the policy allows it now; False when the pass must stop (rate limit)."""
        policy.forget_files()
        verdict = policy.evaluate(s)
        if not verdict.eligible:
            if validated_now:
                out.refused.append((s, verdict.because))
                self.report(f"not applied {s.id} {s.code} {s.path}:{s.line}: {verdict.because}")
            return True
        slot = policy.reserve(s, verdict.rule_name)
        if slot is None:
            self.report(f"rate limit reached; {s.id} waits")
            self._schedule(self.RATE_LIMIT_POLL)
            return False
        result = apply_suggestions(
            self.service.root, self.service.store, [s], actor=verdict.rule_name, rule=verdict.rule_name,
            reason=f"auto-applied: {verdict.because}", config=policy.config,
        )
        if result.applied:
            touched.update(result.paths)
            out.applied.append((s, verdict.rule_name))
            self.report(f"applied {s.id} {s.code} {s.path}:{s.line} by rule '{verdict.rule_name}': {s.title}")
        else:
            policy.release(slot)
            why = "; ".join(r.reason for r in result.refused) or "refused"
            out.refused.append((s, why))
            self.report(f"not applied {s.id} {s.code} {s.path}:{s.line}: {why}")
        return True

    def _schedule(self, delay: float) -> None:
        """Look again in ``delay`` seconds (when no file event may come to trigger a pass)."""
        pending = self._timer
        if self._closed or (pending is not None and pending.is_alive() and pending is not threading.current_thread()):
            return
        timer = threading.Timer(max(delay, 0.1) + 0.25, self.run)
        timer.daemon = True
        self._timer = timer
        timer.start()

    def close(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        if self._unsubscribe is not None:
            self._unsubscribe()
        try:
            self.service.after_batch.remove(self)
        except ValueError:
            pass
        if self._validator is not None and hasattr(self._validator, "close"):
            self._validator.close()


def _validated_for(s: Suggestion) -> bool:
    v = s.validation
    return (
        v.status is not ValidationStatus.PENDING
        and s.patch is not None
        and v.base_hash == s.patch.base_hash
    )


def _only_quiet(v: Verdict) -> bool:
    return bool(v.rule_name) and bool(v.reasons) and all("quiet period" in r for r in v.reasons)


def autoapply_hook(
    service: ProjectService,
    report: Callable[[str], None] | None = None,
    validator_factory: Callable[[], Any] | None = None,
) -> AutoApplier:
    """Register auto-apply on ``service.after_batch``; returns the applier (``.close()`` removes it)."""
    if report is None:
        status = getattr(service, "_status", None)  # the service's own status events, if any
        if callable(status):
            def report(message: str) -> None:
                status(f"auto-apply: {message}")
    applier = AutoApplier(service, report, validator_factory)
    service.after_batch.append(applier)

    def on_event(event: Any) -> None:
        # Suggestions that are eligible when the project opens need no file event to apply:
        # look once, off the thread that opened the project.
        if getattr(getattr(event, "kind", None), "value", "") == "opened" and not applier._closed:
            threading.Thread(target=applier.run, name="kaizen-autoapply", daemon=True).start()

    applier._unsubscribe = service.subscribe(on_event)
    return applier
