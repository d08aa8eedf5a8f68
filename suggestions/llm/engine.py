"""The LLM engine: targets in, candidate suggestions out (unvalidated unless asked).

``LLMEngine(root, config, store)`` finds targets (failing tests and uncaught exceptions from
the latest trace first: self-healing; then repeated exceptions, hot functions and structural
findings without a fix), builds a prompt per target, asks the endpoint for
``[llm] candidates`` replies, and turns each reply into a :class:`Suggestion` whose patch is
pinned to the file's current bytes. Nothing is written to the project: the caller validates
(``generate(validator=...)`` does it per target and keeps the best passing candidate).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from analysis.config import Config, load_config
from suggestions.diff import patch_diff
from suggestions.llm.compact import build_compact_prompt, wants_compact
from suggestions.llm.funnel import Funnel, text_hash
from suggestions.llm.ledger import Ledger, Usage, prompt_key
from suggestions.llm.prompts import Prompt, PromptError, build_prompt
from suggestions.llm.provider import (
    Completion,
    Endpoint,
    LLMError,
    Provider,
    RequestCancelled,
    resolve,
)
from suggestions.llm.replies import (
    ParsedReply,
    ReplyRejected,
    clean_text,
    make_patch,
    parse_reply,
    rewrite_block,
)
from suggestions.llm.structured import parse_structured, response_formats, structured_block
from suggestions.llm.targets import Target, enclosing_function, failure_target, is_test_file
from suggestions.llm.trust import Confirmation, TrustStore
from suggestions.model import (
    Grade,
    Source,
    Span,
    Suggestion,
    ValidationStatus,
    fingerprint_of,
)
from suggestions.store import Store

__all__ = ["LLMEngine", "LLMProgress", "best_validated", "keep_best"]

log = logging.getLogger("kaizen.llm")
_told_unavailable = False
_told_lock = threading.Lock()

MAX_REPLY_TOKENS = 4096
# Exceptions that are control flow, not faults.
_ROUTINE = {"StopIteration", "StopAsyncIteration", "GeneratorExit", "KeyboardInterrupt", "SystemExit"}


@dataclass(frozen=True)
class LLMProgress:
    """One step of a generation, reported from worker threads."""

    target: Target
    candidate: int  # 1-based
    stage: str  # asking | streaming | retrying | cached | done | rejected | error | cancelled
    tokens: int = 0  # reply tokens so far (estimated while streaming)
    message: str = ""


class _Validator(Protocol):
    def validate(self, suggestions: list[Suggestion], progress: Any = None,
                 cancel: threading.Event | None = None) -> list[Suggestion]: ...


_Outcome = tuple[Suggestion | None, Completion | None, str]


def _reply_tokens(prompt: Prompt) -> int:
    """Reply length to allow: a rewritten function is about as long as the prompt's target."""
    if not prompt.constrained:
        return MAX_REPLY_TOKENS
    size = prompt.target.end_line - prompt.target.start_line + 1
    return min(MAX_REPLY_TOKENS, 120 + 16 * size)


def _temperature(candidate: int, attempt: int) -> float:
    """Low for the first candidate's first try; higher for other candidates and for repairs
    (the same question at the same temperature would get the same answer again)."""
    base = 0.2 if candidate == 0 else 0.8
    return min(1.2, base + 0.3 * (attempt - 1))


class _Stop(Exception):
    """Stop asking for the rest of this run (unreachable endpoint, budget spent)."""


class LLMEngine:
    def __init__(self, root: Path | str, config: Config | None = None, store: Store | None = None,
                 *, environ: dict[str, str] | None = None, trust: TrustStore | None = None) -> None:
        self.root = Path(root).resolve()
        self.config = config if config is not None else load_config(self.root)
        self._own_store = store is None
        self.store = store if store is not None else Store(self.root)
        llm = self.config.section("llm")
        self.settings = dict(llm)
        self.endpoint: Endpoint | None
        resolution = resolve(self.config, environ, trust)
        self.endpoint, self._why = resolution.endpoint, resolution.why
        # A project-chosen endpoint the user has not confirmed: with it set and no endpoint,
        # the user's yes (TrustStore.trust) would make the LLM usable; with an endpoint, the
        # user's key is withheld from it (a loopback server asked without a key).
        self.confirmation: Confirmation | None = resolution.confirmation
        self.key_note = resolution.note
        self.ledger = Ledger(
            self.store,
            budget=int(llm["daily-token-budget"]),
            price_input=float(llm["price-input"]),
            price_output=float(llm["price-output"]),
        )
        self.provider: Provider | None = None
        if self.endpoint is not None:
            self.provider = Provider(
                self.endpoint,
                timeout=float(llm["timeout"]),
                max_retries=int(llm["max-retries"]),
                concurrency=int(llm["concurrency"]),
            )
        self.notes: list[str] = []  # what happened in the last generate(), for the user
        self.funnel: Funnel | None = None  # the last generate()'s funnel (also in the store)
        self._budget_lock = threading.Lock()
        self._reserved = 0
        self._notes_lock = threading.Lock()

    # --- status ---------------------------------------------------------------------------

    def available(self) -> tuple[bool, str]:
        """Whether an endpoint is configured, and a sentence saying which (or why not)."""
        global _told_unavailable
        if self.endpoint is None:
            with _told_lock:
                if not _told_unavailable:
                    log.info("%s", self._why)
                    _told_unavailable = True
            return False, self._why
        where = "from kaizen.toml" if self.endpoint.source == "config" else "from the environment"
        said = clean_text(f"LLM: {self.endpoint.model} at {self.endpoint.base_url} ({where})")
        return True, f"{said}; {self.key_note}" if self.key_note else said

    def usage_today(self) -> Usage:
        return self.ledger.usage_today()

    def close(self) -> None:
        if self.provider is not None:
            self.provider.close()
        if self._own_store:
            self.store.close()

    def __enter__(self) -> LLMEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _relative(self, t: Target) -> Target:
        """A target named by absolute paths (from an editor) made project-relative."""
        def rel(p: str) -> str:
            path = Path(p)
            if not path.is_absolute():
                return p
            try:
                return path.resolve().relative_to(self.root).as_posix()
            except ValueError:
                return p  # outside the project: the prompt refuses it
        if not Path(t.path).is_absolute() and not any(Path(p).is_absolute() for p in t.paths):
            return t
        return replace(t, path=rel(t.path), paths=tuple(rel(p) for p in t.paths))

    def _note(self, message: str) -> None:
        message = clean_text(message)  # may quote the server or the model
        with self._notes_lock:
            if message not in self.notes:
                self.notes.append(message)
        log.info("%s", message)

    # --- targets --------------------------------------------------------------------------

    def _trace_store(self) -> Any:
        from analysis.trace_store import TraceStore

        try:
            return TraceStore(self.store)
        except Exception as exc:
            log.debug("no trace store: %s", exc)
            return None

    def failure_targets(self) -> list[Target]:
        """Failing tests and uncaught exceptions of the latest traced run."""
        ts = self._trace_store()
        if ts is None or not hasattr(ts, "failures"):
            return []
        try:
            records = list(ts.failures() or ())
        except Exception as exc:
            log.debug("trace failures unavailable: %s", exc)
            return []
        out = []
        for rec in records[:5]:
            uncaught = _get(rec, "kind", default="") == "uncaught"
            if uncaught:
                etype = str(_get(rec, "type", default="Exception"))
                rec = {**rec, "message": f"{etype}: {_get(rec, 'message', default='')}"}
            t = failure_target(self.root, rec, self.store.symbols, kind="exception" if uncaught else "failure")
            if t is not None:
                if uncaught:
                    t = replace(t, title=f"Fix for uncaught {_get(rec, 'type', default='exception')} in "
                                         f"`{t.name or t.path}`")
                out.append(t)
        return out

    def self_healing_targets(self) -> list[Target]:
        """The latest run's failures, when an endpoint is configured (else nothing)."""
        return self.failure_targets() if self.endpoint is not None else []

    def exception_targets(self, min_count: int = 3, limit: int = 3) -> list[Target]:
        """Exception sites that fire repeatedly in the latest trace."""
        ts = self._trace_store()
        fetch = getattr(ts, "exceptions", None) if ts is not None else None
        if fetch is None:
            return []
        try:
            records = list(fetch() or ())
        except Exception as exc:
            log.debug("trace exceptions unavailable: %s", exc)
            return []
        out: list[Target] = []
        for rec in records:
            count = int(_get(rec, "raised", "count", default=0) or 0)
            etype = str(_get(rec, "type", "exc_type", default="exception"))
            if count < min_count or etype.rsplit(".", 1)[-1] in _ROUTINE:
                continue
            path = str(_get(rec, "path", "file", default="") or "")
            line = int(_get(rec, "line", "lineno", default=0) or 0)
            if not path or not line or not (self.root / path).is_file() or is_test_file(path):
                continue
            evidence = {"exception": etype, "raised": count,
                        "caught": int(_get(rec, "caught", default=0) or 0),
                        "function": str(_get(rec, "function", default="") or ""),
                        "where": f"{path}:{line}"}
            out.append(Target.for_function(self.root, "exception", path, line, evidence=evidence))
            if len(out) >= limit:
                break
        return out

    def hotspot_targets(self, limit: int = 3, min_share: float = 0.05, min_seconds: float = 0.005) -> list[Target]:
        """The hottest project functions of the latest trace."""
        ts = self._trace_store()
        if ts is None or not hasattr(ts, "hotspots"):
            return []
        try:
            records = list(ts.hotspots() or ())
        except Exception as exc:
            log.debug("hotspots unavailable: %s", exc)
            return []
        out: list[Target] = []
        for rec in records:
            path = str(_get(rec, "path", "file", default="") or "")
            line = int(_get(rec, "line", "start_line", "lineno", default=0) or 0)
            if _get(rec, "waiting", default=False):
                continue  # blocked on a lock, a sleep or I/O: a faster algorithm changes nothing
            share = _get(rec, "total_share", "own_share", "share", default=None)
            seconds = _get(rec, "total_s", "total", default=None)
            if (share is not None and float(share) < min_share) or (
                    seconds is not None and float(seconds) < min_seconds):
                continue  # not worth a request: too small a part of the run
            if not path or not line or not (self.root / path).is_file() or is_test_file(path):
                continue
            evidence = {k: v for k, v in _fields(rec).items() if k not in ("path", "line", "end_line")}
            name = str(_get(rec, "function", "name", "qualname", default="") or "")
            if name.startswith("<"):
                continue  # module-level code or a lambda: no function to rewrite
            evidence.update(_types_of(ts, path, name, line))
            out.append(Target.for_function(self.root, "hotspot", path, line, name=name.split(".")[-1],
                                           evidence=evidence))
            if len(out) >= limit:
                break
        return out

    def finding_targets(self, limit: int = 3) -> list[Target]:
        """Structural findings (KZ7xx) that have no automatic fix, one target per function."""
        by_span: dict[tuple[str, int, int], list[Suggestion]] = {}
        names: dict[tuple[str, int, int], str] = {}
        for s in self.store.suggestions():
            if not s.code.startswith("KZ7") or s.patch is not None or not (self.root / s.path).is_file():
                continue
            start, end, name = s.span.start_line, max(s.span.start_line, s.span.end_line), ""
            # Function-level findings point at the name; the whole function is the target.
            found = enclosing_function(self.root, s.path, start)
            if found and found[0] <= start and end <= found[1] and (end == start or s.code != "KZ705"):
                start, end, name = found
            by_span.setdefault((s.path, start, end), []).append(s)
            names[(s.path, start, end)] = name
        out: list[Target] = []
        for (path, start, end), found_here in by_span.items():
            first = found_here[0]
            evidence: dict[str, Any] = {
                "finding": "; ".join(f"{s.code}: {s.title}" for s in found_here),
                "explanation": first.rationale,
            }
            for s in found_here:
                evidence.update({k: v for k, v in s.evidence.items() if isinstance(v, str | int | float)})
            codes = ", ".join(dict.fromkeys(s.code for s in found_here))
            name = names[(path, start, end)]
            title = f"Refactoring of `{name}` ({codes})" if name else f"Refactoring for {codes}: {first.title}"
            out.append(Target("finding", path, start, end, title, name=name, evidence=evidence))
            if len(out) >= limit:
                break
        return out

    def targets(self, kinds: Iterable[str] | None = None, limit: int = 8) -> list[Target]:
        """What to ask about, most urgent first: failures, exceptions, hotspots, findings.

        The latest traced run's failing tests and uncaught exceptions come first when an
        endpoint is configured (self-healing).
        """
        wanted = set(kinds) if kinds is not None else {"failure", "exception", "hotspot", "finding"}
        found: list[Target] = []
        if "failure" in wanted:
            found += self.self_healing_targets()
        if "exception" in wanted:
            found += self.exception_targets()
        if "hotspot" in wanted:
            found += self.hotspot_targets()
        if "finding" in wanted:
            found += self.finding_targets()
        seen: set[tuple[str, int, int]] = set()
        out = []
        for t in found:
            k = (t.path, t.start_line, t.end_line)
            if k not in seen:
                seen.add(k)
                out.append(t)
        return out[:limit]

    # --- generation -----------------------------------------------------------------------

    def prompt_for(self, target: Target) -> Prompt:
        """The short constrained prompt for one function to fix, else the full template prompt."""
        budget = int(self.settings["context-tokens"])
        if wants_compact(target):
            return build_compact_prompt(self.root, target, context_tokens=budget, symbols=self.store.symbols)
        return build_prompt(self.root, target, context_tokens=budget, symbols=self.store.symbols)

    def generate(
        self,
        targets: Sequence[Target] | None = None,
        progress: Callable[[LLMProgress], None] | None = None,
        cancel: threading.Event | None = None,
        validator: _Validator | None = None,
    ) -> list[Suggestion]:
        """Candidates for each target (``[llm] candidates`` chains each, ``[llm] attempts`` tries per chain).

        With ``validator``, candidates are validated and a failed one is sent back with its
        failure (:mod:`suggestions.llm.repair`); per target the best passing one is kept (every
        chain's last one, failed, when none passes). The run's funnel is in ``self.funnel`` and
        the store. Results are stored in the store's suggestions table; the project's files are
        never written.
        """
        self.notes = []
        self.funnel = None
        started = time.monotonic()
        ok, why = self.available()
        if not ok or self.provider is None:
            self.notes.append(why)  # for the caller; the log has it once already
            return []
        todo = [self._relative(t) for t in (self.targets() if targets is None else targets)]
        if not todo:
            return []
        prompts: list[Prompt] = []
        keys: set[str] = set()
        for t in todo:
            if t.key in keys:
                continue  # two failing tests in one function: one question
            keys.add(t.key)
            try:
                prompts.append(self.prompt_for(t))
            except PromptError as exc:
                self._note(f"{t.title}: skipped: {exc}")
        from suggestions.llm.repair import run_rounds

        return run_rounds(self, prompts, progress, cancel, validator, targets=len(keys), started=started)

    def _candidate(self, prompt: Prompt, i: int, progress: Callable[[LLMProgress], None] | None,
                   cancel: threading.Event | None, attempt: int = 1) -> _Outcome:
        """One request (or cache hit) and its reply made a candidate: (suggestion, completion, why not)."""
        assert self.provider is not None and self.endpoint is not None
        target = prompt.target

        def report(stage: str, tokens: int = 0, message: str = "") -> None:
            if progress is not None:
                progress(LLMProgress(target, i + 1, stage, tokens, message))

        key = prompt_key(self.endpoint.base_url, self.endpoint.model, prompt.messages,
                         i if attempt == 1 else i + 1000 * attempt)
        hit = self.ledger.cached(key)
        formats = response_formats() if prompt.constrained else None
        completion: Completion
        if hit is not None:
            text, pt, ct, model = hit
            completion = Completion(text, pt, ct, model, cached=True, constrained=prompt.constrained)
            self.ledger.record(base_url=self.endpoint.base_url, model=model, prompt_tokens=pt,
                               completion_tokens=ct, cached=True, target=target.key, outcome="cached")
            report("cached", ct)
        else:
            with self._budget_lock:
                left = self.ledger.budget_left()
                # Requests in flight count against the budget too (concurrency > 1).
                if left is not None and left - self._reserved < prompt.tokens:
                    used = self.ledger.usage_today()
                    raise _Stop(f"daily token budget reached ({used.total_tokens:,} of {used.budget:,} tokens "
                                "used today; [llm] daily-token-budget); no more LLM requests today")
                self._reserved += prompt.tokens
            report("asking", 0, f"attempt {attempt}" if attempt > 1 else "")

            def on_retry(msg: str) -> None:
                report("retrying", 0, msg)
                self._note(f"{target.title}: {msg}")

            try:
                asked = self._ask(prompt, i, report, on_retry, cancel, formats, attempt)
            finally:
                with self._budget_lock:
                    self._reserved -= prompt.tokens
            if asked is None or isinstance(asked, str):
                return None, None, asked or "cancelled"
            completion = asked
            self.ledger.record(base_url=self.endpoint.base_url, model=completion.model,
                               prompt_tokens=completion.prompt_tokens,
                               completion_tokens=completion.completion_tokens, target=target.key,
                               outcome=completion.finish_reason or "stop")
            if completion.finish_reason != "length":
                self.ledger.put_cache(key, completion.model, completion.text, completion.prompt_tokens,
                                      completion.completion_tokens)
        try:
            s = self._suggestion(prompt, i, completion, attempt)
        except ReplyRejected as exc:
            cut = " (the reply was cut off at the token limit)" if completion.finish_reason == "length" else ""
            self._note(f"{target.title}: candidate {i + 1} rejected: {exc}{cut}")
            report("rejected", completion.completion_tokens, str(exc))
            return None, completion, f"{exc}{cut}"
        report("done", completion.completion_tokens)
        return s, completion, ""

    def _ask(self, prompt: Prompt, i: int, report: Callable[..., None], on_retry: Callable[[str], None],
             cancel: threading.Event | None, formats: list[dict[str, Any]] | None = None,
             attempt: int = 1) -> Completion | str | None:
        """One request; ``None`` (cancelled) or why when it came to nothing (noted). Raises :class:`_Stop`."""
        assert self.provider is not None
        target = prompt.target
        try:
            completion = self.provider.complete(
                prompt.messages,
                max_tokens=_reply_tokens(prompt),
                temperature=_temperature(i, attempt),
                progress=lambda tokens, _text: report("streaming", tokens),
                cancel=cancel,
                on_retry=on_retry,
                response_formats=formats,
            )
        except RequestCancelled:
            report("cancelled")
            return None
        except LLMError as exc:
            report("error", 0, str(exc))
            if exc.kind in ("unreachable", "auth"):
                raise _Stop(str(exc)) from None
            if exc.kind == "rate-limit":
                raise _Stop(f"{exc}; gave up after {self.provider.max_retries} retries") from None
            self._note(f"{target.title}: {exc}")
            return str(exc)
        return completion

    def _suggestion(self, prompt: Prompt, i: int, completion: Completion, attempt: int = 1) -> Suggestion:
        target = prompt.target
        current = _lines_of(self.root, target)
        structured = parse_structured(completion.text)
        if structured is not None:
            reply = ParsedReply(explanation=structured[1])
            reply.blocks = [structured_block(structured[0], target.path, current, target.name)]
        else:
            reply = parse_reply(completion.text)
        if not reply.blocks and not reply.problems and target.name:
            rewrite = rewrite_block(completion.text, target.path, current, target.name)
            if rewrite is not None:
                reply.blocks = [rewrite[0]]
                reply.explanation = rewrite[1]
        if not reply.blocks:
            extra = f" ({'; '.join(reply.problems)})" if reply.problems else ""
            raise ReplyRejected(f"the reply has no edit, only prose{extra}")
        never = list(self.config.get("policy.never.paths") or [])
        proposed = make_patch(self.root, reply.blocks, allowed=list(target.editable), never=never,
                              redactor=prompt.redactor, near_line=target.start_line)
        patch, data = proposed.patch, proposed.data
        first, last = patch.edits[0], patch.edits[-1]
        start_line = data.count(b"\n", 0, first.start) + 1
        end_line = data.count(b"\n", 0, max(first.start, last.end - 1)) + 1
        start_col = first.start - (data.rfind(b"\n", 0, first.start) + 1)
        end_col = last.end - (data.rfind(b"\n", 0, last.end) + 1)
        target_text = data.decode("utf-8", "replace").splitlines()[target.start_line - 1 : target.end_line]
        new_text = "\0".join(e.replacement for e in patch.edits)
        code = target.code
        fp = fingerprint_of(code, patch.path, "\n".join(target_text) + "\0" + new_text)
        explanation = clean_text(reply.explanation).strip() or "The model gave no explanation."
        if len(explanation) > 4000:
            explanation = explanation[:3999] + "…"
        evidence: dict[str, Any] = {
            k: (v[-2000:] if isinstance(v, str) else v) for k, v in target.evidence.items()
        }
        evidence["llm"] = {
            "model": clean_text(completion.model)[:200],
            "target": target.key,
            "kind": target.kind,
            "candidate": i + 1,
            "prompt_tokens": completion.prompt_tokens,
            "completion_tokens": completion.completion_tokens,
            "cached": completion.cached,
            "anchors": list(proposed.methods),
            "attempt": attempt,
            "constrained": completion.constrained,
            "prompt_hash": text_hash(prompt.messages),
            "reply_hash": text_hash(completion.text),
            "prompt_tokens_estimated": prompt.tokens,
        }
        return Suggestion(
            fingerprint=fp,
            code=code,
            title=clean_text(f"{target.title} (LLM)"),
            rationale=explanation,
            path=patch.path,
            span=Span(start_line, start_col, end_line, end_col, first.start, last.end),
            patch=patch,
            applicability=target.rule.applicability,
            confidence=target.rule.confidence,
            source=Source.LLM,
            category=target.category,
            diff=patch_diff(patch, data),
            evidence=evidence,
        )


def _lines_of(root: Path, target: Target) -> str:
    """The target's current text (its whole lines), or "" when unreadable."""
    from analysis.inventory import read_source

    try:
        text = read_source(root / target.path).text
    except ValueError:
        return ""
    return "\n".join(text.splitlines()[target.start_line - 1 : target.end_line])


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for n in names:
        v = obj.get(n) if isinstance(obj, dict) else getattr(obj, n, None)
        if v is not None:
            return v
    return default


def _types_of(ts: Any, path: str, name: str, line: int) -> dict[str, Any]:
    """Sampled argument and return types and the main callers of a traced function."""
    try:
        stats = [f for f in ts.functions(path=path) if f.name == name and f.line == line]
    except Exception:
        return {}
    if not stats:
        return {}
    f = stats[0]
    out: dict[str, Any] = {}
    args = getattr(f, "arg_types", None) or {}
    if args:
        out["argument types (sampled)"] = "; ".join(
            f"{arg}: {', '.join(sorted(types, key=lambda t: -types[t])[:3])}" for arg, types in args.items())
    returns = getattr(f, "return_types", None) or {}
    if returns:
        out["return types (sampled)"] = ", ".join(sorted(returns, key=lambda t: -returns[t])[:3])
    callers = getattr(f, "callers", None) or {}
    if callers:
        out["main callers"] = ", ".join(f"{c} ({n}x)" for c, n in sorted(callers.items(), key=lambda kv: -kv[1])[:3])
    return out


def _fields(obj: Any) -> dict[str, Any]:
    import dataclasses

    if isinstance(obj, dict):
        items = obj
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        items = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    else:
        items = {k: v for k, v in vars(obj).items() if not k.startswith("_")} if hasattr(obj, "__dict__") else {}
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in items.items()
            if isinstance(v, str | int | float)}


def _unique(cands: list[Suggestion]) -> list[Suggestion]:
    seen: set[str] = set()
    out = []
    for s in sorted(cands, key=lambda s: s.evidence.get("llm", {}).get("candidate", 0)):
        if s.fingerprint not in seen:
            seen.add(s.fingerprint)
            out.append(s)
    return out


def _changed(s: Suggestion) -> int:
    return sum(1 for line in s.diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---")))


def best_validated(candidates: Iterable[Suggestion]) -> Suggestion | None:
    """The best candidate that passed validation (proven first, then fastest, then smallest), or ``None``."""
    passed = [s for s in candidates if s.validation.status is ValidationStatus.PASSED]
    if not passed:
        return None
    return min(passed, key=lambda s: (not _proven(s), -(s.validation.speedup or 1.0), _changed(s)))


def _proven(s: Suggestion) -> bool:
    strength = s.validation.strength
    return strength is not None and strength.grade is Grade.PROVEN


def keep_best(candidates: Iterable[Suggestion]) -> list[Suggestion]:
    """Per target: the best passing candidate; every candidate when none passed."""
    groups: dict[str, list[Suggestion]] = {}
    for s in candidates:
        key = str(s.evidence.get("llm", {}).get("target", s.fingerprint))
        groups.setdefault(key, []).append(s)
    out: list[Suggestion] = []
    for group in groups.values():
        best = best_validated(group)
        out += [best] if best is not None else group
    return out
