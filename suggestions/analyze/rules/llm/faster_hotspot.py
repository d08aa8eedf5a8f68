from __future__ import annotations

from suggestions.analyze.framework import Category, LlmRule


class FasterHotspot(LlmRule):
    """A model's faster version of one of the hottest functions in a trace.

    What it does:
        Asks the configured model to rewrite one of the functions that took the largest share
        of the latest traced run (above a minimum share and time), with its timings and the
        argument types the trace observed.

    Why is this bad?
        The hottest functions are where time goes: a faster algorithm there is worth more than
        any number of small fixes elsewhere, and finding one takes understanding the code.

    Example:
        ```python bad
        def common(a, b):
            return [x for x in a if x in b]  # b is a list: quadratic
        ```
        ```python good
        def common(a, b):
            seen = set(b)
            return [x for x in a if x in seen]
        ```

    Fix safety:
        Unsafe, as every model's rewrite: it is validated against the tests (and timed) and
        never applies itself unless an auto-apply rule names it.
    """

    code = "KZ903"
    name = "Faster hotspot"
    category = Category.PERFORMANCE
