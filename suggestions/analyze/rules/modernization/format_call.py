from __future__ import annotations

import re
import string
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._format import escape_braces, plain_string, safe_expr
from suggestions.analyze.rules._pyfix import PrefilteredRule
from suggestions.model import Applicability

_FORMATTER = string.Formatter()


class FormatCall(PrefilteredRule):
    """``str.format`` with simple positional arguments.

    What it does:
        Flags ``"{} and {}".format(a, b)`` on a string literal whose fields are ``{}`` or
        ``{N}`` (with optional ``!r``/``!s``/``!a`` and a plain format spec) and whose
        arguments are names, dotted names or numbers.

    Why is this bad?
        An f-string puts each value where it is printed; ``.format`` makes the reader count
        fields and arguments.

    Example:
        ```python bad
        def describe(n, unit):
            return "{} {}".format(n, unit)
        ```
        ```python good
        def describe(n, unit):
            return f"{n} {unit}"
        ```

    Fix safety:
        Safe: both call ``format(value, spec)`` on the same values, evaluated once each in
        the same order. Fields that index or read attributes, nested specs, keyword
        arguments, unused or repeated dotted arguments are left alone.
    """

    code = "KZ503"
    name = "str.format call"
    category = Category.MODERNIZATION
    applicability = Applicability.SAFE
    confidence = 0.85
    severity = 0.1
    prefilters = ((b".format", re.compile(rb"\.format\s*\(")),)
    pattern = """
    (call function: (attribute object: (string) @fmt attribute: (identifier) @method) arguments: (argument_list) @args
      (#eq? @method "format")) @call
    """

    def accept(self, ctx: Context, start: int, end: int) -> bool:
        return ctx.source[max(0, start - 40) : start].rstrip().endswith((b"'", b'"'))

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call, fmt, args = captures["call"][0], captures["fmt"][0], captures["args"][0]
        parts = plain_string(ctx, fmt)
        if parts is None or b"\\" in ctx.source[fmt.start_byte : fmt.end_byte]:
            return  # escapes: the literal's raw text and its value differ
        prefix, quote, content, end = parts
        if "r" in prefix.lower():
            return
        values: list[str] = []
        for arg in args.named_children:
            text = safe_expr(ctx, arg)
            if text is None:
                return
            values.append(text)
        if not values or b"#" in ctx.source[args.start_byte : args.end_byte]:
            return
        body = _fstring_body(content, values)
        if body is None:
            return
        new = f"{prefix}f{quote}{body}{end}"
        yield Finding(call, "`.format()` call: use an f-string", edits=[ctx.replace(call, new)])


def _fstring_body(content: str, values: list[str]) -> str | None:
    """The f-string text for ``content.format(*values)``, or None when the meaning could change."""
    try:
        fields = list(_FORMATTER.parse(content))
    except ValueError:
        return None
    out: list[str] = []
    auto = 0
    used: list[int] = []
    for literal, field, spec, conv in fields:
        out.append(escape_braces(literal))
        if field is None:
            continue
        if field == "":
            index = auto
            auto += 1
        elif field.isdigit():
            index = int(field)
        else:
            return None
        if index >= len(values) or (spec and ("{" in spec or "}" in spec)):
            return None
        if spec and any(c in spec for c in "'\"\\\n"):
            return None
        used.append(index)
        out.append("{" + values[index] + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "") + "}")
    if sorted(set(used)) != list(range(len(values))):
        return None  # an argument is never used: dropping it would skip its evaluation
    if used != sorted(used) and any("." in v for v in values):
        return None  # attribute reads would move
    if len(used) != len(set(used)) and any("." in values[i] for i in used):
        return None
    return "".join(out)
