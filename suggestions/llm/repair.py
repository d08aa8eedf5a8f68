"""The repair loop: ask, judge, and send the model its own failure, up to ``[llm] attempts``.

Each target gets ``[llm] candidates`` chains (the first at a low temperature, the others
higher). Every round asks each live chain once (in parallel, within ``[llm] concurrency``),
validates that round's candidates together (the validator runs them in parallel), and sends
every chain whose candidate failed the specific failure — the parse error, why the edit did
not apply, the failing tests and assertion, the replay mismatch — as the next message of the
same conversation. A chain ends when its candidate passes, when a request fails, or when its
attempts are spent.

Every attempt is recorded (prompt hash, reply hash, outcome, reason): on the candidate
(``evidence["llm_attempts"]``), in the run's funnel and in the store (``llm_attempts``).
Per target the best validated candidate is offered and the others are kept, as
``evidence["llm_alternatives"]``, on it; when none passed, each chain's last candidate is
kept, failed, as before. Nothing is written to the project.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from suggestions.llm import funnel as F
from suggestions.llm.funnel import Attempt, Funnel, FunnelStore, text_hash
from suggestions.llm.prompts import Prompt, estimate_tokens
from suggestions.llm.provider import Completion
from suggestions.llm.structured import FORMAT_HINT
from suggestions.model import Grade, Suggestion, ValidationStatus

if TYPE_CHECKING:
    from suggestions.llm.engine import LLMEngine, LLMProgress, _Validator

__all__ = ["feedback", "outcome_of", "run_rounds"]

LOG_TAIL = 1200  # characters of a failed validation's log sent back
ECHO = 2000  # characters of the previous reply repeated in the conversation


@dataclass
class _Chain:
    prompt: Prompt  # the current conversation (the first prompt, then with each failure)
    candidate: int  # 0-based
    attempt: int = 0
    current: Suggestion | None = None
    completion: Completion | None = None
    why: str = ""  # why the last reply made no candidate
    made: list[Suggestion] = field(default_factory=list)
    history: list[Attempt] = field(default_factory=list)
    done: bool = False
    constrained: bool = False  # a reply came under the JSON schema

    @property
    def key(self) -> str:
        return self.prompt.target.key


def outcome_of(s: Suggestion | None, why: str, completion: Completion | None, validated: bool) -> str:
    """The attempt's outcome (see :mod:`suggestions.llm.funnel`)."""
    if s is None:
        if completion is None:
            return F.NO_REPLY
        return F.APPLY if _is_apply_failure(why) else F.PARSE
    if not validated:
        return F.UNCHECKED
    v = s.validation
    if v.status is ValidationStatus.PASSED:
        return F.PROVEN if v.strength is not None and v.strength.grade is Grade.PROVEN else F.PASSED
    if v.status in (ValidationStatus.FAILED, ValidationStatus.ERROR, ValidationStatus.UNVERIFIED):
        return F.FAILED
    return F.UNCHECKED  # pending or skipped: not reached (cancelled)


_APPLY_WORDS = ("was not found", "outside the project", "not a file this target", "never list", "secrets file",
                "does not exist", "overlap", "unchanged", "span", "redaction placeholder", "control character",
                "cannot read", "empty SEARCH")


def _is_apply_failure(why: str) -> bool:
    """An edit was there but could not be placed (as opposed to no edit at all)."""
    return any(w in why for w in _APPLY_WORDS)


_ALREADY = "already failing without the patch (not blamed on it):"


def _still_failing(s: Suggestion, test: object) -> Suggestion:
    """A fix for a failing test whose test still fails has not fixed it, whatever else passed.

    The validator does not blame a patch for tests that failed before it; for a candidate
    asked to make one of them pass, that test still failing is the failure.
    """
    v = s.validation
    if not isinstance(test, str) or not test or v.status is not ValidationStatus.PASSED:
        return s
    line = next((ln for ln in v.log.splitlines() if ln.startswith(_ALREADY)), "")
    if test not in line.split(":", 1)[-1].replace(",", " ").split():
        return s
    log = f"the test this change was asked to fix still fails: {test}\n{v.log}"
    return s.replace(validation=replace(v, status=ValidationStatus.FAILED, failed_tests=(test, *v.failed_tests),
                                        log=log[:20000]))


def _log_excerpt(log: str) -> str:
    """The part of a test log that says what failed: from the failures section, else the end."""
    at = log.find("= FAILURES =")
    if at >= 0:
        start = log.rfind("\n", 0, at) + 1
        return log[start : start + LOG_TAIL]
    return log[-LOG_TAIL:]


def feedback(outcome: str, s: Suggestion | None, why: str, name: str) -> str:
    """What to tell the model about its last reply."""
    again = (f"{FORMAT_HINT}\n\"code\" must start with `def {name}(`." if name else FORMAT_HINT)
    if outcome == F.PARSE:
        return f"Your reply could not be used: {why}.\n{again}"
    if outcome == F.APPLY:
        return f"Your edit could not be applied: {why}.\n{again}"
    assert s is not None
    v = s.validation
    lines = [f"Your change was tested and it is not right (validation {v.status.value})."]
    if v.failed_tests:
        lines.append("Failing tests: " + ", ".join(v.failed_tests[:5]))
    strength = v.strength
    if strength is not None and strength.mismatch:
        lines.append(f"Replaying recorded calls on the old and the new code: {strength.mismatch}")
    if v.status is ValidationStatus.UNVERIFIED:
        lines.append("No test ran the lines you changed: change the code the failing test runs.")
    log = v.log.strip()
    if log:
        lines.append("The test output:\n" + _log_excerpt(log))
    lines.append(again)
    return "\n".join(lines)


def _next_prompt(chain: _Chain, outcome: str, budget: int) -> Prompt:
    """The conversation so far, the last reply and what was wrong with it, within the budget."""
    p = chain.prompt
    text = feedback(outcome, chain.current, chain.why, p.target.name)
    reply = chain.completion.text[:ECHO] if chain.completion is not None else ""
    base = list(p.messages[:2])  # the first prompt: earlier repairs are replaced, not piled up
    messages = [*base, {"role": "assistant", "content": reply}, {"role": "user", "content": p.redactor.redact(text)}]
    tokens = sum(estimate_tokens(m["content"]) for m in messages)
    while tokens > budget and len(messages[-1]["content"]) > 400:
        cut = messages[-1]["content"]
        messages[-1] = {"role": "user", "content": cut[: len(cut) // 2] + "\n…\n" + FORMAT_HINT}
        tokens = sum(estimate_tokens(m["content"]) for m in messages)
    return replace(p, messages=messages, tokens=tokens)


def _ask_all(engine: LLMEngine, live: list[_Chain], progress: Callable[[LLMProgress], None] | None,
             cancel: threading.Event | None, stop: threading.Event) -> None:
    from suggestions.llm.engine import _Stop

    def one(chain: _Chain) -> None:
        chain.current, chain.completion, chain.why = None, None, "not asked"
        if stop.is_set() or (cancel is not None and cancel.is_set()):
            chain.done = True
            return
        chain.attempt += 1
        try:
            chain.current, chain.completion, chain.why = engine._candidate(
                chain.prompt, chain.candidate, progress, cancel, chain.attempt)
            chain.constrained |= bool(chain.completion is not None and chain.completion.constrained)
        except _Stop as exc:
            stop.set()
            engine._note(str(exc))
            chain.why = str(exc)

    workers = max(1, min(int(engine.settings["concurrency"]), len(live)))
    if workers == 1:
        for c in live:
            one(c)
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kaizen-llm") as pool:
            list(pool.map(one, live))


def _record(chain: _Chain, outcome: str) -> Attempt:
    c, s = chain.completion, chain.current
    a = Attempt(
        target=chain.key, candidate=chain.candidate + 1, attempt=chain.attempt,
        prompt_hash=text_hash(chain.prompt.messages), reply_hash=text_hash(c.text) if c is not None else "",
        outcome=outcome, reason=_reason(outcome, s, chain.why),
        prompt_tokens=c.prompt_tokens if c is not None and not c.cached else 0,
        completion_tokens=c.completion_tokens if c is not None and not c.cached else 0,
        seconds=c.seconds if c is not None and not c.cached else 0.0,
        fingerprint=s.fingerprint if s is not None else "", cached=bool(c is not None and c.cached))
    chain.history.append(a)
    return a


def _reason(outcome: str, s: Suggestion | None, why: str) -> str:
    if s is None:
        return why
    v = s.validation
    if outcome == F.FAILED:
        failed = ", ".join(v.failed_tests[:3])
        mismatch = v.strength.mismatch if v.strength is not None else ""
        return "; ".join(x for x in (f"{v.status.value}", failed, mismatch) if x)
    return ""


def run_rounds(engine: LLMEngine, prompts: Sequence[Prompt], progress: Callable[[LLMProgress], None] | None,
               cancel: threading.Event | None, validator: _Validator | None, *, targets: int,
               started: float) -> list[Suggestion]:
    """Ask, validate and repair every prompt's chains; store and return what is offered."""
    settings = engine.settings
    n, rounds = int(settings["candidates"]), max(1, int(settings.get("attempts", 1)))
    chains = [_Chain(p, i) for p in prompts for i in range(n)]
    stop = threading.Event()
    attempts: list[Attempt] = []
    live = list(chains)
    for round_no in range(1, rounds + 1):
        if not live:
            break
        _ask_all(engine, live, progress, cancel, stop)
        live = _judge(live, validator, cancel, attempts, last=round_no == rounds or stop.is_set(),
                      budget=int(settings["context-tokens"]))
    out = _offered(chains, validator is not None)
    funnel = Funnel(targets=targets, attempts=rounds, candidates=n, at=time.time(),
                    model=engine.endpoint.model if engine.endpoint else "",
                    constrained=any(c.constrained for c in chains))
    funnel.count(attempts)
    funnel.offered = [s.fingerprint for s in out]
    funnel.seconds = time.monotonic() - started
    engine.funnel = funnel
    _store(engine, funnel, attempts, chains, out)
    return out


def _judge(live: list[_Chain], validator: _Validator | None, cancel: threading.Event | None,
           attempts: list[Attempt], *, last: bool, budget: int) -> list[_Chain]:
    """Validate this round's candidates, record each attempt; the chains to ask again."""
    made = [c for c in live if c.current is not None]
    cancelled = cancel is not None and cancel.is_set()
    if validator is not None and made and not cancelled:
        checked = validator.validate([c.current for c in made if c.current is not None], cancel=cancel)
        for c, s in zip(made, checked, strict=True):
            c.current = _still_failing(s, c.prompt.target.evidence.get("test"))
    nxt = []
    for c in live:
        if c.done and c.completion is None and c.current is None:
            continue  # not asked (stopped or cancelled)
        outcome = outcome_of(c.current, c.why, c.completion, validator is not None and not cancelled)
        attempts.append(_record(c, outcome))
        if c.current is not None:
            c.made.append(c.current)
        if outcome in (F.PARSE, F.APPLY, F.FAILED) and not last and not (cancel is not None and cancel.is_set()):
            c.prompt = _next_prompt(c, outcome, budget)
            nxt.append(c)
    return nxt


def _store(engine: LLMEngine, funnel: Funnel, attempts: list[Attempt], chains: list[_Chain],
           out: list[Suggestion]) -> None:
    """The funnel and its attempts; the offered candidates, and none of the others."""
    try:
        FunnelStore(engine.store).record(funnel, attempts, base_url=engine.endpoint.base_url if engine.endpoint else "")
    except Exception as exc:  # the funnel is a record, never a reason to lose the candidates
        engine._note(f"the LLM run's funnel was not stored: {exc}")
    made_fps = {s.fingerprint for c in chains for s in c.made}
    dropped = sorted(made_fps - {s.fingerprint for s in out})
    if dropped:  # failed attempts and the losers of each target are not offered
        engine.store.executemany("DELETE FROM suggestions WHERE fingerprint=?", [(f,) for f in dropped])
    if out:
        engine.store.put_suggestions(out)


def _last_of(chain: _Chain) -> Suggestion | None:
    """The chain's passing candidate, else its latest one."""
    for s in reversed(chain.made):
        if s.validation.status is ValidationStatus.PASSED:
            return s
    return chain.made[-1] if chain.made else None


def _with_history(s: Suggestion, chain: _Chain) -> Suggestion:
    history = [a.to_dict() for a in chain.history]
    tries = "; ".join(f"attempt {a.attempt}: {a.outcome}" for a in chain.history)
    # Repairs are said in the rationale too, which the audit entry of an applied change keeps.
    note = f"\n\n(LLM candidate {chain.candidate + 1}, {len(history)} attempts: {tries})" if len(history) > 1 else ""
    return s.replace(evidence={**s.evidence, "llm_attempts": history}, rationale=s.rationale + note)


def _alternative(s: Suggestion) -> dict[str, Any]:
    llm = s.evidence.get("llm", {})
    strength = s.validation.strength
    return {"fingerprint": s.fingerprint, "candidate": llm.get("candidate"), "attempt": llm.get("attempt"),
            "status": s.validation.status.value,
            "grade": strength.grade.value if strength is not None and strength.grade is not None else "",
            "failed_tests": list(s.validation.failed_tests[:5]), "diff": s.diff[:3000]}


def _offered(chains: list[_Chain], validated: bool) -> list[Suggestion]:
    from suggestions.llm.engine import best_validated

    by_target: dict[str, list[Suggestion]] = {}
    for c in chains:
        s = _last_of(c)
        if s is not None:
            group = by_target.setdefault(c.key, [])
            if all(x.fingerprint != s.fingerprint for x in group):
                group.append(_with_history(s, c))
    out: list[Suggestion] = []
    for group in by_target.values():
        best = best_validated(group) if validated else None
        if best is None:
            out += group
            continue
        others = [_alternative(x) for x in group if x.fingerprint != best.fingerprint]
        out.append(best.replace(evidence={**best.evidence, "llm_alternatives": others}) if others else best)
    return out
