from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import noqa
from suggestions.analyze.rules._exprs import expects_error, has_side_effects, in_test_file
from suggestions.model import Applicability

_OPERATORS = frozenset({"binary_operator", "boolean_operator", "unary_operator", "not_operator"})
_DISPLAYS = frozenset({"list", "tuple", "dictionary", "set"})
_SPLATS = frozenset({"list_splat", "dictionary_splat", "parenthesized_list_splat"})


class UselessExpression(Rule):
    """An expression statement that computes a value and throws it away.

    What it does:
        Flags a statement that is only a number, ``True``/``False``/``None``, an
        arithmetic or boolean operation, or a list/tuple/dict/set display, with no call
        inside. String statements (docstrings, comments in quotes), ``...``, bare names
        (``__builtins__`` to "use" a name), subscripts (``d[k]`` creates the key of a
        defaultdict), attribute reads (a property may run code) and comparisons (KZ113)
        are left out,
        as are lines run to see them fail (a ``try`` body, ``with assertRaises``, ``1/0``)
        and DSL operators (``a >> b``, ``a | b``). In test modules, which evaluate
        operators and names to see them raise, only displays of plain values are
        reported (a tuple left from a lost ``append``).

    Why is this bad?
        The line has no effect: usually an assignment, a ``return``, an ``assert`` or a
        call was meant (``x + 1`` for ``x += 1``, ``result`` for ``return result``).

    Example:
        ```python bad
        def bump(counter):
            counter + 1
            return counter
        ```
        ```python good
        def bump(counter):
            counter += 1
            return counter
        ```

    Fix safety:
        No automatic fix: which statement was meant needs the author.
    """

    code = "KZ128"
    name = "Useless expression"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.8
    severity = 0.6
    query = """
    (expression_statement . [(integer) (float) (true) (false) (none)
      (binary_operator) (boolean_operator) (unary_operator) (not_operator)
      (list) (tuple) (dictionary) (set)] @expr .) @stmt
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        expr, stmt = captures["expr"][0], captures["stmt"][0]
        if has_side_effects(expr) or expects_error(ctx, stmt):
            return
        if in_test_file(ctx) and not _plain_display(expr):
            return  # tests evaluate `1/0`, `obj[k]`, `x + y`, `name` to see them raise
        if expr.type == "binary_operator":
            op = expr.child_by_field_name("operator")
            if op is not None and op.type in ("<<", ">>", "|", "@"):
                return  # DSL operators: pipelines (a | b), airflow (a >> b), matmul
            right = expr.child_by_field_name("right")
            if (
                op is not None
                and op.type in ("/", "//", "%")
                and right is not None
                and ctx.text(right) in ("0", "0.0")
            ):
                return  # `1/0`: raising ZeroDivisionError on purpose
        if noqa(ctx, stmt, "B018"):
            return
        kind = "operation" if expr.type in _OPERATORS else "expression"
        text = " ".join(ctx.text(expr).split())
        shown = text if len(text) <= 40 else text[:37] + "..."
        yield Finding(stmt, f"Useless {kind} `{shown}`: its value is discarded", target=stmt)


def _plain_display(node: tree_sitter.Node) -> bool:
    """A list/tuple/dict/set display of names, literals and nested displays only: the
    leftover of a lost ``append(...)`` or assignment, never an operator test."""
    if node.type not in _DISPLAYS:
        return False
    stack = list(node.named_children)
    while stack:
        cur = stack.pop()
        if cur.type in _SPLATS or cur.type in _OPERATORS or cur.type == "subscript":
            return False
        stack.extend(cur.named_children)
    return True
