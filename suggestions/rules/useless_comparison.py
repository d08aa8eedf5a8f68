from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.framework import Category, Context, Finding, Rule
from suggestions.model import Applicability


class UselessComparison(Rule):
    """A comparison used as a statement, its result thrown away.

    What it does:
        Flags expression statements that are a bare ``==``/``!=``/``<`` ... comparison,
        such as ``count == 0`` on its own line.

    Why is this bad?
        The result is discarded, so the line does nothing: almost always ``=`` was meant
        (an assignment), or an ``assert`` is missing.

    Example:
        ```python bad
        def reset(state):
            state.count == 0
        ```
        ```python good
        def reset(state):
            state.count = 0
        ```

    Fix safety:
        No automatic fix: whether an assignment or an assertion was meant needs a human.
    """

    code = "KZ113"
    name = "Comparison result unused"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.85
    severity = 0.7
    query = """
    (expression_statement . (comparison_operator operators: ["==" "!=" "<" ">" "<=" ">="]) @cmp .)
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        cmp = captures["cmp"][0]
        # The last expression of a doctest-like console session or a notebook cell prints
        # its value; in a module only the REPL would. Nothing to exempt in .py files.
        yield Finding(cmp, f"Result of `{ctx.text(cmp)}` is unused: did you mean `=`?")
