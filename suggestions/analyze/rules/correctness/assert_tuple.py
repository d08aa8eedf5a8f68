from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import noqa
from suggestions.model import Applicability


class AssertTuple(Rule):
    """``assert`` on a non-empty tuple.

    What it does:
        Flags ``assert (condition, "message")`` and any ``assert`` whose test is a
        non-empty tuple.

    Why is this bad?
        A non-empty tuple is always true, so the assertion can never fail: the check the
        author wanted does not happen. CPython warns: ``SyntaxWarning: assertion is always
        true``.

    Example:
        ```python bad
        assert (count > 0, "count must be positive")
        ```
        ```python good
        assert count > 0, "count must be positive"
        ```

    Fix safety:
        For a two-element tuple the fix drops the parentheses, making the first element
        the test and the second the message. It is unsafe by nature: the assertion starts
        checking, so code that ran before may now raise ``AssertionError``. Other tuples
        get no fix.
    """

    code = "KZ106"
    name = "Assert on a tuple"
    category = Category.CORRECTNESS
    applicability = Applicability.UNSAFE
    confidence = 0.98
    severity = 0.8
    query = "(assert_statement . (tuple) @tuple) @stmt"

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        tup, stmt = captures["tuple"][0], captures["stmt"][0]
        items = [c for c in tup.named_children if c.type != "comment"]
        if not items:
            return
        edits = None
        if (
            len(items) == 2
            and stmt.named_child_count == 1
            and items[0].type not in ("list_splat", "parenthesized_list_splat")
            and items[1].type != "list_splat"
        ):
            test, message = (_keep_lines(ctx.text(i)) for i in items)
            edits = [ctx.replace(tup, f"{test}, {message}")]
        if noqa(ctx, stmt, "F631"):
            return  # already marked deliberate for flake8/ruff
        yield Finding(
            stmt, "`assert` on a non-empty tuple is always true", edits=edits, target=stmt
        )


def _keep_lines(text: str) -> str:
    # Outside the tuple's parentheses a line break would end the statement.
    return f"({text})" if "\n" in text else text
