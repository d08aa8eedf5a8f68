from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._exprs import call_args, literal_string
from suggestions.analyze.rules._pyfix import PrefilteredRule
from suggestions.model import Applicability

_SUFFIX = re.compile(r"\.[A-Za-z]{2,4}")


class StripRepeatedChars(PrefilteredRule):
    """``.strip()`` / ``.lstrip()`` / ``.rstrip()`` with a string that looks like a prefix or suffix.

    What it does:
        Flags ``text.strip("abca")``-style calls whose argument repeats a character (a
        character *set* never needs that), and ``name.rstrip(".py")`` with a file
        extension.

    Why is this bad?
        The argument is a set of characters, not a substring: ``"happy.py".rstrip(".py")``
        is ``"ha"``, and ``"http://x".lstrip("http://")`` eats the ``x`` of ``xml``
        too. ``removeprefix`` / ``removesuffix`` (Python 3.9+) remove an exact prefix or
        suffix.

    Example:
        ```python bad
        def module_name(filename):
            return filename.rstrip(".py")
        ```
        ```python good
        def module_name(filename):
            return filename.removesuffix(".py")
        ```

    Fix safety:
        No automatic fix: ``removesuffix`` changes the result for every input the set
        semantics handled differently, which is the point, but needs the author's eye
        (and Python 3.9).
    """

    code = "KZ142"
    name = "strip with a substring"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.85
    severity = 0.6
    prefilters = ((b"strip", re.compile(rb"strip\(\s*[bruBRU]*['\"]")),)
    pattern = """
    (call function: (attribute attribute: (identifier) @method)
      arguments: (argument_list . [(string) (concatenated_string)] @arg .)
      (#match? @method "^[lr]?strip$")) @call
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call, method, arg = captures["call"][0], captures["method"][0], captures["arg"][0]
        if call_args(ctx, call.child_by_field_name("arguments")).keywords:
            return
        value = literal_string(ctx, arg)
        if value is None or len(value) < 2:
            return
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        m = ctx.text(method)
        if len(set(text)) < len(text):
            why = "repeats a character"
        elif m == "rstrip" and _SUFFIX.fullmatch(text):
            why = "looks like a suffix"
        else:
            return
        better = {"lstrip": "removeprefix", "rstrip": "removesuffix"}.get(
            m, "removeprefix/removesuffix"
        )
        yield Finding(
            call,
            f"`.{m}({ctx.text(arg)})` strips a set of characters; the argument {why}: use `.{better}()`?",
            target=call,
        )
