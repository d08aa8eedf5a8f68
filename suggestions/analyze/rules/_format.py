"""Shared by the f-string rules: which string literals can take the ``f`` prefix exactly."""

from __future__ import annotations

import tree_sitter

from suggestions.analyze.framework import Context


def plain_string(ctx: Context, node: tree_sitter.Node) -> tuple[str, str, str, str] | None:
    """(prefix, open quote, raw content, close quote) of a one-part non-f, non-bytes string.

    None for f-strings, byte strings, implicit concatenations and strings whose content
    has nodes other than text and escape sequences.
    """
    if node.type != "string":
        return None
    kids = node.children
    if len(kids) < 2 or kids[0].type != "string_start" or kids[-1].type != "string_end":
        return None
    start = ctx.text(kids[0])
    quote_at = len(start.rstrip("'\""))
    prefix, quote = start[:quote_at], start[quote_at:]
    if any(c in prefix.lower() for c in "fb"):
        return None
    for c in kids[1:-1]:
        if c.type != "string_content":
            return None
    content = ctx.source[kids[0].end_byte : kids[-1].start_byte].decode("utf-8", "replace")
    return prefix.replace("u", "").replace("U", ""), quote, content, ctx.text(kids[-1])


def safe_expr(ctx: Context, node: tree_sitter.Node) -> str | None:
    """Text of an argument that can sit in a replacement field unchanged, else None.

    Names, dotted names and non-negative numbers: no quotes, braces, backslashes or
    colons that the f-string parser (before 3.12) would trip over.
    """
    if node.type in ("integer", "float"):
        return ctx.text(node)
    cur = node
    while cur.type == "attribute":
        obj = cur.child_by_field_name("object")
        if obj is None:
            return None
        cur = obj
    if cur.type == "identifier":
        text = ctx.text(node)
        return text if "\n" not in text and "#" not in text and " " not in text else None
    return None


def escape_braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")
