from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import PrefilteredRule
from suggestions.model import Applicability, Edit

_FIELD = re.compile(rb"\{[A-Za-z_(\[!]")


class FstringWithoutPlaceholders(PrefilteredRule):
    """f-string without any placeholder.

    What it does:
        Flags an ``f"..."`` literal that has no ``{...}`` replacement field.

    Why is this bad?
        The ``f`` prefix promises interpolation; without a field it is a plain string that
        makes the reader look for a missing ``{name}`` (often a real bug: the braces were
        forgotten).

    Example:
        ```python bad
        def banner():
            return f"Welcome!"
        ```
        ```python good
        def banner():
            return "Welcome!"
        ```

    Fix safety:
        Safe: removes the ``f`` and turns the escaped braces ``{{``/``}}`` back into single
        ones, which gives the same string value.
    """

    code = "KZ601"
    name = "f-string without placeholders"
    category = Category.STYLE
    applicability = Applicability.SAFE
    confidence = 0.9
    severity = 0.2
    prefilters = (
        (b"f", re.compile(rb"f[rRbB]?[\x27\x22]")),
        (b"F", re.compile(rb"F[rRbB]?[\x27\x22]")),
    )
    pattern = """
    (string (string_start) @start (#match? @start "^[rRbBuU]*[fF]")) @string
    """

    def accept(self, ctx: Context, start: int, end: int) -> bool:
        src = ctx.source
        if start and (
            src[start - 1 : start].isalnum() or src[start - 1 : start] in (b"_", b"'", b'"')
        ):
            return src[start - 1 : start] in (b"r", b"R", b"b", b"B")  # `rf"`, not the end of "of"
        quote = src[end - 1 : end]
        close = src.find(quote, end)
        body = src[end : close if close >= 0 else end + 200]
        return b"{{" in body or _FIELD.search(body) is None

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        string, start = captures["string"][0], captures["start"][0]
        edits: list[Edit] = []
        for child in string.children:
            if child.type == "interpolation":
                return
            if child.type == "string_content":
                for part in child.children:
                    if part.type == "escape_interpolation":
                        edits.append(Edit(part.start_byte, part.end_byte, ctx.text(part)[0]))
                    elif part.type == "interpolation":
                        return
        prefix = ctx.text(start)
        at = next(i for i, c in enumerate(prefix) if c in "fF")
        edits.append(Edit(start.start_byte + at, start.start_byte + at + 1, ""))
        yield Finding(string, "f-string without placeholders", edits=edits)
