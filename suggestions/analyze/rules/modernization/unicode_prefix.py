from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import PrefilteredRule
from suggestions.model import Applicability, Edit


class UnicodePrefix(PrefilteredRule):
    """String literal with the ``u`` prefix.

    What it does:
        Flags ``u"..."`` and ``U'...'``.

    Why is this bad?
        Every ``str`` literal is Unicode in Python 3; the prefix exists only so Python 2
        code could run unchanged.

    Example:
        ```python bad
        GREETING = u"hello"
        ```
        ```python good
        GREETING = "hello"
        ```

    Fix safety:
        Safe: the prefix has no effect on the value.
    """

    code = "KZ511"
    name = "u string prefix"
    category = Category.MODERNIZATION
    applicability = Applicability.SAFE
    confidence = 0.95
    severity = 0.05
    prefilters = (
        (b"u\x27", re.compile(rb"u\x27")),
        (b"u\x22", re.compile(rb"u\x22")),
        (b"U\x27", re.compile(rb"U\x27")),
        (b"U\x22", re.compile(rb"U\x22")),
    )
    pattern = """
    ((string_start) @start (#match? @start "^[uU]"))
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        start = captures["start"][0]
        string = start.parent or start
        yield Finding(
            string,
            "Unnecessary `u` prefix",
            edits=[Edit(start.start_byte, start.start_byte + 1, "")],
        )
