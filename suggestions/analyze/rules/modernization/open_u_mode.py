from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import PrefilteredRule, rebound
from suggestions.analyze.rules.simplification.redundant_open_mode import mode_value
from suggestions.model import Applicability


class OpenUMode(PrefilteredRule):
    """``open()`` with the removed ``"U"`` (universal newlines) mode.

    What it does:
        Flags a mode string containing ``U`` in ``open(path, "rU")`` or ``mode="U"``.

    Why is this bad?
        Universal newlines have been the default since Python 3.0; ``"U"`` was deprecated
        and raises ``ValueError`` from Python 3.11 on.

    Example:
        ```python bad
        def read(path):
            with open(path, "rU") as f:
                return f.read()
        ```
        ```python good
        def read(path):
            with open(path, "r") as f:
                return f.read()
        ```

    Fix safety:
        Safe: drops the ``U`` (adding ``r`` when nothing else says read or write); on the
        versions that accepted ``U`` it changed nothing, on 3.11+ it was an error.
    """

    code = "KZ508"
    name = "open() with the U mode"
    category = Category.MODERNIZATION
    applicability = Applicability.SAFE
    confidence = 0.95
    severity = 0.4
    prefilters = ((b"U", re.compile(rb"U[rwabt+]*[\x27\x22]")),)
    pattern = """
    (call function: (identifier) @fn arguments: (argument_list . (_) . "," . (string) @mode) (#eq? @fn "open"))
    (call function: (identifier) @fn
      arguments: (argument_list (keyword_argument name: (identifier) @kw value: (string) @mode))
      (#eq? @fn "open") (#eq? @kw "mode"))
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        mode = captures["mode"][0]
        value = mode_value(ctx, mode)
        if value is None or "U" not in value or rebound(ctx, "open"):
            return
        new = value.replace("U", "")
        if not any(c in new for c in "rwax"):
            new = "r" + new
        quote = ctx.text(mode.children[-1])
        start = ctx.text(mode.children[0])
        yield Finding(
            mode,
            f"Mode {ctx.text(mode)}: `U` is obsolete",
            edits=[ctx.replace(mode, f"{start}{new}{quote}")],
        )
