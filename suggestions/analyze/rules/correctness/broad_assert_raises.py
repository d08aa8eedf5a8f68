from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._exprs import call_args, dotted
from suggestions.analyze.rules._pyfix import PrefilteredRule
from suggestions.model import Applicability

_BROAD = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})


class BroadAssertRaises(PrefilteredRule):
    """``assertRaises(Exception)`` or ``pytest.raises(Exception)``.

    What it does:
        Flags ``self.assertRaises(Exception)``, ``pytest.raises(Exception)`` and the same
        with ``BaseException``, as a context manager or with a callable, when no message
        pattern (``match=``, ``assertRaisesRegex``) narrows it.

    Why is this bad?
        Any error passes such a test: a ``TypeError`` from a typo, a ``NameError``, an
        ``AttributeError`` from a refactoring. The test keeps passing while the code it
        guards is broken.

    Example:
        ```python bad
        import pytest

        def test_parse():
            with pytest.raises(Exception):
                parse("")
        ```
        ```python good
        import pytest

        def test_parse():
            with pytest.raises(ValueError):
                parse("")
        ```

    Fix safety:
        No automatic fix: only the author knows which exception the code should raise.
    """

    code = "KZ127"
    name = "Too broad assertRaises"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.8
    severity = 0.6
    prefilters = (
        (
            b"aises",
            re.compile(rb"aises\s*\(\s*(?:builtins\.)?(?:Base)?Exception\b"),
        ),
    )
    pattern = """
    (call function: [(attribute attribute: (identifier) @method) (identifier) @method]
      arguments: (argument_list . [(identifier) (attribute)] @exc) @args
      (#match? @method "^(assertRaises|raises)$")) @call
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call, method, exc = captures["call"][0], captures["method"][0], captures["exc"][0]
        name = dotted(ctx, exc)
        if name not in _BROAD:
            return
        args = call_args(ctx, captures["args"][0])
        if ctx.text(method) == "raises":
            func = call.child_by_field_name("function")
            if func is None or (func.type == "attribute" and dotted(ctx, func) != "pytest.raises"):
                return
            if "match" in args.keywords or args.double_star:
                return
        yield Finding(
            call, f"`{ctx.text(method)}({name})` passes on any error, typos included", target=call
        )
