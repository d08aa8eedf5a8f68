from __future__ import annotations

from suggestions.analyze.framework import Category, RuntimeRule
from suggestions.model import Applicability


class HotException(RuntimeRule):
    """Exception raised thousands of times and caught: control flow.

    What it does:
        From the latest trace: flags the ``try``/``except`` around a line that raised the
        same exception at least 1,000 times, nine times in ten caught, with the raise count
        and advice for that exception (``dict.get``, ``getattr`` with a default, a length
        check...). The ``x = d[k]`` / ``return d[k]`` form with a ``KeyError`` handler gets a
        fix; the others are advice.

    Why is this bad?
        Raising and catching costs far more than a check: an exception used as control flow
        in a hot loop is slow, and it reads as an error when it is the normal case.

    Example:
        ```python bad
        def lookup(table, key):
            try:
                return table[key]
            except KeyError:
                return 0
        ```
        ```python good
        def lookup(table, key):
            return table.get(key, 0)
        ```

    Fix safety:
        The fix rewrites the ``try`` as ``d.get(key, default)``. It is unsafe: ``.get`` skips
        ``__missing__`` (``defaultdict``, ``Counter``). Without a fix the suggestion is advice
        (display only).
    """

    code = "KZ803"
    name = "Exception as control flow"
    category = Category.PERFORMANCE
    applicability = Applicability.UNSAFE
    confidence = 0.6
