from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import PrefilteredRule, line_start
from suggestions.model import Applicability, Edit


class RedundantPass(PrefilteredRule):
    """``pass`` in a block that has other statements.

    What it does:
        Flags ``pass`` where the block already contains another statement (a docstring
        counts).

    Why is this bad?
        ``pass`` only exists to fill an otherwise empty block; next to real statements it
        is leftover scaffolding.

    Example:
        ```python bad
        class Config:
            \"\"\"Settings.\"\"\"
            pass
        ```
        ```python good
        class Config:
            \"\"\"Settings.\"\"\"
        ```

    Fix safety:
        Safe: ``pass`` does nothing. The whole line is removed only when ``pass`` is
        alone on it (a trailing comment keeps the line, and the finding is display-only).
    """

    code = "KZ602"
    name = "Unnecessary pass"
    category = Category.STYLE
    applicability = Applicability.SAFE
    confidence = 0.95
    severity = 0.05
    prefilters = ((b"pass", re.compile(rb"pass\b")),)
    pattern = """
    (block (pass_statement) @pass) @block
    """

    def accept(self, ctx: Context, start: int, end: int) -> bool:
        # Skip the common case of `pass` alone under its header.
        src = ctx.source
        begin = line_start(src, start)
        indent = start - begin
        prev_end = begin - 1
        prev = src[line_start(src, max(prev_end, 0)) : max(prev_end, 0)].split(b"#", 1)[0].rstrip()
        nl = src.find(b"\n", end)
        nxt = (
            src[nl + 1 : src.find(b"\n", nl + 1) if src.find(b"\n", nl + 1) >= 0 else len(src)]
            if nl >= 0
            else b""
        )
        nxt_indent = len(nxt) - len(nxt.lstrip())
        alone = prev.endswith(b":") and (not nxt.strip() or nxt_indent < indent)
        return not alone

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        node, block = captures["pass"][0], captures["block"][0]
        statements = [c for c in block.named_children if c.type != "comment"]
        if len(statements) < 2:
            return
        if all(c.type == "pass_statement" for c in statements) and node == statements[0]:
            return  # `pass` twice: one of them must stay
        src = ctx.source
        start = line_start(src, node.start_byte)
        nl = src.find(b"\n", node.end_byte)
        end = len(src) if nl < 0 else nl + 1
        edits = None
        if not src[start : node.start_byte].strip() and not src[node.end_byte : end].strip():
            edits = [Edit(start, end, "")]
        yield Finding(node, "Unnecessary `pass`", edits=edits)
