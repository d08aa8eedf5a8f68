"""The symbol index: definitions and references for every language, from tag queries.

The queries are data (``resources/queries/<language>-tags.scm``); captures follow the
tree-sitter tags convention: ``@definition.<kind>`` or ``@reference.<kind>`` around a
``@name``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import tree_sitter

from analysis.languages import query, query_text

__all__ = ["Symbol", "extract_symbols", "symbols_from_matches"]

_CONTAINERS = {"class", "interface", "module"}


@dataclass(frozen=True, slots=True)
class Symbol:
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

    def row(self) -> tuple[str, str, bool, int, int, int, str]:
        return (self.name, self.kind, self.definition, self.line, self.col, self.end_line, self.container)


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
    raw: list[tuple[str, bool, str, tree_sitter.Node, tree_sitter.Node]] = []
    for captures in matches:
        names = captures.get("name")
        if not names:
            continue
        for cap, nodes in captures.items():
            role, _, kind = cap.partition(".")
            if role in ("definition", "reference"):
                raw.append((kind, role == "definition", "", nodes[0], names[0]))
    # Containers: definitions nested in a class-like definition get its name; a function
    # inside a class is a method.
    spans = sorted(
        ((n.start_byte, n.end_byte, _text(name, source)) for kind, d, _, n, name in raw if d and kind in _CONTAINERS),
    )
    out: list[Symbol] = []
    seen: set[tuple[int, str, bool]] = set()
    for kind, definition, _, node, name in raw:
        key = (name.start_byte, kind, definition)
        if key in seen:
            continue
        seen.add(key)
        container = ""
        if definition:
            for s, e, cname in spans:
                if s < node.start_byte and node.end_byte <= e:
                    container = cname  # innermost wins: spans are sorted by start
            if kind == "function" and container:
                kind = "method"
        out.append(
            Symbol(
                _text(name, source).strip("\"'<>"),
                kind,
                definition,
                node.start_point[0] + 1,
                node.start_point[1],
                node.end_point[0] + 1,
                container,
            )
        )
    out.sort(key=lambda s: (s.line, s.col))
    return out


def _text(node: tree_sitter.Node, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")
