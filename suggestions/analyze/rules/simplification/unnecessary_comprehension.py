from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import PrefilteredRule, rebound
from suggestions.model import Applicability

_CALL = {"list_comprehension": "list", "set_comprehension": "set"}


class UnnecessaryComprehension(PrefilteredRule):
    """Comprehension that copies its iterable unchanged.

    What it does:
        Flags ``[x for x in items]`` and ``{x for x in items}``.

    Why is this bad?
        A comprehension that neither transforms nor filters is ``list(items)`` or
        ``set(items)`` written the long way, and it runs a Python-level loop where the
        constructor copies in C.

    Example:
        ```python bad
        def snapshot(queue):
            return [job for job in queue]
        ```
        ```python good
        def snapshot(queue):
            return list(queue)
        ```

    Fix safety:
        Safe: the constructor iterates the same iterable once, in order, and builds the
        same collection. No fix for ``async for`` or when the file rebinds ``list``/``set``.
    """

    code = "KZ409"
    name = "Unnecessary comprehension"
    category = Category.SIMPLIFICATION
    applicability = Applicability.SAFE
    confidence = 0.9
    severity = 0.2
    prefilters = ((b"for", re.compile(rb"for\s+\w+\s+in\b")),)
    pattern = """
    (list_comprehension body: (identifier) @elt . (for_in_clause left: (identifier) @target right: (_) @iter) @clause .
      (#eq? @elt @target)) @comp
    (set_comprehension body: (identifier) @elt . (for_in_clause left: (identifier) @target right: (_) @iter) @clause .
      (#eq? @elt @target)) @comp
    """

    def accept(self, ctx: Context, start: int, end: int) -> bool:
        # Only `[x for x in` / `{x for x in`: the element name right before `for`.
        m = self.prefilters[0][1].match(ctx.source, start)
        name = ctx.source[start:end].split()[1] if m else b""
        before = ctx.source[max(0, start - 400) : start].rstrip()
        return (
            bool(name)
            and before.endswith(name)
            and before[: -len(name)].rstrip().endswith((b"[", b"{"))
        )

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        comp, clause, iterable = captures["comp"][0], captures["clause"][0], captures["iter"][0]
        if comp.named_child_count != 2 or any(c.type == "async" for c in clause.children):
            return
        if (
            len(clause.children_by_field_name("right")) != 1
            or b"#" in ctx.source[comp.start_byte : comp.end_byte]
        ):
            return
        fn = _CALL[comp.type]
        if rebound(ctx, fn):
            return
        new = f"{fn}({ctx.text(iterable)})"
        yield Finding(
            comp,
            f"`{ctx.text(comp)}` copies its iterable: use `{new}`",
            edits=[ctx.replace(comp, new)],
        )
