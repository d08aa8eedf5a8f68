from __future__ import annotations

from collections.abc import Iterable

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._structure import ALL_LANGUAGES, STRUCTURE, functions, threshold
from suggestions.model import Applicability


class ComplexFunction(Rule):
    """Cyclomatic complexity too high.

    What it does:
        Flags a function (any language) whose cyclomatic complexity (1 + the number of
        decision points: ``if``/``elif``, loops, ``case`` arms, ``catch``/``except``,
        conditional expressions, ``&&``/``||``/``and``/``or``) exceeds
        ``thresholds.complexity`` (default 12).

    Why is this bad?
        Complexity counts the independent paths through the code: each needs its own test,
        and each is a place for a bug to hide.

    Example:
        ```python bad
        def grade(s):
            if s > 95: return "A+"
            if s > 90: return "A"
            if s > 85: return "B+"
            if s > 80: return "B"
            if s > 75: return "C+"
            if s > 70: return "C"
            if s > 65: return "D+"
            if s > 60: return "D"
            if s > 55: return "E+"
            if s > 50: return "E"
            if s > 45: return "F+"
            if s > 40: return "F"
            return "G"
        ```
        ```python good
        import bisect

        def grade(s):
            cut = [40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95]
            return "G F F+ E E+ D D+ C C+ B B+ A A+".split()[bisect.bisect_left(cut, s)]
        ```

    Fix safety:
        Display only: lowering complexity means redesigning the logic.
    """

    code = "KZ704"
    name = "Cyclomatic complexity too high"
    category = Category.STRUCTURE
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.6
    severity = 0.3
    languages = ALL_LANGUAGES
    facts = (STRUCTURE,)

    def check(self, ctx: Context) -> Iterable[Finding]:
        limit = threshold(ctx, "complexity")
        for f in functions(ctx):
            if f.complexity > limit:
                yield Finding(
                    f.name_node,
                    f"Function `{f.name}` has cyclomatic complexity {f.complexity} (limit {limit})",
                    evidence={"complexity": f.complexity, "threshold": limit},
                )
