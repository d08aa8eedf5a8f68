from __future__ import annotations

from suggestions.analyze.framework import Category, LlmRule


class FixException(LlmRule):
    """A model's fix for an uncaught or repeatedly raised exception.

    What it does:
        When the latest trace recorded an exception that escaped, or one raised again and
        again, asks the configured model for a fix of the code it was raised in, with the
        traceback and the counts.

    Why is this bad?
        An uncaught exception is a crash; one raised thousands of times is a slow path or a
        hidden bug, and a static rule cannot say what the code should do instead.

    Example:
        ```python bad
        def ratio(done, total):
            return done / total  # ZeroDivisionError when nothing is to do
        ```
        ```python good
        def ratio(done, total):
            return done / total if total else 1.0
        ```

    Fix safety:
        Unsafe, as every model's rewrite: it is validated against the tests and never applies
        itself unless an auto-apply rule names it.
    """

    code = "KZ902"
    name = "Fix for a repeated exception"
    category = Category.CORRECTNESS
