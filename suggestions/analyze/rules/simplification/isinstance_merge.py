from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import PrefilteredRule, is_simple_expr, rebound
from suggestions.model import Applicability


def _types(ctx: Context, node: tree_sitter.Node) -> list[str] | None:
    if is_simple_expr(node):
        return [ctx.text(node)]
    if node.type == "tuple" and all(is_simple_expr(c) for c in node.named_children):
        return [ctx.text(c) for c in node.named_children]
    return None


class IsinstanceMerge(PrefilteredRule):
    """Two ``isinstance`` calls on the same object joined with ``or``.

    What it does:
        Flags ``isinstance(x, A) or isinstance(x, B)``.

    Why is this bad?
        ``isinstance`` takes a tuple of types: ``isinstance(x, (A, B))`` states the test
        once and makes one call.

    Example:
        ```python bad
        def is_number(x):
            return isinstance(x, int) or isinstance(x, float)
        ```
        ```python good
        def is_number(x):
            return isinstance(x, (int, float))
        ```

    Fix safety:
        Safe when ``x`` is a name and the types are names or dotted names: the only
        difference is that ``B`` is looked up even when ``x`` is an ``A``. When ``x`` is
        an attribute it is read once instead of twice, so the fix is marked unsafe there.
    """

    code = "KZ413"
    name = "isinstance calls that can be merged"
    category = Category.SIMPLIFICATION
    applicability = Applicability.SAFE
    confidence = 0.9
    severity = 0.1
    prefilters = ((b"isinstance", re.compile(rb"or\s+isinstance\b")),)
    pattern = """
    (boolean_operator
      left: (call function: (identifier) @f1 arguments: (argument_list . (_) @x1 . "," . (_) @t1 .))
      operator: "or"
      right: (call function: (identifier) @f2 arguments: (argument_list . (_) @x2 . "," . (_) @t2 .))
      (#eq? @f1 "isinstance") (#eq? @f2 "isinstance") (#eq? @x1 @x2)) @expr
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        expr, x, t1, t2 = (
            captures["expr"][0],
            captures["x1"][0],
            captures["t1"][0],
            captures["t2"][0],
        )
        if not is_simple_expr(x) or rebound(ctx, "isinstance"):
            return
        a, b = _types(ctx, t1), _types(ctx, t2)
        if a is None or b is None or b"#" in ctx.source[expr.start_byte : expr.end_byte]:
            return
        new = f"isinstance({ctx.text(x)}, ({', '.join(a + b)}))"
        unsafe = None if x.type == "identifier" else Applicability.UNSAFE
        yield Finding(
            expr,
            f"Merge the isinstance calls: `{new}`",
            edits=[ctx.replace(expr, new)],
            applicability=unsafe,
        )
