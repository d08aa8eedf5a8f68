"""The symbol index: definitions and references for every language, from tag queries.

The queries are data (``resources/queries/<language>-tags.scm``); captures follow the
tree-sitter tags convention: ``@definition.<kind>`` or ``@reference.<kind>`` around a
``@name``.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import tree_sitter

from analysis.languages import query, query_text

__all__ = ["Symbol", "SymbolRow", "extract_symbols", "symbol_rows_from_matches", "symbols_from_matches"]

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


def extract_symbols(language: str, tree: tree_sitter.Tree, source: bytes) -> list[Symbol]:
    text = query_text(language, "tags")
    if not text:
        return []
    cursor = tree_sitter.QueryCursor(query(language, text))
    return symbols_from_matches((captures for _, captures in cursor.matches(tree.root_node)), source)


def symbols_from_matches(
    matches: Iterable[dict[str, list[tree_sitter.Node]]], source: bytes
) -> list[Symbol]:
    """Symbols from the tags query's matches, in source order."""
    defs, refs = _collect(matches, source)
    out = [Symbol(name, kind, False, r + 1, c, r + 1) for (name, kind), occ in refs.items() for r, c in occ]
    out.extend(_definitions(defs))
    out.sort(key=_POSITION)
    return out


def symbol_rows_from_matches(
    matches: Iterable[dict[str, list[tree_sitter.Node]]], source: bytes
) -> list[SymbolRow]:
    """The stored form of :func:`symbols_from_matches` (the rule engine runs the tags query
    in its own pass): plain tuples, one per definition and one per name referenced, its
    other occurrences folded into ``more``. A file calls the same names again and again;
    a row per call was most of the cost of writing the index (the standard library: 410k
    symbols, 147k rows)."""
    defs, refs = _collect(matches, source)
    rows: list[SymbolRow] = [(*s, "") for s in _definitions(defs)]
    for (name, kind), occ in refs.items():
        r, c = occ[0]
        more = "[" + ",".join(f"[{r + 1},{c},{r + 1}]" for r, c in occ[1:]) + "]" if len(occ) > 1 else ""
        rows.append((name, kind, False, r + 1, c, r + 1, "", more))
    return rows


_Definition = tuple[int, int, str, str, int, int, int]  # start, end, kind, name, row, col, end_row


def _collect(
    matches: Iterable[dict[str, list[tree_sitter.Node]]], source: bytes
) -> tuple[list[_Definition], dict[tuple[str, str], list[tuple[int, int]]]]:
    """Definitions, and the (row, col) of each reference by (name, kind)."""
    # Hot on large projects (400k symbols in the standard library): node attributes are
    # read once, into plain tuples, and capture names are split once.
    defs: list[_Definition] = []
    refs: dict[tuple[str, str], list[tuple[int, int]]] = {}
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
            text = source[nb : name.end_byte].decode("utf-8", "replace")
            if definition:
                node = nodes[0]
                (row, col), (end_row, _) = node.start_point, node.end_point
                defs.append((node.start_byte, node.end_byte, kind, text, row, col, end_row))
            else:
                # A reference is where its name is (the called name, not the start of
                # ``obj.attr.name(...)``): that is where "go to" should land.
                row, col = name.start_point
                ref = (text.strip("\"'<>"), kind)
                occurrences = refs.get(ref)
                if occurrences is None:
                    occurrences = refs[ref] = []
                occurrences.append((row, col))
    return defs, refs


def _definitions(defs: list[_Definition]) -> Iterator[Symbol]:
    """Definitions with their containers: a definition nested in a class-like one gets its
    name (the innermost); a function inside a class is a method."""
    defs.sort()
    stack: list[tuple[int, str]] = []  # (end, name) of open containers, in start order
    for start, end, kind, text, row, col, end_row in defs:
        while stack and stack[-1][0] <= start:
            stack.pop()
        container = stack[-1][1] if stack else ""
        if container and kind == "function":
            kind = "method"
        yield Symbol(text.strip("\"'<>"), kind, True, row + 1, col, end_row + 1, container)
        if kind in _CONTAINERS:
            stack.append((end, text))


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
