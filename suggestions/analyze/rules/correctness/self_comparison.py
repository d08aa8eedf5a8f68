from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._exprs import has_side_effects, in_test_file, same_text
from suggestions.model import Applicability


class SelfComparison(Rule):
    """An expression compared with itself.

    What it does:
        Flags ``a.b < a.b``, ``x >= x``, ``y is y`` and the like, where both operands are
        spelled the same and contain no call. ``x == x`` and ``x != x`` are left alone
        (the NaN test idiom: hypothesis writes ``val == val``), and so are test modules,
        where comparing an object with itself checks its operators.

    Why is this bad?
        The result is fixed (``x < x`` is false even for NaN, ``x is x`` always true), so
        the condition does not test what it looks like it tests: usually one side was meant to be a
        different name (``other.x == self.x``).

    Example:
        ```python bad
        def smaller(a, b):
            return a.size < a.size
        ```
        ```python good
        def smaller(a, b):
            return a.size < b.size
        ```

    Fix safety:
        No automatic fix: which operand was meant needs the author.
    """

    code = "KZ130"
    name = "Self-comparison"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.85
    severity = 0.7
    query = """
    (comparison_operator . [(identifier) (attribute) (subscript)] @a
      . operators: ["<" ">" "<=" ">=" "is" "is not"] @op
      . [(identifier) (attribute) (subscript)] @b .
      (#eq? @a @b)) @cmp
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        cmp, a, b, op = captures["cmp"][0], captures["a"][0], captures["b"][0], captures["op"][0]
        if not same_text(ctx, a, b) or has_side_effects(a) or in_test_file(ctx):
            return
        yield Finding(
            cmp, f"`{ctx.text(a)}` is compared with itself (`{ctx.text(op)}`)", target=cmp
        )
