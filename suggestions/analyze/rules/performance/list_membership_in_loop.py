from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import enclosing_scope, in_loop, simple_bindings
from suggestions.model import Applicability


class ListMembershipInLoop(Rule):
    """Membership test on a list variable inside a loop.

    What it does:
        Flags ``x in items`` inside a loop when ``items`` is built in the same function
        (or module) as a list: a list display, a list comprehension or ``list(...)``.

    Why is this bad?
        Each test scans the list, so the loop costs ``len(loop) * len(items)``
        comparisons. A set built once before the loop makes each test constant time.

    Example:
        ```python bad
        def known(names, allowed_names):
            allowed = [n.lower() for n in allowed_names]
            return [n for n in names if n in allowed]
        ```
        ```python good
        def known(names, allowed_names):
            allowed = {n.lower() for n in allowed_names}
            return [n for n in names if n in allowed]
        ```

    Fix safety:
        No automatic fix: the list may also be indexed, ordered or appended to elsewhere,
        and its items may be unhashable. Advice only.
    """

    code = "KZ202"
    name = "Membership test on a list in a loop"
    category = Category.PERFORMANCE
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.6
    severity = 0.4
    query = '(comparison_operator operators: ["in" "not in"] . (identifier) @name .) @cmp'

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        cmp, name_node = captures["cmp"][0], captures["name"][0]
        if in_loop(cmp) is None:
            return
        scope = enclosing_scope(cmp)
        if scope is None:
            return
        name = ctx.text(name_node)
        builds = _list_builds(ctx, scope, name)
        if not builds:
            return
        yield Finding(
            cmp,
            f"`{ctx.text(cmp)}` scans the list `{name}` on every iteration: build a set once",
            evidence={"built_at_line": builds[0]},
        )


def _list_builds(ctx: Context, scope: tree_sitter.Node, name: str) -> list[int]:
    """Lines that bind ``name`` to a fresh list, if that is all that binds it."""
    binds = simple_bindings(ctx, scope, name)
    if not all(head.startswith((b"[", b"list(")) for _, head in binds):
        return []
    return [line for line, _ in binds]
