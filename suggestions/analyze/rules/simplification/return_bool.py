from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import LOW_PRECEDENCE, PRIMARY, PrefilteredRule, rebound
from suggestions.model import Applicability

# Operators whose result is always a bool, whatever the operands.
_BOOL_OPS = frozenset({"in", "not in", "is", "is not"})
_NEGATE = {"in": "not in", "not in": "in", "is": "is not", "is not": "is"}


# Builtins whose result is an int, a str or a bool whatever the argument (len() insists on an
# int from __len__, isinstance() on a bool), so comparing two of them gives a bool.
_PLAIN_CALLS = frozenset({"len", "isinstance", "issubclass", "hasattr", "callable", "bool", "id", "ord", "chr"})
_BOOL_CALLS = frozenset({"isinstance", "issubclass", "hasattr", "callable", "bool"})
_LITERALS = frozenset({"integer", "float", "string", "true", "false", "none", "concatenated_string"})


def _bare(node: tree_sitter.Node) -> tree_sitter.Node:
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def _builtin_call(ctx: Context, node: tree_sitter.Node, names: frozenset[str]) -> bool:
    if node.type != "call":
        return False
    func = node.child_by_field_name("function")
    return func is not None and func.type == "identifier" and ctx.text(func) in names and not rebound(
        ctx, ctx.text(func))


def _plain(ctx: Context, node: tree_sitter.Node) -> bool:
    """A literal, or a builtin call whose result is an int, str or bool: ``==`` on two is a bool."""
    node = _bare(node)
    if node.type == "string" and any(c.type == "interpolation" for c in node.named_children):
        return True  # an f-string is a str too
    return node.type in _LITERALS or _builtin_call(ctx, node, _PLAIN_CALLS)


def _always_bool(ctx: Context, node: tree_sitter.Node) -> bool:
    node = _bare(node)
    if node.type == "not_operator" or _builtin_call(ctx, node, _BOOL_CALLS):
        return True
    if node.type == "comparison_operator":
        ops = [c.type for c in node.children if not c.is_named]
        if all(op in _BOOL_OPS for op in ops):
            return True
        # ``len(x) == 0``: every operand a plain int/str/bool, so the comparison is a bool.
        return all(_plain(ctx, c) for c in node.named_children)
    return False


def _negated(ctx: Context, node: tree_sitter.Node) -> str | None:
    """``node`` negated without ``not (...)``, exactly and still a bool; None when not possible."""
    node = _bare(node)
    if node.type == "comparison_operator" and len(node.children) == 3:
        op = node.children[1].type
        left, right = node.children[0], node.children[2]
        flip = _NEGATE.get(op)
        if flip is None and op in ("==", "!=") and _plain(ctx, left) and _plain(ctx, right):
            flip = "!=" if op == "==" else "=="  # exact for ints, strs and bools
        if flip is not None:
            return f"{ctx.text(left)} {flip} {ctx.text(right)}"
    if node.type == "not_operator" and node.named_child_count == 1 and _always_bool(ctx, node.named_children[0]):
        inner = node.named_children[0]
        return f"({ctx.text(inner)})" if inner.type in LOW_PRECEDENCE or inner.type == "boolean_operator" else ctx.text(
            inner)
    return None


def _de_morgan(ctx: Context, node: tree_sitter.Node) -> str | None:
    """``not (a and b != c)`` as ``not a or b == c``: only when every part negates exactly to a
    bool (so the ``or`` of them is a bool too) and at least one without a ``not``."""
    node = _bare(node)
    if node.type != "boolean_operator":
        return None
    op = node.children[1].type
    parts: list[tree_sitter.Node] = []
    todo = [node]
    while todo:  # a flat chain of one operator
        n = _bare(todo.pop())
        if n.type == "boolean_operator" and n.children[1].type == op:
            todo += [n.children[2], n.children[0]]
        else:
            parts.append(n)
    out: list[str] = []
    for part in parts:
        neg = _negated(ctx, part)
        if neg is None and part.type in PRIMARY:
            neg = f"not {ctx.text(part)}"
        if neg is None:
            return None
        out.append(neg)
    if all(x.startswith("not ") for x in out):
        return None  # `not a or not b` is no simpler than `not (a and b)`
    return f" {'or' if op == 'and' else 'and'} ".join(out)


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
        ``if`` does; the bare condition is returned when it is already a ``bool``: ``not``,
        ``in``, ``not in``, ``is``, ``is not``, ``isinstance()``/``hasattr()``/``callable()``,
        and ``==``/``!=`` (or an ordering) between literals and ``len()``-like builtins,
        which give ints, strs or bools (``len(self.entries) == 0``). The inverted form
        negates exactly: ``is``/``in`` flip, ``==``/``!=`` flip only between such plain
        values (a class may define ``__ne__`` apart from ``__eq__``), and ``not (a and
        b != c)`` becomes ``not a or b == c`` by De Morgan only when every part negates to a
        bool (truthiness and short-circuiting are the same); otherwise ``not (...)`` stays.
        No fix when a comment would be lost or ``bool`` is rebound in the file.
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
        exact = _negated(ctx, cond) if inverted else None
        morgan = _de_morgan(ctx, cond) if inverted and exact is None else None
        if inverted and negated is not None:
            left, right = cond.children[0], cond.children[2]
            value = f"{ctx.text(left)} {negated} {ctx.text(right)}"
        elif exact is not None:
            value = exact
        elif morgan is not None:
            value = morgan
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
