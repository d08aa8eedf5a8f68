from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.model import Applicability


class NotIn(Rule):
    """Negated membership or identity test written with a leading ``not``.

    What it does:
        Flags ``not x in y`` and ``not x is y``.

    Why is this bad?
        ``x not in y`` and ``x is not y`` are single operators that read the way the
        condition is meant; the leading ``not`` makes the reader check what it applies to.

    Example:
        ```python bad
        def missing(key, table):
            return not key in table
        ```
        ```python good
        def missing(key, table):
            return key not in table
        ```

    Fix safety:
        Safe: ``not (x in y)`` and ``x not in y`` are the same operation by definition.
    """

    code = "KZ407"
    name = "Negated membership test"
    category = Category.SIMPLIFICATION
    applicability = Applicability.SAFE
    confidence = 0.95
    severity = 0.1
    query = """
    (not_operator argument: (comparison_operator . (_) @left . ["in" "is"] @op . (_) @right .)) @not
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        node, left, op, right = (
            captures["not"][0],
            captures["left"][0],
            captures["op"][0],
            captures["right"][0],
        )
        if node.child_by_field_name("argument") is None or node.named_child_count != 1:
            return
        arg = node.named_children[0]
        if arg.named_child_count != 2 or len(arg.children) != 3:
            return  # a chained comparison: `not a in b in c`
        negated = "not in" if op.type == "in" else "is not"
        new = f"{ctx.text(left)} {negated} {ctx.text(right)}"
        yield Finding(node, f"`{ctx.text(node)}`: use `{negated}`", edits=[ctx.replace(node, new)])
