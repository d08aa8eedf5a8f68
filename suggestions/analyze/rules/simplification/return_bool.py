from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import LOW_PRECEDENCE, PrefilteredRule, rebound
from suggestions.model import Applicability

# Operators whose result is always a bool, whatever the operands.
_BOOL_OPS = frozenset({"in", "not in", "is", "is not"})
_NEGATE = {"in": "not in", "not in": "in", "is": "is not", "is not": "is"}


def _always_bool(ctx: Context, node: tree_sitter.Node) -> bool:
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    if node.type == "not_operator":
        return True
    if node.type == "comparison_operator":
        return all(c.type in _BOOL_OPS for c in node.children if not c.is_named)
    return False


class ReturnBool(PrefilteredRule):
    """``if``/``else`` that returns ``True`` or ``False``.

    What it does:
        Flags ``if cond: return True`` followed by ``else: return False`` (or by a plain
        ``return False``), and the inverted form.

    Why is this bad?
        Four lines restate the condition's truth value; ``return bool(cond)`` (or
        ``return cond`` when it is already a ``bool``) says it in one.

    Example:
        ```python bad
        def is_admin(user, admins):
            if user in admins:
                return True
            else:
                return False
        ```
        ```python good
        def is_admin(user, admins):
            return user in admins
        ```

    Fix safety:
        Safe: ``bool(cond)`` evaluates the condition once and converts it exactly as
        ``if`` does; the bare condition is kept only for ``not``, ``in``, ``not in``,
        ``is`` and ``is not``, which always produce a ``bool``. No fix when a comment
        would be lost or ``bool`` is rebound in the file.
    """

    code = "KZ403"
    name = "Condition returned through if/else"
    category = Category.SIMPLIFICATION
    applicability = Applicability.SAFE
    confidence = 0.9
    severity = 0.2
    prefilters = (
        (b"True", re.compile(rb"return\s+True\b")),
        (b"False", re.compile(rb"return\s+False\b")),
    )
    pattern = """
    (if_statement
      condition: (_) @cond
      consequence: (block . (return_statement . [(true) (false)] @first .) .)
      alternative: (else_clause body: (block . (return_statement . [(true) (false)] @second .) .))) @stmt
    (block
      (if_statement
        condition: (_) @cond
        consequence: (block . (return_statement . [(true) (false)] @first .) .)
        !alternative) @stmt
      .
      (return_statement . [(true) (false)] @second .) @after)
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        stmt, cond = captures["stmt"][0], captures["cond"][0]
        first, second = captures["first"][0], captures["second"][0]
        if first.type == second.type:
            return
        end = captures["after"][0].end_byte if "after" in captures else stmt.end_byte
        inverted = first.type == "false"
        text = ctx.text(cond)
        negated = (
            _NEGATE.get(cond.children[1].type)
            if cond.type == "comparison_operator" and len(cond.children) == 3
            else None
        )
        if inverted and negated is not None:
            left, right = cond.children[0], cond.children[2]
            value = f"{ctx.text(left)} {negated} {ctx.text(right)}"
        elif inverted and cond.type == "not_operator" and cond.named_child_count == 1:
            value = f"bool({ctx.text(cond.named_children[0])})"
        elif inverted:
            value = (
                f"not ({text})"
                if cond.type in LOW_PRECEDENCE or cond.type == "boolean_operator"
                else f"not {text}"
            )
        elif _always_bool(ctx, cond):
            value = f"({text})" if cond.type in LOW_PRECEDENCE else text
        else:
            value = f"bool({text})"
        region = ctx.source[cond.end_byte : end]
        edits = None
        if b"#" not in region and not (value.startswith("bool(") and rebound(ctx, "bool")):
            from suggestions.model import Edit

            edits = [Edit(stmt.start_byte, end, f"return {value}")]
        yield Finding(stmt, f"`if` returning True/False: use `return {value}`", edits=edits)
