from __future__ import annotations

from collections.abc import Iterable

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._structure import ALL_LANGUAGES, STRUCTURE, functions, threshold
from suggestions.model import Applicability


class DeepNesting(Rule):
    """Blocks nested too deeply.

    What it does:
        Flags a function (any language) whose control blocks (``if``, loops, ``try``,
        ``with``, ``switch``/``match``) nest deeper than ``thresholds.nesting`` (default
        4). An ``else if`` continues its chain and adds no level.

    Why is this bad?
        Every level is one more condition the reader has to hold in mind. Early returns,
        guard clauses and extracted helpers flatten the code.

    Example:
        ```python bad
        def scan(rows):
            for row in rows:
                if row:
                    for cell in row:
                        if cell:
                            while cell.busy:
                                cell.wait()
        ```
        ```python good
        def scan(rows):
            for cell in cells(rows):
                wait_idle(cell)
        ```

    Fix safety:
        Display only: restructuring control flow needs judgment.
    """

    code = "KZ703"
    name = "Nesting too deep"
    category = Category.STRUCTURE
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.6
    severity = 0.3
    languages = ALL_LANGUAGES
    facts = (STRUCTURE,)

    def check(self, ctx: Context) -> Iterable[Finding]:
        limit = threshold(ctx, "nesting")
        for f in functions(ctx):
            if f.max_depth > limit and f.deepest is not None:
                yield Finding(
                    f.name_node,
                    f"Function `{f.name}` nests blocks {f.max_depth} deep (limit {limit})",
                    evidence={
                        "depth": f.max_depth,
                        "threshold": limit,
                        "deepest_line": f.deepest.start_point[0] + 1,
                    },
                )
