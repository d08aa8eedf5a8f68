"""The symbol index: definitions and references for every language, from tag queries.

The queries are data (``resources/queries/<language>-tags.scm``); captures follow the
tree-sitter tags convention: ``@definition.<kind>`` or ``@reference.<kind>`` around a
``@name``.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import NamedTuple

import tree_sitter

from analysis.languages import query, query_text

__all__ = ["Symbol", "SymbolRow", "extract_symbols", "symbol_rows", "symbols_from_matches"]

_CONTAINERS = {"class", "interface", "module"}


class Symbol(NamedTuple):
    """One definition or reference. A named tuple: the index builds hundreds of thousands."""

    name: str
    kind: str  # function, method, class, interface, type, module, macro, call, import
    definition: bool
    line: int  # 1-based
    col: int
    end_line: int
    container: str = ""  # enclosing class/module for definitions ("Cls" for Cls.method)

    @property
    def qualified_name(self) -> str:
        return f"{self.container}.{self.name}" if self.container else self.name


# A Symbol as stored and sent between processes: its fields and ``more``, the other
# occurrences of a reference folded into it (JSON ``[[line, col, end_line], ...]``).
SymbolRow = tuple[str, str, bool, int, int, int, str, str]


def symbol_rows(symbols: Iterable[Symbol]) -> list[SymbolRow]:
    """Plain tuples (they pickle smaller and faster), one per definition and one per name
    referenced: a file calls the same names again and again, and storing each call as a
    row is most of the cost of writing the index (the standard library: 410k symbols,
    147k rows)."""
    rows: list[SymbolRow] = []
    folded: dict[tuple[str, str], tuple[int, list[str]]] = {}  # (name, kind) -> (row, others)
    for s in symbols:
        if s.definition:
            rows.append((*s, ""))
            continue
        key = (s.name, s.kind)
        seen = folded.get(key)
        if seen is None:
            folded[key] = (len(rows), [])
            rows.append((*s, ""))
        else:
            seen[1].append(f"[{s.line},{s.col},{s.end_line}]")
    for index, others in folded.values():
        if others:
            rows[index] = (*rows[index][:7], f"[{','.join(others)}]")
    return rows


def extract_symbols(language: str, tree: tree_sitter.Tree, source: bytes) -> list[Symbol]:
    text = query_text(language, "tags")
    if not text:
        return []
    cursor = tree_sitter.QueryCursor(query(language, text))
    return symbols_from_matches((captures for _, captures in cursor.matches(tree.root_node)), source)


def symbols_from_matches(
    matches: Iterable[dict[str, list[tree_sitter.Node]]], source: bytes
) -> list[Symbol]:
    """Symbols from the tags query's matches (the rule engine runs that query in its own pass)."""
    # Hot on large projects (400k symbols in the standard library): node attributes are
    # read once, into plain tuples, and capture names are split once.
    defs: list[tuple[int, int, str, str, int, int, int]] = []  # start, end, kind, name, row, col, end_row
    out: list[Symbol] = []
    seen: set[tuple[int, str]] = set()
    roles = _ROLES
    for captures in matches:
        names = captures.get("name")
        if not names:
            continue
        name = names[0]
        nb = name.start_byte
        for cap, nodes in captures.items():
            role = roles.get(cap)
            if role is None:
                if cap in roles:
                    continue
                role = roles[cap] = _role(cap)
                if role is None:
                    continue
            definition, kind, key = role
            if (nb, key) in seen:
                continue
            seen.add((nb, key))
            node = nodes[0]
            (row, col), (end_row, _) = node.start_point, node.end_point
            text = source[nb : name.end_byte].decode("utf-8", "replace")
            if definition:
                defs.append((node.start_byte, node.end_byte, kind, text, row, col, end_row))
            else:
                out.append(Symbol(text.strip("\"'<>"), kind, False, row + 1, col, end_row + 1))
    # Containers: a definition nested in a class-like one gets its name (the innermost); a
    # function inside a class is a method. Walk definitions in start order with a stack.
    defs.sort()
    stack: list[tuple[int, str]] = []  # (end, name) of open containers
    for start, end, kind, text, row, col, end_row in defs:
        while stack and stack[-1][0] <= start:
            stack.pop()
        container = stack[-1][1] if stack else ""
        if container and kind == "function":
            kind = "method"
        out.append(Symbol(text.strip("\"'<>"), kind, True, row + 1, col, end_row + 1, container))
        if kind in _CONTAINERS:
            stack.append((end, text))
    out.sort(key=_POSITION)
    return out


# Capture name -> (is a definition, kind, dedup key), or None for captures that are not roles.
_ROLES: dict[str, tuple[bool, str, str] | None] = {}
_POSITION = operator.itemgetter(3, 4)


def _role(capture: str) -> tuple[bool, str, str] | None:
    role, _, kind = capture.partition(".")
    if role == "definition":
        return True, kind, "def:" + kind
    if role == "reference":
        return False, kind, kind
    return None


def _text(node: tree_sitter.Node, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")
