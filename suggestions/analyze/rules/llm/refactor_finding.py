from __future__ import annotations

from suggestions.analyze.framework import Category, LlmRule


class RefactorFinding(LlmRule):
    """A model's refactoring for a structural finding that has no automatic fix.

    What it does:
        For the structure findings (KZ7xx: long or complex functions, deep nesting, too many
        parameters, duplicate blocks) that no rule can fix, asks the configured model for a
        refactoring of the whole function, with the findings that point at it.

    Why is this bad?
        Code that is too long, too nested or duplicated is hard to read and to change, and
        splitting it well takes judgement a pattern does not have.

    Example:
        ```python bad
        def report(rows):
            out = []
            for r in rows:
                if r:
                    if r[0]:
                        out.append(str(r[0]))
            return out
        ```
        ```python good
        def report(rows):
            return [str(r[0]) for r in rows if r and r[0]]
        ```

    Fix safety:
        Unsafe, as every model's rewrite: it is validated against the tests and never applies
        itself unless an auto-apply rule names it.
    """

    code = "KZ904"
    name = "Refactoring of a structural finding"
    category = Category.STRUCTURE
