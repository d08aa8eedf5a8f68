from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import PrefilteredRule
from suggestions.model import Applicability, Edit


class DictGetNone(PrefilteredRule):
    """``.get(key, None)``: ``None`` is already the default.

    What it does:
        Flags ``mapping.get(key, None)``.

    Why is this bad?
        ``dict.get`` returns ``None`` for a missing key unless told otherwise; spelling
        the default out adds noise and suggests a different default was meant.

    Example:
        ```python bad
        def lookup(table, key):
            return table.get(key, None)
        ```
        ```python good
        def lookup(table, key):
            return table.get(key)
        ```

    Fix safety:
        Unsafe: exact for ``dict`` and ``Mapping``, but the receiver is not known
        statically, and a ``get`` of another class may use a different default.
    """

    code = "KZ411"
    name = "Redundant None default in get()"
    category = Category.SIMPLIFICATION
    applicability = Applicability.UNSAFE
    confidence = 0.9
    severity = 0.05
    prefilters = ((b"None", re.compile(rb"None\s*,?\s*\)")),)
    pattern = """
    (call function: (attribute attribute: (identifier) @method)
      arguments: (argument_list . (_) @key . "," . (none) @none . ","? .)
      (#eq? @method "get")) @call
    """

    def accept(self, ctx: Context, start: int, end: int) -> bool:
        return ctx.source[max(0, start - 80) : start].rstrip().endswith(b",")  # a second argument

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call, key, none = captures["call"][0], captures["key"][0], captures["none"][0]
        if key.type in ("keyword_argument", "list_splat", "dictionary_splat"):
            return
        if b"#" in ctx.source[key.end_byte : none.end_byte]:
            return
        yield Finding(
            call,
            "`get(key, None)`: `None` is the default",
            edits=[Edit(key.end_byte, none.end_byte, "")],
        )
