from __future__ import annotations

from suggestions.analyze.framework import Category, RuntimeRule
from suggestions.model import Applicability


class AnnotateObservedTypes(RuntimeRule):
    """Unannotated function whose observed types were uniform.

    What it does:
        From the latest trace: flags a function without annotations whose sampled calls
        (two at least) all had the same builtin argument and return types, and writes those
        types as annotations. A partly annotated function, ``*args``/``**kwargs`` or types
        that would need an import are left alone.

    Why is this bad?
        Without annotations a reader (and a type checker) has to guess what the function
        takes and returns; the traced run already saw it.

    Example:
        ```python bad
        def scale(value, factor):
            return value * factor
        ```
        ```python good
        def scale(value: float, factor: int) -> float:
            return value * factor
        ```

    Fix safety:
        The fix adds the annotations. It is unsafe: a run only shows the types it exercised,
        and another caller may pass something else.
    """

    code = "KZ802"
    name = "Annotate from observed types"
    category = Category.MODERNIZATION
    applicability = Applicability.UNSAFE
    confidence = 0.5
