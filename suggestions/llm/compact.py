"""Short prompts for small local models: one function, just the context it needs.

Used for the self-healing targets (a failing test, an exception) that name one function.
The prompt holds the function, the failing test, the assertion message and the end of the
traceback, the signatures of the project functions it calls and the places that call it
(both from Kaizen's symbol index), and an explicit edit format: the constrained JSON object
of :mod:`suggestions.llm.structured`. Everything is redacted like the full prompt, and the
whole must fit ``[llm] context-tokens`` (the target itself is never cut).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from suggestions.llm.prompts import (
    CHARS_PER_TOKEN,
    Prompt,
    PromptError,
    _fence,
    _Files,
    estimate_tokens,
    fenced,
    symbol_map,
    target_source,
)
from suggestions.llm.secrets import Redactor
from suggestions.llm.structured import FORMAT_HINT
from suggestions.llm.targets import Target, is_test_file

__all__ = ["SYSTEM", "build_compact_prompt", "wants_compact"]

SYSTEM = ("You fix bugs in code. Change as little as possible; keep the function's name and "
          "parameters. Answer with the JSON object asked for and nothing else.")


def wants_compact(target: Target) -> bool:
    """One function to fix, from a failure or an exception: the short prompt."""
    return target.kind in ("failure", "exception") and bool(target.name)


def _error_text(evidence: Any, limit: int) -> str:
    message = str(evidence.get("message") or "").strip()
    tb = str(evidence.get("traceback") or "").strip()
    tail = "\n".join(tb.splitlines()[-14:]) if tb else ""
    if len(tail) > limit:
        tail = tail[-limit:]
    parts = [p for p in (message[:600], tail) if p]
    if len(parts) == 2 and parts[0] in parts[1]:
        parts = parts[1:]
    return "\n".join(parts)


def _callers(target: Target, files: _Files, symbols: Callable[..., Sequence[Any]] | None,
             limit: int = 3) -> list[str]:
    """``path:line: code`` of places outside tests that use the target's name."""
    if symbols is None or not target.name:
        return []
    out: list[str] = []
    try:
        rows = symbols(name=target.name)
    except Exception:
        return []
    for row in rows:
        path, definition, line = str(row[0]), bool(row[3]), int(row[4])
        if definition or is_test_file(path) or (path == target.path and target.start_line <= line <= target.end_line):
            continue
        src = files.lines(path)
        if src is None or not 0 < line <= len(src):
            continue
        out.append(f"- {path}:{line}: `{src[line - 1].strip()[:160]}`")
        if len(out) >= limit:
            break
    return out


def build_compact_prompt(root: Path, target: Target, *, context_tokens: int = 6000,
                         symbols: Callable[..., Sequence[Any]] | None = None) -> Prompt:
    """The short chat messages for ``target``; raises :class:`PromptError` when it cannot be built."""
    files, lines, start, end = target_source(root, target)
    body = "\n".join(lines[start - 1 : end])
    head = (f"Fix the bug in `{target.name}` ({target.path}, lines {start}-{end}):\n"
            f"{fenced(body, _fence(target.path))}")
    budget = context_tokens * CHARS_PER_TOKEN
    left = budget - len(SYSTEM) - len(head) - len(FORMAT_HINT) - 200
    if left < 0:
        raise PromptError(
            f"{target.path}:{start}-{end} is too large for [llm] context-tokens = {context_tokens} "
            f"(needs about {estimate_tokens(SYSTEM + head + FORMAT_HINT)})")
    parts = [head]
    test = str(target.evidence.get("test") or "")
    for rpath, rs, re_ in target.related:
        if not is_test_file(rpath):
            continue
        rl = files.lines(rpath)
        if rl is None:
            continue
        block = f"The failing test{f' `{test}`' if test else ''}:\n" + fenced(
            "\n".join(rl[max(0, rs - 1) : min(re_, len(rl))]), _fence(rpath))
        if len(block) < left // 2:
            parts.append(block)
            left -= len(block)
        break
    error = _error_text(target.evidence, max(200, min(1500, left // 2)))
    if error:
        block = "It fails with:\n" + fenced(error)
        parts.append(block)
        left -= len(block)
    smap = symbol_map(target, files, symbols, body, max(0, min(800, left // 3)))
    if smap:
        parts.append("Functions it uses:\n" + smap)
        left -= len(smap)
    callers = _callers(target, files, symbols)
    if callers and left > 400:
        parts.append("Where it is called:\n" + "\n".join(callers))
    parts.append(FORMAT_HINT)
    redactor = Redactor()
    messages = [
        {"role": "system", "content": redactor.redact(SYSTEM)},
        {"role": "user", "content": redactor.redact("\n\n".join(parts) + "\n")},
    ]
    tokens = sum(estimate_tokens(m["content"]) for m in messages)
    return Prompt(target, messages, redactor, tokens, constrained=True)
