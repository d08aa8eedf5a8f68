from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import PRIMARY, PrefilteredRule
from suggestions.model import Applicability

_COMPARED = re.compile(rb"\)\s*(?:==|!=|>)\s*0\b")
# Where a comparison's value is only used for its truth.
_CONDITION_PARENTS = frozenset({"if_statement", "elif_clause", "while_statement", "if_clause"})
_BOOL_CONTEXT = frozenset({"boolean_operator", "not_operator", "parenthesized_expression"})


def _in_condition(node: tree_sitter.Node) -> bool:
    child, parent = node, node.parent
    while parent is not None and parent.type in _BOOL_CONTEXT:
        child, parent = parent, parent.parent
    if parent is None:
        return False
    if parent.type in _CONDITION_PARENTS:
        return parent.child_by_field_name("condition") == child or parent.type == "if_clause"
    if parent.type == "conditional_expression":
        named = parent.named_children
        return len(named) == 3 and named[1] == child
    return False


class LenComparison(PrefilteredRule):
    """Length compared with zero in a condition.

    What it does:
        Flags ``len(x) == 0``, ``len(x) != 0`` and ``len(x) > 0`` used as the condition of
        an ``if``, ``elif``, ``while``, conditional expression or comprehension filter.

    Why is this bad?
        Empty sequences are false and non-empty ones are true, so ``if not items:`` says
        the same thing more directly and works for any sized container without a call.

    Example:
        ```python bad
        def first(items):
            if len(items) == 0:
                return None
            return items[0]
        ```
        ```python good
        def first(items):
            if not items:
                return None
            return items[0]
        ```

    Fix safety:
        Unsafe: truthiness and length agree for the built-in containers, but not for every
        object with ``__len__`` (a NumPy array raises on ``bool()`` when it has more than
        one element, and a class may define ``__bool__`` differently).
    """

    code = "KZ401"
    name = "Length compared with zero"
    category = Category.SIMPLIFICATION
    applicability = Applicability.UNSAFE
    confidence = 0.8
    severity = 0.2
    prefilters = ((b"len", re.compile(rb"len\s*\(")),)
    pattern = """
    (comparison_operator
      . (call function: (identifier) @fn arguments: (argument_list . (_) @arg .))
      . ["==" "!=" ">"] @op
      . (integer) @zero .
      (#eq? @fn "len") (#eq? @zero "0")) @cmp
    """

    def accept(self, ctx: Context, start: int, end: int) -> bool:
        return _COMPARED.search(ctx.source, start, start + 400) is not None

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        cmp, arg, op = captures["cmp"][0], captures["arg"][0], captures["op"][0]
        if arg.type in (
            "list_splat",
            "dictionary_splat",
            "keyword_argument",
            "parenthesized_list_splat",
        ):
            return
        if not _in_condition(cmp):
            return
        text = ctx.text(arg)
        if arg.type not in PRIMARY:
            text = f"({text})"
        new = f"not {text}" if op.type == "==" else text
        yield Finding(
            cmp, f"`{ctx.text(cmp)}` in a condition: use `{new}`", edits=[ctx.replace(cmp, new)]
        )
