from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import noqa
from suggestions.analyze.rules._compare import comparisons, operand_pattern
from suggestions.model import Applicability


class BoolComparison(Rule):
    """Comparison to ``True`` or ``False`` with ``==`` or ``!=``.

    What it does:
        Flags ``x == True``, ``x != False`` and the like.

    Why is this bad?
        ``1 == True`` and ``0 == False`` hold, so ``== True`` silently accepts integers and
        other objects whose ``__eq__`` says so. Either the truth value was meant (write
        ``if x:``) or the exact ``bool`` was meant (write ``x is True``).

    Example:
        ```python bad
        if flag == True:
            print("on")
        ```
        ```python good
        if flag is True:
            print("on")
        ```

    Fix safety:
        The fix writes ``is`` / ``is not``. It is unsafe: ``1 == True`` was true and
        ``1 is True`` is false, so code that passes ``1`` or a NumPy bool changes
        behaviour. Review whether plain truthiness (``if flag:``) was meant instead.
    """

    code = "KZ104"
    name = "Comparison to True/False with =="
    category = Category.CORRECTNESS
    applicability = Applicability.UNSAFE
    confidence = 0.6
    severity = 0.3
    query = operand_pattern('"==" "!="', "(true) (false)")

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        for cmp, op, lit in comparisons(ctx, "KZ104.seen", captures):
            new = "is" if op.type == "==" else "is not"
            if noqa(ctx, cmp, "E712"):
                continue  # already marked deliberate for flake8/ruff
            yield Finding(
                cmp,
                f"Comparison to {ctx.text(lit)} with `{ctx.text(op)}`: use `{new}` or plain truthiness",
                edits=[ctx.replace(op, new)],
            )
