from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.model import Applicability, Edit


class AnyAllList(Rule):
    """List comprehension passed to ``any()`` or ``all()``.

    What it does:
        Flags ``any([...])`` and ``all([...])`` whose only argument is a list
        comprehension.

    Why is this bad?
        The list is built completely before ``any``/``all`` look at it, so they cannot
        stop at the first decisive item, and the whole list sits in memory. A generator
        expression short-circuits.

    Example:
        ```python bad
        ok = all([check(x) for x in items])
        ```
        ```python good
        ok = all(check(x) for x in items)
        ```

    Fix safety:
        The fix drops the brackets. Unsafe: after short-circuiting, the remaining items
        are never evaluated, so side effects in the comprehension (calls that log, count
        or mutate) no longer happen for them.
    """

    code = "KZ210"
    name = "List comprehension in any()/all()"
    category = Category.PERFORMANCE
    applicability = Applicability.UNSAFE
    confidence = 0.85
    severity = 0.3
    query = """
    (call function: (identifier) @fn arguments: (argument_list . (list_comprehension) @comp .)
      (#any-of? @fn "any" "all")) @call
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        comp, fn = captures["comp"][0], captures["fn"][0]
        args = captures["call"][0].child_by_field_name("arguments")
        if args is not None and args.named_child_count != 1:
            return  # a trailing comment or more arguments: leave it
        yield Finding(
            comp,
            f"`{ctx.text(fn)}()` over a list comprehension cannot short-circuit: use a generator",
            edits=[
                Edit(comp.start_byte, comp.start_byte + 1, ""),
                Edit(comp.end_byte - 1, comp.end_byte, ""),
            ],
            target=captures["call"][0],
        )
