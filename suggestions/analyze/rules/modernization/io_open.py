from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import PrefilteredRule, imports_module, rebound
from suggestions.model import Applicability


class IoOpen(PrefilteredRule):
    """``io.open`` instead of the builtin ``open``.

    What it does:
        Flags calls of ``io.open(...)`` in a file that does ``import io``.

    Why is this bad?
        Since Python 3, ``io.open`` *is* the builtin ``open`` (``io.open is open``); the
        qualified name is a Python 2 compatibility leftover.

    Example:
        ```python bad
        import io

        def read(path):
            with io.open(path, encoding="utf-8") as f:
                return f.read()
        ```
        ```python good
        def read(path):
            with open(path, encoding="utf-8") as f:
                return f.read()
        ```

    Fix safety:
        Safe: the same function is called. Skipped when the file rebinds ``io`` or
        ``open``. The ``import io`` stays (the unused-import rule handles it).
    """

    code = "KZ509"
    name = "io.open instead of open"
    category = Category.MODERNIZATION
    applicability = Applicability.SAFE
    confidence = 0.95
    severity = 0.05
    prefilters = ((b"io.open", re.compile(rb"io\.open")),)
    pattern = """
    (call function: (attribute object: (identifier) @module attribute: (identifier) @attr) @fn
      (#eq? @module "io") (#eq? @attr "open")) @call
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        fn = captures["fn"][0]
        if not imports_module(ctx, "io") or rebound(ctx, "open"):
            return
        if b"#" in ctx.source[fn.start_byte : fn.end_byte]:
            return
        yield Finding(fn, "`io.open` is the builtin `open`", edits=[ctx.replace(fn, "open")])
