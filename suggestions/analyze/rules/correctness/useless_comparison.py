from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.model import Applicability


class UselessComparison(Rule):
    """A comparison used as a statement, its result thrown away.

    What it does:
        Flags expression statements that are a bare ``==``/``!=``/``<`` ... comparison,
        such as ``count == 0`` on its own line. Not inside a ``with`` block that watches
        for an exception or a warning (``assertRaises``, ``pytest.raises``, ``warns``,
        ``suppress``...), where the comparison runs for what it raises.

    Why is this bad?
        The result is discarded, so the line does nothing: almost always ``=`` was meant
        (an assignment), or an ``assert`` is missing.

    Example:
        ```python bad
        def reset(state):
            state.count == 0
        ```
        ```python good
        def reset(state):
            state.count = 0
        ```

    Fix safety:
        No automatic fix: whether an assignment or an assertion was meant needs a human.
    """

    code = "KZ113"
    name = "Comparison result unused"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.85
    severity = 0.7
    query = """
    (expression_statement . (comparison_operator operators: ["==" "!=" "<" ">" "<=" ">="]) @cmp .)
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        cmp = captures["cmp"][0]
        if _checked_by_context(ctx, cmp):
            return
        yield Finding(cmp, f"Result of `{ctx.text(cmp)}` is unused: did you mean `=`?")


# Context managers that watch the block for an exception or a warning: a comparison run
# inside one is evaluated for what it raises (three quarters of the standard library's
# unused comparisons are in ``with self.assertRaises(TypeError):`` blocks).
_WATCHERS = ("raises", "warns", "warning", "deprecat", "suppress", "assertlogs")


def _checked_by_context(ctx: Context, node: tree_sitter.Node) -> bool:
    stmt = node.parent
    block = stmt.parent if stmt is not None else None
    owner = block.parent if block is not None else None
    if owner is None or owner.type != "with_statement":
        return False
    clause = next((c for c in owner.children if c.type == "with_clause"), None)
    text = ctx.text(clause).lower() if clause is not None else ""
    return any(w in text for w in _WATCHERS)
