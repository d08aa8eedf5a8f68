from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import LOW_PRECEDENCE, PrefilteredRule
from suggestions.model import Applicability


class IfExprOr(PrefilteredRule):
    """Conditional expression that repeats its condition: ``x if x else y``.

    What it does:
        Flags ``x if x else y`` where ``x`` is a plain name.

    Why is this bad?
        ``x or y`` is the idiom for "``x`` unless it is falsy"; the conditional form
        repeats the name and hides the intent.

    Example:
        ```python bad
        def label(name):
            return name if name else "anonymous"
        ```
        ```python good
        def label(name):
            return name or "anonymous"
        ```

    Fix safety:
        Safe: both forms test ``x`` once and yield ``x`` itself or ``y``. Only names are
        matched, so nothing is evaluated a different number of times.
    """

    code = "KZ408"
    name = "Conditional expression instead of or"
    category = Category.SIMPLIFICATION
    applicability = Applicability.SAFE
    confidence = 0.9
    severity = 0.1
    prefilters = ((b"if", re.compile(rb"if\s+\w+\s+else\b")),)
    pattern = """
    (conditional_expression . (identifier) @body . "if" . (identifier) @test . "else" . (_) @other .
      (#eq? @body @test)) @expr
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        expr, body, other = captures["expr"][0], captures["body"][0], captures["other"][0]
        if b"#" in ctx.source[expr.start_byte : expr.end_byte]:
            return
        alt = ctx.text(other)
        if other.type in LOW_PRECEDENCE:
            alt = f"({alt})"
        new = f"{ctx.text(body)} or {alt}"
        yield Finding(expr, f"`{ctx.text(expr)}`: use `{new}`", edits=[ctx.replace(expr, new)])
