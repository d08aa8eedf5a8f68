from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.model import Applicability, Edit


class ExceptBoolOp(Rule):
    """``except A or B:`` (or ``and``) instead of a tuple.

    What it does:
        Flags an ``except`` clause whose class expression is ``A or B`` or ``A and B``,
        with or without parentheses.

    Why is this bad?
        ``A or B`` is evaluated first and gives just ``A`` (a class is truthy), so only
        ``A`` is caught and ``B`` propagates; ``A and B`` catches only ``B``. A tuple
        ``(A, B)`` catches both.

    Example:
        ```python bad
        def parse(text):
            try:
                return int(text)
            except ValueError or TypeError:
                return None
        ```
        ```python good
        def parse(text):
            try:
                return int(text)
            except (ValueError, TypeError):
                return None
        ```

    Fix safety:
        For ``or`` between plain names the fix writes a tuple. It is unsafe: the handler
        starts catching the other classes too, which is what the author meant but not
        what the code did.
    """

    code = "KZ143"
    name = "except with a boolean operator"
    category = Category.CORRECTNESS
    applicability = Applicability.UNSAFE
    confidence = 0.95
    severity = 0.8
    query = """
    (except_clause [(boolean_operator) @op
                    (parenthesized_expression . (boolean_operator) @op .)
                    (as_pattern . [(boolean_operator) @op
                                   (parenthesized_expression . (boolean_operator) @op .)])])
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        op = captures["op"][0]
        word = ctx.text(op.child_by_field_name("operator") or op)
        names = _operands(ctx, op)
        edits = None
        if word == "or" and names is not None:
            target = (
                op.parent
                if op.parent is not None and op.parent.type == "parenthesized_expression"
                else op
            )
            edits = [Edit(target.start_byte, target.end_byte, f"({', '.join(names)})")]
        caught = "the first class" if word == "or" else "the last class"
        yield Finding(
            op, f"`except {ctx.text(op)}` catches only {caught}: use a tuple", edits=edits
        )


def _operands(ctx: Context, op: tree_sitter.Node) -> list[str] | None:
    """The names joined by one kind of ``or``, flattened; None for anything else."""
    out: list[str] = []
    stack = [op]
    while stack:
        cur = stack.pop()
        if cur.type == "boolean_operator":
            operator = cur.child_by_field_name("operator")
            if operator is None or ctx.text(operator) != "or":
                return None
            right, left = cur.child_by_field_name("right"), cur.child_by_field_name("left")
            if right is None or left is None:
                return None
            stack.extend((right, left))
        elif cur.type in ("identifier", "attribute") and "\n" not in ctx.text(cur):
            out.append(ctx.text(cur))
        else:
            return None
    return out
