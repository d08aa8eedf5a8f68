from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._pyfix import PRIMARY
from suggestions.model import Applicability


class YieldFrom(Rule):
    """``for`` loop that only re-yields each item.

    What it does:
        Flags ``for x in it: yield x`` (nothing else in the loop, no ``else``).

    Why is this bad?
        ``yield from it`` delegates to the iterable directly: shorter, faster, and it
        forwards ``send()``/``throw()`` to sub-generators.

    Example:
        ```python bad
        def chain(groups):
            for group in groups:
                for item in group:
                    yield item
        ```
        ```python good
        def chain(groups):
            for group in groups:
                yield from group
        ```

    Fix safety:
        Unsafe: ``yield from`` forwards ``send()``, ``throw()`` and ``close()`` to the
        inner iterator and does not leave the loop variable bound afterwards; code that
        relies on either behaves differently.
    """

    code = "KZ507"
    name = "Loop that re-yields items"
    category = Category.MODERNIZATION
    applicability = Applicability.UNSAFE
    confidence = 0.85
    severity = 0.1
    query = """
    (for_statement left: (identifier) @target right: (_) @iter
      body: (block . (expression_statement . (yield . (identifier) @value .) .) .)
      !alternative
      (#eq? @target @value)) @for
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        loop, iterable = captures["for"][0], captures["iter"][0]
        value = captures["value"][0]
        if value.parent is None or any(c.type == "from" for c in value.parent.children):
            return  # already `yield from`
        if any(c.type == "async" for c in loop.children):
            return
        func = loop.parent
        while func is not None and func.type not in ("function_definition", "lambda"):
            func = func.parent
        if func is None or any(c.type == "async" for c in func.children):
            return  # `yield from` is not allowed in async generators
        text = ctx.text(iterable)
        if iterable.type not in PRIMARY and iterable.type not in (
            "binary_operator",
            "unary_operator",
        ):
            text = f"({text})"
        if b"#" in ctx.source[loop.start_byte : loop.end_byte]:
            return
        yield Finding(
            loop,
            f"Loop re-yields each item: use `yield from {text}`",
            edits=[ctx.replace(loop, f"yield from {text}")],
        )
