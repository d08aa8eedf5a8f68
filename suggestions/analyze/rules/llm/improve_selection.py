from __future__ import annotations

from suggestions.analyze.framework import Category, LlmRule


class ImproveSelection(LlmRule):
    """A model's improvement of code picked by hand.

    What it does:
        Asks the configured model to improve a region of code given by path and lines (a
        one-line pick grows to its function), with an optional request in the user's words
        ("make this faster"). Only the Python API makes these targets
        (``Target.from_selection``): no front end offers the pick yet.

    Why is this bad?
        The code someone points at is the code they want better, and what "better" means
        there is theirs to say: the rules cannot know it.

    Example:
        ```python bad
        def names(users):
            result = []
            for u in users:
                result.append(u.name.strip().title())
            return result
        ```
        ```python good
        def names(users):
            return [u.name.strip().title() for u in users]
        ```

    Fix safety:
        Unsafe, as every model's rewrite: it is validated against the tests and never applies
        itself unless an auto-apply rule names it.
    """

    code = "KZ905"
    name = "Improvement of picked code"
    category = Category.STRUCTURE
