from __future__ import annotations

from collections.abc import Iterable

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._structure import ALL_LANGUAGES, STRUCTURE, functions, threshold
from suggestions.model import Applicability

_BODY = "\n".join(f"            total += {i}" for i in range(80))


class LongFunction(Rule):
    __doc__ = f"""Function too long.

    What it does:
        Flags a function (any language) longer than ``thresholds.function-lines`` lines
        (default 80), counted from its header to its last line.

    Why is this bad?
        A long function does several things at once: it is harder to name, to test and to
        change without breaking one of them. Splitting it into named steps documents the
        algorithm.

    Example:
        ```python bad
        def report():
            total = 0
{_BODY}
            return total
        ```
        ```python good
        def report():
            return sum(range(80))
        ```

    Fix safety:
        Display only: how to split a function is a design decision (the LLM engine can
        propose candidates, validated against the tests).
    """

    code = "KZ701"
    name = "Function too long"
    category = Category.STRUCTURE
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.6
    severity = 0.3
    languages = ALL_LANGUAGES
    facts = (STRUCTURE,)

    def check(self, ctx: Context) -> Iterable[Finding]:
        limit = threshold(ctx, "function-lines")
        for f in functions(ctx):
            if f.lines > limit:
                yield Finding(
                    f.name_node,
                    f"Function `{f.name}` is {f.lines} lines long (limit {limit})",
                    evidence={
                        "lines": f.lines,
                        "threshold": limit,
                        "end_line": f.node.end_point[0] + 1,
                    },
                )
