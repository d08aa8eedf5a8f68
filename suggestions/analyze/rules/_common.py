"""Helpers shared by the Python rules: loop context, statement deletion, name occurrences.

Not a rule module (the leading underscore keeps discovery away). Everything here is cheap
on purpose: parent walks are short, and name questions are answered by a regex over the
bytes first, touching the tree only for the rare candidate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import tree_sitter

from suggestions.analyze.framework import Context
from suggestions.model import Edit

__all__ = [
    "LOOPS",
    "SCOPES",
    "delete_statement",
    "enclosing_scope",
    "in_loop",
    "is_simple_literal",
    "noqa",
    "own_lines",
    "simple_bindings",
    "word_positions",
]

# Scope-creating nodes: a loop outside them does not repeat code inside them.
SCOPES = frozenset({"function_definition", "class_definition", "lambda", "module"})
LOOPS = frozenset(
    {
        "for_statement",
        "while_statement",
        "list_comprehension",
        "set_comprehension",
        "dictionary_comprehension",
        "generator_expression",
    }
)
_LITERALS = frozenset(
    {"integer", "float", "string", "true", "false", "none", "concatenated_string"}
)


def in_loop(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The innermost loop whose repeated part holds ``node`` (same scope), else None.

    The iterable of a ``for`` is evaluated once, so a node there is not "in" that loop.
    """
    child = node
    parent = node.parent
    while parent is not None and parent.type not in SCOPES:
        if parent.type == "for_statement":
            if child != parent.child_by_field_name("right") and child != parent.child_by_field_name(
                "left"
            ):
                return parent
        elif parent.type == "while_statement" or parent.type in LOOPS:
            return parent
        child, parent = parent, parent.parent
    return None


def enclosing_scope(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The innermost function, class, lambda or module around ``node``."""
    parent = node.parent
    while parent is not None and parent.type not in SCOPES:
        parent = parent.parent
    return parent


def is_simple_literal(node: tree_sitter.Node) -> bool:
    """A constant with no side effects: number, plain string (no f-string), bool, None."""
    if node.type == "string":
        return not any(c.type == "interpolation" for c in node.children)
    if node.type == "concatenated_string":
        return all(is_simple_literal(c) for c in node.named_children)
    if node.type == "unary_operator":
        arg = node.child_by_field_name("argument")
        return arg is not None and arg.type in ("integer", "float")
    return node.type in _LITERALS


def own_lines(ctx: Context, node: tree_sitter.Node) -> tuple[int, int] | None:
    """Byte range of the whole lines ``node`` occupies, if nothing else shares them.

    A trailing comment on the last line belongs to the statement and goes with it.
    Returns None when code sits before the node or after it on its lines (``a; b``).
    """
    src = ctx.source
    start = src.rfind(b"\n", 0, node.start_byte) + 1
    if src[start : node.start_byte].strip():
        return None
    nl = src.find(b"\n", node.end_byte)
    end = len(src) if nl < 0 else nl + 1
    rest = src[node.end_byte : end].strip()
    if rest and not rest.startswith(b"#"):
        return None
    return start, end


def delete_statement(ctx: Context, stmt: tree_sitter.Node) -> Edit | None:
    """An edit removing a statement, or ``pass`` in its place when its block would be empty.

    Rules that delete statements register them per block on the context, so when several
    fixes in one file delete every statement of a block, the last one leaves ``pass`` and
    the merged patch still parses.
    """
    span = own_lines(ctx, stmt)
    if span is None:
        return None
    parent = stmt.parent
    if parent is None or parent.type != "block":
        return Edit(span[0], span[1], "")
    deleted: dict[int, set[int]] = ctx.shared("deleted_statements", lambda _ctx: {})
    gone = deleted.setdefault(parent.start_byte, set())
    others = [c.start_byte for c in parent.named_children if c.type != "comment" and c != stmt]
    gone.add(stmt.start_byte)
    if all(o in gone for o in others):
        return Edit(stmt.start_byte, stmt.end_byte, "pass")
    return Edit(span[0], span[1], "")


def word_positions(data: bytes, name: str, start: int = 0, end: int | None = None) -> Iterator[int]:
    """Byte offsets where ``name`` occurs as a whole word in ``data[start:end]``.

    An occurrence right after a dot (``obj.name``) is an attribute, not the name, and is
    skipped. ``bytes.find`` does the scanning in C; only hits are checked here, which is
    several times faster than a regex with look-arounds (no literal prefix to skip by).
    """
    needle = name.encode()
    size = len(needle)
    stop = len(data) if end is None else end
    pos = data.find(needle, start, stop)
    while pos >= 0:
        before = data[pos - 1] if pos > 0 else 32
        after = data[pos + size] if pos + size < len(data) else 32
        if not _WORDISH[before] and not _WORDISH[after] and before != 46:  # 46: "."
            yield pos
        pos = data.find(needle, pos + 1, stop)


# Bytes that can continue an identifier: ASCII letters, digits, "_" and any non-ASCII
# byte (a UTF-8 identifier character), so "é" next to a name is not a word boundary.
_WORDISH = [chr(b).isalnum() or b == 95 or b >= 128 for b in range(256)]


def simple_bindings(ctx: Context, scope: tree_sitter.Node, name: str) -> list[tuple[int, bytes]]:
    """``(line, first bytes of the value)`` for each ``name = value`` line binding ``name``.

    Looks in ``scope`` first, then (when a function never binds the name) at module level,
    where only unindented assignments count. Text-based and conservative: callers treat
    any binding they do not recognise as "unknown". Cached per file.
    """
    cache: dict[tuple[int, str], list[tuple[int, bytes]]] = ctx.shared("bindings", lambda _ctx: {})
    key = (scope.start_byte, name)
    if key not in cache:
        src = ctx.source
        found = _bindings_in(src, name, scope.start_byte, scope.end_byte, indented=True)
        if not found and scope.type != "module":
            found = _bindings_in(src, name, 0, len(src), indented=False)
        cache[key] = [(src.count(b"\n", 0, pos) + 1, head) for pos, head in found]
    return cache[key]


_BIND_TAIL = re.compile(rb"[ \t]*(?::[^=\n]*)?=(?!=)[ \t]*")


def _bindings_in(
    src: bytes, name: str, start: int, end: int, indented: bool
) -> list[tuple[int, bytes]]:
    out: list[tuple[int, bytes]] = []
    size = len(name.encode())
    for pos in word_positions(src, name, start, end):
        line_start = src.rfind(b"\n", 0, pos) + 1
        if src[line_start:pos].strip(b" \t") or (not indented and line_start != pos):
            continue
        m = _BIND_TAIL.match(src, pos + size)
        if m is not None:
            out.append((pos, src[m.end() : m.end() + 16]))
    return out


_NOQA = re.compile(rb"#\s*noqa(?::[ \t]*([A-Za-z0-9, \t]+))?", re.I)


def noqa(ctx: Context, node: tree_sitter.Node, code: str) -> bool:
    """Whether a flake8/ruff ``# noqa`` comment on ``node``'s lines silences ``code``.

    Projects already mark deliberate cases for pyflakes and ruff (``# noqa: F401`` on a
    re-export); the Kaizen rule that checks the same thing honours that, like ruff does.
    A bare ``# noqa`` silences everything.
    """
    src = ctx.source
    if not ctx.shared("noqa.present", lambda c: b"noqa" in c.source or b"NOQA" in c.source):
        return False
    start = src.rfind(b"\n", 0, node.start_byte) + 1
    end = src.find(b"\n", node.end_byte)
    for m in _NOQA.finditer(src, start, len(src) if end < 0 else end):
        codes = m.group(1)
        if codes is None or code.encode() in codes.upper().replace(b" ", b"").split(b","):
            return True
    return False


def overwriting_assignment(ctx: Context, body: tree_sitter.Node, pos: int, name: str) -> tree_sitter.Node | None:
    """The ``name = value`` assignment whose target is the identifier at ``pos``, when it is a
    statement directly in ``body``, not chained (``a = b = …``), and ``value`` does not read
    ``name``: a statement that throws the name's earlier value away."""
    node = ctx.root.descendant_for_byte_range(pos, pos + len(name.encode()))
    if node is None or node.type != "identifier":
        return None
    assign = node.parent
    if assign is None or assign.type != "assignment" or assign.child_by_field_name("left") != node:
        return None
    stmt = assign.parent
    if stmt is None or stmt.type != "expression_statement" or stmt.parent != body:
        return None
    right = assign.child_by_field_name("right")
    if right is None or right.type == "assignment":
        return None
    if next(word_positions(ctx.source, name, right.start_byte, right.end_byte), None) is not None:
        return None
    return assign
