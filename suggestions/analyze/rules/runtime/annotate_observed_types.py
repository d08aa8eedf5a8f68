from __future__ import annotations

from suggestions.analyze.framework import Category, RuntimeRule
from suggestions.model import Applicability


class AnnotateObservedTypes(RuntimeRule):
    """Unannotated functions whose observed types were uniform (one suggestion per module).

    What it does:
        From the latest trace: finds the functions without annotations whose sampled calls
        (three at least, of three calls at least) all had the same builtin argument and
        return types, and writes those types as annotations: one suggestion per module
        ("annotate 23 functions in iterutils.py") with one patch, its rationale listing the
        functions. ``X | None`` is written when ``None`` was one of two observed types; a
        parameter only ever seen as ``None`` stays bare; ``-> None`` only for a function that
        never returns a value. Test code (test files, conftest, ``test_*`` functions and
        helpers nested in them, fixtures), partly annotated functions, ``*args``/``**kwargs``
        and types that would need an import are left alone.

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
