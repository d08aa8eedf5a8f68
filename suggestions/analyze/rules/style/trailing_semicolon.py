from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import PrefilteredRule
from suggestions.model import Applicability, Edit


class TrailingSemicolon(PrefilteredRule):
    """Statement ending with a semicolon.

    What it does:
        Flags a ``;`` that ends a line (only whitespace or a comment after it).

    Why is this bad?
        Python ends statements at the newline; a trailing semicolon is a habit from other
        languages that adds noise.

    Example:
        ```python bad
        def total(items):
            count = len(items);
            return count
        ```
        ```python good
        def total(items):
            count = len(items)
            return count
        ```

    Fix safety:
        Safe: removes the semicolon (and spaces before it), which changes nothing.
    """

    code = "KZ604"
    name = "Trailing semicolon"
    category = Category.STYLE
    applicability = Applicability.SAFE
    confidence = 0.95
    severity = 0.02
    prefilters = ((b";", re.compile(rb";[ \t]*(?:#[^\n]*)?$", re.M)),)
    pattern = """
    (module ";" @semi)
    (block ";" @semi)
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        semi = captures["semi"][0]
        src = ctx.source
        nl = src.find(b"\n", semi.end_byte)
        rest = src[semi.end_byte : len(src) if nl < 0 else nl].strip()
        if rest and not rest.startswith(b"#"):
            return  # another statement follows on the line
        start = semi.start_byte
        while start > 0 and src[start - 1 : start] in (b" ", b"\t"):
            start -= 1
        prev = semi.prev_sibling
        if prev is None or prev.end_byte > start:
            start = semi.start_byte
        yield Finding(semi, "Trailing semicolon", edits=[Edit(start, semi.end_byte, "")])
