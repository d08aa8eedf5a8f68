"""Building the prompt for a target: its code, the code around it, the evidence and a map
of the project symbols it uses, within ``[llm] context-tokens``. Secrets never go out.

Templates are Markdown files in ``resources/prompts/`` (``system.md`` and one per target
kind) with ``${name}`` placeholders. The budget is estimated at ~4 characters per token;
when it is tight the surroundings shrink first, then the symbol map and the related code;
the target itself is never cut (a target too large for the budget is skipped).
"""

from __future__ import annotations

import keyword
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.inventory import read_source
from analysis.languages import language_for_path
from suggestions.llm.secrets import Redactor, is_secret_file
from suggestions.llm.targets import Target

__all__ = ["Prompt", "PromptError", "build_prompt", "estimate_tokens", "load_template"]

PROMPTS = Path(__file__).resolve().parent.parent.parent / "resources" / "prompts"
CHARS_PER_TOKEN = 4


class PromptError(Exception):
    """The target cannot be put in a prompt (too large, unreadable, a secrets file)."""


def estimate_tokens(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def load_template(name: str) -> str:
    path = PROMPTS / f"{name}.md"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptError(f"prompt template {path} is missing ({exc.strerror})") from None


@dataclass(frozen=True)
class Prompt:
    target: Target
    messages: list[dict[str, str]]
    redactor: Redactor
    tokens: int  # estimated
    constrained: bool = False  # asks for the JSON edit object (suggestions.llm.structured)

    @property
    def text(self) -> str:
        return "\n\n".join(m["content"] for m in self.messages)


class _Files:
    """Each file read once per prompt."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lines: dict[str, list[str] | None] = {}

    def lines(self, path: str) -> list[str] | None:
        if path not in self._lines:
            if is_secret_file(path):
                self._lines[path] = None
            else:
                try:
                    self._lines[path] = read_source(self.root / path).text.splitlines()
                except ValueError:
                    self._lines[path] = None
        return self._lines[path]


def _fence(path: str) -> str:
    return language_for_path(path) or ""


_TICKS = re.compile(r"`{3,}")


def fence_for(body: str) -> str:
    """A backtick fence longer than any backtick run in ``body`` (so no line of it closes the fence)."""
    longest = max((len(m.group(0)) for m in _TICKS.finditer(body)), default=0)
    return "`" * max(3, longest + 1)


def fenced(body: str, info: str = "") -> str:
    fence = fence_for(body)
    return f"{fence}{info}\n{body}\n{fence}"


def _code_block(path: str, lines: list[str], start: int, end: int, label: str = "") -> str:
    body = "\n".join(lines[start - 1 : end])
    head = f"{label}{path} (lines {start}-{end})"
    return f"{head}\n{fenced(body, _fence(path))}"


def _format_evidence(evidence: Mapping[str, Any], limit: int) -> str:
    parts: list[str] = []
    for key, value in evidence.items():
        if value in (None, "", [], {}):
            continue
        if isinstance(value, str) and "\n" in value:
            body = value.strip()
            if len(body) > limit:
                # Keep the end of a traceback (the deepest frames matter most), trimmed
                # before it is fenced so that the fence stays whole.
                body = "…(trimmed)…\n" + body[-limit:]
            parts.append(f"{key}:\n{fenced(body)}")
        elif isinstance(value, Mapping):
            inner = ", ".join(f"{k}={v}" for k, v in value.items())
            parts.append(f"- {key}: {inner}")
        else:
            parts.append(f"- {key}: {value}")
    while len(parts) > 1 and sum(len(p) + 1 for p in parts) > limit:
        parts.pop(0)  # whole items go, never half a fenced block
    text = "\n".join(parts)
    if len(text) > limit and "\n" not in text:
        text = text[: max(0, limit - 1)] + "…"
    return text


_IDENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
_COMMON = set(keyword.kwlist) | {
    "self", "cls", "None", "True", "False", "print", "len", "range", "list", "dict", "set",
    "tuple", "str", "int", "float", "bool", "isinstance", "super", "return", "const", "let",
    "var", "function", "this", "new", "null", "undefined", "func", "fn", "void",
}


def _signature(lines: list[str], line: int) -> str:
    out = []
    for text in lines[line - 1 : line + 5]:
        out.append(text.strip())
        if text.rstrip().endswith((":", "{", ";", ")")) and "(" in " ".join(out):
            break
    sig = " ".join(out).rstrip("{").strip()
    return sig[:200]


def symbol_map(target: Target, files: _Files, symbols: Callable[..., Sequence[Any]] | None,
               code: str, limit: int) -> str:
    """The project definitions of names the target uses: ``name — path:line: signature``."""
    if symbols is None:
        return ""
    names = [n for n in dict.fromkeys(_IDENT.findall(code)) if n not in _COMMON and len(n) > 1]
    shown = [(target.path, target.start_line, target.end_line), *target.related]
    entries: list[str] = []
    size = 0
    for name in names:
        try:
            rows = symbols(name=name)
        except Exception:
            return ""
        for row in rows:
            path, kind, definition, line = str(row[0]), str(row[2]), bool(row[3]), int(row[4])
            if not definition or any(path == p and s <= line <= e for p, s, e in shown):
                continue  # already in the prompt in full
            src = files.lines(path)
            if src is None:
                continue
            entry = f"- `{name}` ({kind}) {path}:{line}: `{_signature(src, line)}`"
            if size + len(entry) > limit:
                return "\n".join(entries)
            entries.append(entry)
            size += len(entry) + 1
            if len([e for e in entries if f"`{name}`" in e]) >= 3:
                break
    return "\n".join(entries)


def target_source(root: Path, target: Target) -> tuple[_Files, list[str], int, int]:
    """The project's files, the target file's lines and the target's line range clamped to
    them; raises :class:`PromptError` for a path outside the project, a secrets file (never
    sent) or a file that cannot be read."""
    if Path(target.path).is_absolute() or ".." in Path(target.path).parts:
        raise PromptError(f"{target.path} is outside the project")
    if is_secret_file(target.path):
        raise PromptError(f"{target.path} is a secrets file; Kaizen never sends it")
    files = _Files(Path(root))
    lines = files.lines(target.path)
    if lines is None:
        raise PromptError(f"{target.path} cannot be read")
    start = max(1, min(target.start_line, len(lines) or 1))
    end = max(start, min(target.end_line, len(lines)))
    return files, lines, start, end


def build_prompt(
    root: Path,
    target: Target,
    *,
    context_tokens: int = 6000,
    symbols: Callable[..., Sequence[Any]] | None = None,
) -> Prompt:
    """The chat messages for ``target``; raises :class:`PromptError` when it cannot be built."""
    files, lines, start, end = target_source(root, target)
    target_block = _code_block(target.path, lines, start, end)
    system = load_template("system")
    template = string.Template(load_template(target.kind))
    budget = context_tokens * CHARS_PER_TOKEN
    fixed = len(system) + len(template.template) + len(target_block)
    if fixed > budget:
        raise PromptError(
            f"{target.path}:{start}-{end} is too large for [llm] context-tokens = {context_tokens} "
            f"(needs about {estimate_tokens(system + template.template + target_block)})"
        )
    left = budget - fixed
    evidence = _format_evidence(target.evidence, max(200, min(left // 3, 8000)))
    left -= len(evidence)
    editable = ", ".join(target.editable)

    related_parts: list[str] = []
    for rpath, rs, re_ in target.related:
        rl = files.lines(rpath)
        if rl is None:
            continue
        block = _code_block(rpath, rl, max(1, rs), min(re_, len(rl)),
                            "Editable: " if rpath in target.editable else "For reference (do not edit): ")
        if len(block) + 40 > left * 2 // 3:
            continue
        related_parts.append(block)
        left -= len(block) + 2
    related = ("## Related code\n" + "\n\n".join(related_parts)) if related_parts else ""

    code = "\n".join(lines[start - 1 : end]) + "\n".join(related_parts)
    smap = symbol_map(target, files, symbols, code, max(0, min(left // 3, 3000)))
    left -= len(smap)
    symbols_text = ("## Project symbols used here (definitions elsewhere)\n" + smap) if smap else ""

    context = _surroundings(target.path, lines, start, end, max(0, left - 200))
    user = template.safe_substitute(
        target=target_block,
        evidence=evidence,
        related=related,
        symbols=symbols_text,
        context=context,
        editable=editable,
        title=target.title,
        path=target.path,
    )
    user = re.sub(r"\n{3,}", "\n\n", user).strip() + "\n"
    redactor = Redactor()
    messages = [
        {"role": "system", "content": redactor.redact(system.strip())},
        {"role": "user", "content": redactor.redact(user)},
    ]
    tokens = sum(estimate_tokens(m["content"]) for m in messages)
    return Prompt(target, messages, redactor, tokens)


def _surroundings(path: str, lines: list[str], start: int, end: int, budget: int) -> str:
    """Lines around the target, growing outwards alternately while the budget lasts."""
    if budget <= 200 or (start == 1 and end >= len(lines)):
        return ""
    lo, hi = start - 1, end  # [lo, start-1) before, [end, hi) after: 0-based slices
    used = 0
    before_from, after_to = start - 1, end
    grow_before = True
    while used < budget and (before_from > 0 or after_to < len(lines)):
        if (grow_before and before_from > 0) or after_to >= len(lines):
            cost = len(lines[before_from - 1]) + 1
            if used + cost > budget:
                break
            before_from -= 1
        else:
            cost = len(lines[after_to]) + 1
            if used + cost > budget:
                break
            after_to += 1
        used += cost
        grow_before = not grow_before
    del lo, hi
    if before_from == start - 1 and after_to == end:
        return ""
    fence = _fence(path)
    parts = [f"## The code around it in {path}"]
    if before_from < start - 1:
        parts.append(f"Lines {before_from + 1}-{start - 1} (before):\n" + fenced("\n".join(lines[before_from:start - 1]), fence))
    if after_to > end:
        parts.append(f"Lines {end + 1}-{after_to} (after):\n" + fenced("\n".join(lines[end:after_to]), fence))
    return "\n".join(parts)
