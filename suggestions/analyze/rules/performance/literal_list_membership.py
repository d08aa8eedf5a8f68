from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import in_loop, is_simple_literal
from suggestions.model import Applicability, Edit


class LiteralListMembership(Rule):
    """Membership test against a list literal.

    What it does:
        Flags ``x in [a, b, c]`` (and ``not in``) where the list holds only constants.

    Why is this bad?
        A list is searched element by element, every time. A set literal of constants is
        built once at compile time (CPython stores it as a ``frozenset`` constant) and
        answers in constant time; it also says "membership" to the reader.

    Example:
        ```python bad
        for word in words:
            if word in ["a", "an", "the", "of"]:
                continue
        ```
        ```python good
        for word in words:
            if word in {"a", "an", "the", "of"}:
                continue
        ```

    Fix safety:
        The fix swaps the brackets for braces. It is unsafe because a set hashes the
        left operand: an unhashable value (a list, a dict) now raises ``TypeError`` where
        the list answered ``False``. For the strings and numbers this test usually sees,
        the result is identical.
    """

    code = "KZ201"
    name = "Membership test on a list literal"
    category = Category.PERFORMANCE
    applicability = Applicability.UNSAFE
    confidence = 0.8
    severity = 0.3
    query = '(comparison_operator operators: ["in" "not in"] . (list) @list .) @cmp'

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        cmp, lst = captures["cmp"][0], captures["list"][0]
        items = [c for c in lst.named_children if c.type != "comment"]
        if len(items) < 2 or not all(is_simple_literal(i) for i in items):
            return
        where = " inside a loop" if in_loop(cmp) is not None else ""
        yield Finding(
            lst,
            f"Membership test on a list literal{where}: use a set literal",
            edits=[
                Edit(lst.start_byte, lst.start_byte + 1, "{"),
                Edit(lst.end_byte - 1, lst.end_byte, "}"),
            ],
            target=cmp,
        )
