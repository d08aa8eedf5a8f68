from __future__ import annotations

from suggestions.analyze.framework import Category, RuntimeRule
from suggestions.model import Applicability


class DeadCode(RuntimeRule):
    """Functions never executed by a full test run (one note per module).

    What it does:
        From the latest trace of the whole test suite: lists, in one note per module, the
        functions of a module the tests imported that were never called, with their lines.
        The notes are out of the default list: ``kaizen suggest --never-ran`` and the filter
        bar's "Never ran" box show them.

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
