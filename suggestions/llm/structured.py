"""The constrained edit format: a JSON object holding the whole corrected function.

Small local models cannot be relied on to write a unified diff or a SEARCH/REPLACE block
with exact context, but they do rewrite a short function. Where the server supports it,
the request carries a JSON schema (``response_format``) so that the reply is always the
object ``{"explanation": "...", "code": "..."}``: llama.cpp (``llama-server`` and
llama-cpp-python) turns the schema into a grammar. Servers that reject the option are asked
again with the OpenAI spelling, then without it (the provider remembers); a reply that is
not the object goes through the tolerant parser (:mod:`suggestions.llm.replies`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from suggestions.llm.replies import EditBlock, ReplyRejected

__all__ = ["EDIT_SCHEMA", "FORMAT_HINT", "parse_structured", "response_formats", "structured_block"]

EDIT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        # The code first: a grammar writes keys in this order, so a small model starts its
        # reply inside the function rather than in prose about it.
        "code": {"type": "string"},
        "explanation": {"type": "string"},
    },
    "required": ["code", "explanation"],
}

FORMAT_HINT = ('Reply with only a JSON object with two keys: "code", the whole corrected function (from '
               'its `def` line to its last line), and "explanation", one sentence saying what was wrong.')


def response_formats() -> list[dict[str, Any]]:
    """The ways to ask for the schema, tried in order: llama.cpp's, then OpenAI's."""
    return [
        {"type": "json_object", "schema": EDIT_SCHEMA},
        {"type": "json_schema", "json_schema": {"name": "kaizen_edit", "schema": EDIT_SCHEMA}},
    ]


_OBJECT = re.compile(r"\{.*\}", re.S)


def parse_structured(text: str) -> tuple[str, str] | None:
    """(code, explanation) when the reply is the edit object (alone, or fenced); else None."""
    s = text.strip()
    if s.startswith("```"):
        s = s.strip("`").removeprefix("json").strip()
    candidates = [s]
    m = _OBJECT.search(s)
    if m is not None and m.group(0) != s:
        candidates.append(m.group(0))
    for c in candidates:
        try:
            obj = json.loads(c, strict=False)  # a raw newline or tab inside the code string
        except ValueError:
            continue
        if isinstance(obj, dict) and isinstance(obj.get("code"), str):
            return str(obj["code"]), str(obj.get("explanation") or "")
    return None


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def structured_block(code: str, path: str, current: str, name: str) -> EditBlock:
    """The object's code as an edit replacing the target's current text.

    Raises :class:`ReplyRejected` when the code is empty or does not define the target.
    """
    lines = code.replace("\r\n", "\n").strip("\n").split("\n")
    if not code.strip():
        raise ReplyRejected('the JSON reply has an empty "code"')
    head = next((ln for ln in lines if ln.strip() and not ln.strip().startswith(("@", "#"))), "")
    if name and not re.match(rf"(?:async\s+)?(?:def|class)\s+{re.escape(name)}\b", head.strip()):
        raise ReplyRejected(f'the JSON reply\'s "code" does not start with the definition of `{name}` '
                            f"(it starts {head.strip()[:60]!r}); it must hold the whole function")
    cur_head = next((ln for ln in current.split("\n") if ln.strip() and not ln.strip().startswith(("@", "#"))), "")
    old, new = _indent(head), _indent(cur_head)
    moved = []
    for ln in lines:
        if not ln.strip():
            moved.append("")
        elif ln.startswith(old):
            moved.append(new + ln[len(old):])
        else:
            moved.append(new + ln.lstrip())
    cur_lines = current.split("\n")
    decorators = []
    for ln in cur_lines:
        if not ln.strip().startswith("@"):
            break
        decorators.append(ln)
    if decorators and not any(m.strip().startswith("@") for m in moved):
        moved = decorators + moved  # the model rewrote the function without its decorators: keep them
    return EditBlock(path, current, "\n".join(moved), None, "structured")
