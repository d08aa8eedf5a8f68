from __future__ import annotations

from suggestions.analyze.framework import Category, RuntimeRule
from suggestions.model import Applicability


class DeadCode(RuntimeRule):
    """Function never executed by a full test run.

    What it does:
        From the latest trace of the whole test suite: flags a function of a module the tests
        imported that was never called.

    Why is this bad?
        Code no test reaches is either dead (it costs reading and maintenance for nothing) or
        untested (a bug in it goes unnoticed): delete it or add a test.

    Example:
        ```python bad
        def legacy_export(rows):  # nothing calls it any more
            return ",".join(map(str, rows))
        ```
        ```python good
        def export(rows):  # called by the code and its tests
            return ",".join(map(str, rows))
        ```

    Fix safety:
        Display only: Kaizen never deletes code by itself. The function may be called from
        outside the tests (a plugin, a script, another package).
    """

    code = "KZ804"
    name = "Never executed"
    category = Category.STRUCTURE
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.4
