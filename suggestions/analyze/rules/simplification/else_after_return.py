from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._pyfix import dedent_edits, line_start
from suggestions.model import Applicability, Edit

_EXITS = frozenset({"return_statement", "raise_statement"})


class ElseAfterReturn(Rule):
    """``else`` after a branch that returns or raises.

    What it does:
        Flags an ``else:`` whose ``if`` branch always ends with ``return`` or ``raise``.

    Why is this bad?
        The ``else`` can only run when the ``if`` branch did not leave the function, so it
        adds a level of indentation and a branch the reader must follow for nothing.

    Example:
        ```python bad
        def sign(x):
            if x < 0:
                return -1
            else:
                return 1
        ```
        ```python good
        def sign(x):
            if x < 0:
                return -1
            return 1
        ```

    Fix safety:
        Safe: removes the ``else:`` line and dedents its body by one level, which keeps
        the exact control flow. No fix when the ``else`` line holds a comment, the body
        sits on the ``else`` line, or the body contains a multi-line string or a
        backslash continuation (dedenting would change the string).
    """

    code = "KZ404"
    name = "else after return"
    category = Category.SIMPLIFICATION
    applicability = Applicability.SAFE
    confidence = 0.85
    severity = 0.15
    query = """
    (if_statement consequence: (block) @then alternative: (else_clause body: (block) @body) @else) @if
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        stmt, then, els, body = (
            captures["if"][0],
            captures["then"][0],
            captures["else"][0],
            captures["body"][0],
        )
        if any(c.type == "elif_clause" for c in stmt.children):
            return
        last = next((c for c in reversed(then.named_children) if c.type != "comment"), None)
        if last is None or last.type not in _EXITS:
            return
        exit_kw = "return" if last.type == "return_statement" else "raise"
        yield Finding(
            els.children[0],
            f"`else` after `{exit_kw}`: dedent its body",
            edits=self._fix(ctx, stmt, els, body),
            target=els,
        )

    def _fix(
        self, ctx: Context, stmt: tree_sitter.Node, els: tree_sitter.Node, body: tree_sitter.Node
    ) -> list[Edit] | None:
        src = ctx.source
        start = line_start(src, els.start_byte)
        if_indent = ctx.line_indent(stmt)
        if src[start : els.start_byte].decode("utf-8", "replace") != if_indent:
            return None  # `else` not alone at the if's indentation
        colon = els.children[1] if len(els.children) > 1 else None
        if colon is None or colon.type != ":":
            return None
        nl = src.find(b"\n", colon.end_byte)
        if nl < 0 or src[colon.end_byte : nl].strip() or nl >= body.start_byte:
            return None  # comment after `else:` or inline body
        body_indent = ctx.line_indent(body)
        if not body_indent.startswith(if_indent) or len(body_indent) == len(if_indent):
            return None
        dedent = dedent_edits(ctx, body, if_indent, body_indent[len(if_indent) :])
        if dedent is None:
            return None
        return [Edit(start, nl + 1, ""), *dedent]
