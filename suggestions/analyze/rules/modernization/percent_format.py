from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._format import escape_braces, plain_string, safe_expr
from suggestions.analyze.rules._pyfix import PrefilteredRule
from suggestions.model import Applicability

# %s -> {x} (format(x, "") is str(x) by convention, not by law: see Fix safety),
# %r -> {x!r}, %a -> {x!a} (exact: the str they give formats as itself).
_SPEC = re.compile(r"%(.)", re.S)
_CONVERSIONS = {"s": "", "r": "!r", "a": "!a"}
_LITERALS = frozenset({"integer", "float", "string", "concatenated_string"})
_UNSAFE = ("`%s` calls str(x), an f-string's `{x}` calls format(x, ''): the same for every built-in "
           "type and by Python's convention, but a class may define __format__ otherwise (a mixed-in "
           "Enum before Python 3.12 formats as its value and prints as its name): check the types.")


class PercentFormat(PrefilteredRule):
    """``%`` formatting with simple arguments.

    What it does:
        Flags ``"... %s ..." % (a, b)`` whose placeholders are all ``%s``, ``%r`` or ``%a``
        (and ``%%``) and whose arguments are names, dotted names or numbers in a tuple.

    Why is this bad?
        An f-string puts each value where it appears in the text, so the reader does not
        have to match placeholders to a tuple by position.

    Example:
        ```python bad
        def greet(name, town):
            return "Hello %s from %s" % (name, town)
        ```
        ```python good
        def greet(name, town):
            return f"Hello {name} from {town}"
        ```

    Fix safety:
        ``%r``/``%a`` become ``!r``/``!a``, which call the same ``repr``/``ascii``: exact.
        ``%s`` becomes a bare ``{x}`` (not the redundant-looking ``{x!s}``): ``%s`` calls
        ``str(x)``, the f-string calls ``format(x, "")``. Python's convention is that an
        empty format spec gives ``str(x)``, and every built-in type keeps it, but a class
        may define ``__format__`` otherwise (a mixed-in ``Enum`` before Python 3.12 formats
        as its value and prints as its name). So the fix is safe when every ``%s`` value is
        a literal, and unsafe (check the types) otherwise. Arguments are evaluated once
        each, in the same order. A non-tuple right operand is never matched (it might be a
        tuple at run time).
    """

    code = "KZ502"
    name = "printf-style formatting"
    category = Category.MODERNIZATION
    applicability = Applicability.SAFE
    confidence = 0.85
    severity = 0.1
    prefilters = ((b"%", re.compile(rb"%\s*\(")),)
    pattern = """
    (binary_operator left: (string) @fmt operator: "%" right: (tuple) @args) @expr
    """

    def accept(self, ctx: Context, start: int, end: int) -> bool:
        return (
            ctx.source[max(0, start - 40) : start].rstrip().endswith((b"'", b'"'))
        )  # a literal on the left

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        expr, fmt, args = captures["expr"][0], captures["fmt"][0], captures["args"][0]
        parts = plain_string(ctx, fmt)
        if parts is None:
            return
        prefix, quote, content, end = parts
        if "\\N" in content:
            return  # `\N{NAME}` escapes keep their braces in an f-string
        values: list[str] = []
        literal: list[bool] = []
        for arg in args.named_children:
            text = safe_expr(ctx, arg)
            if text is None:
                return
            values.append(text)
            literal.append(arg.type in _LITERALS)
        exact = True
        out: list[str] = []
        pos = 0
        used = 0
        for m in _SPEC.finditer(content):
            out.append(escape_braces(content[pos : m.start()]))
            spec = m.group(1)
            if spec == "%":
                out.append("%")
            elif spec in _CONVERSIONS and used < len(values):
                out.append("{" + values[used] + _CONVERSIONS[spec] + "}")
                exact = exact and (spec != "s" or literal[used])
                used += 1
            else:
                return
            pos = m.end()
        if "%" in content[pos:]:
            return  # a dangling `%`: the original raises, keep it that way
        out.append(escape_braces(content[pos:]))
        if used != len(values) or used == 0:
            return
        new = f"{prefix}f{quote}{''.join(out)}{end}"
        if b"#" in ctx.source[fmt.end_byte : args.end_byte]:
            return
        yield Finding(expr, "`%` formatting: use an f-string", edits=[ctx.replace(expr, new)],
                      applicability=None if exact else Applicability.UNSAFE, rationale="" if exact else _UNSAFE)
