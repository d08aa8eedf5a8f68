from __future__ import annotations

from suggestions.analyze.framework import Category, LlmRule


class FixFailingTest(LlmRule):
    """A model's fix for a test that failed in the latest traced run.

    What it does:
        When a test failed in the latest trace, asks the configured model for a fix: the
        request holds the traceback, the test and the project code it runs through (the
        deepest project frame first, or, when the assertion failed in the test itself, the
        project functions the test calls).

    Why is this bad?
        A failing test is a bug, or a test that no longer says what the code does; both
        block every other change, since a suggestion is validated against the test suite.

    Example:
        ```python bad
        def mean(values):
            return sum(values) / len(values) + 1  # test_mean fails
        ```
        ```python good
        def mean(values):
            return sum(values) / len(values)
        ```

    Fix safety:
        Unsafe, as every model's rewrite: it is validated (the failing test must pass, the
        others keep passing) and never applies itself unless an auto-apply rule names it.
    """

    code = "KZ901"
    name = "Fix for a failing test"
    category = Category.CORRECTNESS
