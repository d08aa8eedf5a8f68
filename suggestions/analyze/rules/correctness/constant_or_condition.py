from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._exprs import literal_string
from suggestions.model import Applicability


class ConstantOrCondition(Rule):
    """``if x == "a" or "b":``, a condition that is always true.

    What it does:
        Flags an ``if`` / ``elif`` / ``while`` / ``assert`` / conditional-expression test of
        the form ``<comparison> or "literal"`` (or a non-zero number), where the right
        operand of ``or`` is a truthy constant.

    Why is this bad?
        ``or`` does not distribute over ``==``: ``x == "a" or "b"`` means
        ``(x == "a") or "b"``, and a non-empty string is true, so the branch always runs.
        ``x in ("a", "b")`` was meant.

    Example:
        ```python bad
        def is_python(ext):
            if ext == ".py" or ".pyw":
                return True
            return False
        ```
        ```python good
        def is_python(ext):
            if ext in (".py", ".pyw"):
                return True
            return False
        ```

    Fix safety:
        No automatic fix: the intended set of values needs the author.
    """

    code = "KZ146"
    name = "Condition always true (or with a constant)"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.95
    severity = 0.8
    query = """
    (if_statement condition: (boolean_operator left: (comparison_operator) operator: "or"
      right: [(string) (concatenated_string) (integer) (float)] @const) @cond)
    (elif_clause condition: (boolean_operator left: (comparison_operator) operator: "or"
      right: [(string) (concatenated_string) (integer) (float)] @const) @cond)
    (while_statement condition: (boolean_operator left: (comparison_operator) operator: "or"
      right: [(string) (concatenated_string) (integer) (float)] @const) @cond)
    (assert_statement . (boolean_operator left: (comparison_operator) operator: "or"
      right: [(string) (concatenated_string) (integer) (float)] @const) @cond)
    (conditional_expression . (_) . (boolean_operator left: (comparison_operator) operator: "or"
      right: [(string) (concatenated_string) (integer) (float)] @const) @cond)
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        cond, const = captures["cond"][0], captures["const"][0]
        if const.type in ("integer", "float"):
            try:
                truthy = float(ctx.text(const).replace("_", "")) != 0
            except ValueError:
                return
        else:
            value = literal_string(ctx, const)
            truthy = bool(value)
        if not truthy:
            return
        yield Finding(
            cond,
            f"`... or {ctx.text(const)}` is always true: did you mean `in (...)`?",
            target=cond,
        )
