from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import (
    LOW_PRECEDENCE,
    PrefilteredRule,
    dedent_edits,
    line_start,
)
from suggestions.model import Applicability, Edit

_OTHER_HEADER = re.compile(
    rb"[ \t]*(?:def|class|for|while|with|try|else|elif|except|finally|async|match|case|lambda)\b"
)


def _operand(ctx: Context, node: tree_sitter.Node) -> str:
    text = ctx.text(node)
    if node.type in LOW_PRECEDENCE:
        return f"({text})"
    if node.type == "boolean_operator":
        op = node.child_by_field_name("operator")
        if op is not None and op.type == "or":
            return f"({text})"
    return text


class CollapsibleIf(PrefilteredRule):
    """Nested ``if`` that can be one condition.

    What it does:
        Flags an ``if`` whose whole body is another ``if``, when neither has an ``elif``
        or ``else``.

    Why is this bad?
        ``if a:`` then ``if b:`` is ``if a and b:`` with an extra level of indentation;
        the combined form says both conditions must hold in one place.

    Example:
        ```python bad
        def check(user, item):
            if user.active:
                if item.visible:
                    show(item)
        ```
        ```python good
        def check(user, item):
            if user.active and item.visible:
                show(item)
        ```

    Fix safety:
        Safe: ``and`` short-circuits exactly as the nested test does. Operands that bind
        looser than ``and`` are parenthesized. No fix when a comment sits between the two
        ``if`` lines or the inner body contains a multi-line string.
    """

    code = "KZ405"
    name = "Collapsible nested if"
    category = Category.SIMPLIFICATION
    applicability = Applicability.SAFE
    confidence = 0.85
    severity = 0.15
    prefilters = ((b"if", re.compile(rb":[ \t]*(?:#[^\n]*)?(?:\r?\n[ \t]*)+if\b")),)
    pattern = """
    (if_statement
      condition: (_) @a
      consequence: (block . (if_statement condition: (_) @b consequence: (block) @body !alternative) @inner .)
      !alternative) @outer
    """

    def accept(self, ctx: Context, start: int, end: int) -> bool:
        # The colon must close an `if` header (or a continuation line of one).
        header = ctx.source[line_start(ctx.source, start) : start]
        return _OTHER_HEADER.match(header) is None

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        outer, inner, a, b, body = (captures[k][0] for k in ("outer", "inner", "a", "b", "body"))
        block = inner.parent
        if block is None or any(c.type == "comment" for c in block.named_children):
            return
        if len([c for c in outer.children if c.type in ("elif_clause", "else_clause")]) or any(
            c.type in ("elif_clause", "else_clause") for c in inner.children
        ):
            return
        yield Finding(
            outer.children[0],
            "Nested `if` can be combined with `and`",
            edits=self._fix(ctx, outer, inner, a, b, body),
            target=outer,
        )

    def _fix(
        self,
        ctx: Context,
        outer: tree_sitter.Node,
        inner: tree_sitter.Node,
        a: tree_sitter.Node,
        b: tree_sitter.Node,
        body: tree_sitter.Node,
    ) -> list[Edit] | None:
        src = ctx.source
        outer_colon = next((c for c in outer.children if c.type == ":"), None)
        inner_colon = next((c for c in inner.children if c.type == ":"), None)
        if outer_colon is None or inner_colon is None:
            return None
        if src[outer_colon.end_byte : inner.start_byte].strip():
            return None
        if (
            b"#" in src[a.start_byte : outer_colon.end_byte]
            or b"#" in src[b.start_byte : inner_colon.end_byte]
        ):
            return None
        edits = [
            Edit(a.start_byte, inner_colon.end_byte, f"{_operand(ctx, a)} and {_operand(ctx, b)}:")
        ]
        if line_start(src, body.start_byte) <= inner_colon.end_byte:
            return edits  # inline body: `if b: x` stays on the combined line
        outer_indent, inner_indent = ctx.line_indent(outer), ctx.line_indent(inner)
        body_indent = ctx.line_indent(body)
        if not inner_indent.startswith(outer_indent) or not body_indent.startswith(inner_indent):
            return None
        unit = inner_indent[len(outer_indent) :]
        if not unit:
            return None
        dedent = dedent_edits(ctx, body, outer_indent, unit)
        if dedent is None:
            return None
        return edits + dedent
