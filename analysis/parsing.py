"""tree-sitter parsing behind one small API: parse, re-parse incrementally, report errors.

Syntax errors are data: :func:`syntax_issues` lists ERROR and MISSING nodes with their
locations; nothing here raises on bad input.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import tree_sitter

from analysis.languages import ts_language

__all__ = [
    "ParseCache",
    "ParsedFile",
    "SyntaxIssue",
    "compute_edit",
    "parse",
    "syntax_issues",
]

_local = threading.local()


def _parser(language: str) -> tree_sitter.Parser:
    # tree-sitter parsers are not thread-safe; one per thread and language is cheap.
    parsers: dict[str, tree_sitter.Parser] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    p = parsers.get(language)
    if p is None:
        p = parsers[language] = tree_sitter.Parser(ts_language(language))
    return p


@dataclass(frozen=True, slots=True)
class SyntaxIssue:
    line: int  # 1-based
    col: int  # 0-based, in bytes
    end_line: int
    end_col: int
    kind: str  # "error" (unexpected text) or "missing" (something expected is absent)
    detail: str

    @property
    def message(self) -> str:
        if self.kind == "missing":
            return f"syntax error: missing {self.detail}"
        return f"syntax error near {self.detail!r}" if self.detail else "syntax error"


@dataclass(slots=True)
class ParsedFile:
    path: str
    language: str
    source: bytes
    tree: tree_sitter.Tree
    _issues: list[SyntaxIssue] | None = field(default=None, repr=False)

    @property
    def has_errors(self) -> bool:
        return self.tree.root_node.has_error

    @property
    def issues(self) -> list[SyntaxIssue]:
        if self._issues is None:
            self._issues = syntax_issues(self.tree, self.source)
        return self._issues


def parse(language: str, source: bytes, old_tree: tree_sitter.Tree | None = None) -> tree_sitter.Tree:
    """Parse ``source``; with ``old_tree`` (already edited) tree-sitter reuses what it can."""
    parser = _parser(language)
    return parser.parse(source, old_tree) if old_tree is not None else parser.parse(source)


def syntax_issues(tree: tree_sitter.Tree, source: bytes, limit: int = 50) -> list[SyntaxIssue]:
    """ERROR and MISSING nodes, outermost first, descending only into subtrees with errors."""
    out: list[SyntaxIssue] = []
    stack = [tree.root_node]
    while stack and len(out) < limit:
        node = stack.pop()
        if node.is_missing:
            out.append(_issue(node, "missing", node.type))
            continue
        if node.is_error:
            snippet = source[node.start_byte : min(node.end_byte, node.start_byte + 40)]
            text = snippet.decode("utf-8", "replace").split("\n", 1)[0].strip()
            out.append(_issue(node, "error", text))
            continue
        if node.has_error:
            stack.extend(reversed(node.children))
    return out


def _issue(node: tree_sitter.Node, kind: str, detail: str) -> SyntaxIssue:
    (sr, sc), (er, ec) = node.start_point, node.end_point
    return SyntaxIssue(sr + 1, sc, er + 1, ec, kind, detail)


def _point(data: bytes, offset: int) -> tuple[int, int]:
    row = data.count(b"\n", 0, offset)
    col = offset - (data.rfind(b"\n", 0, offset) + 1)
    return row, col


@dataclass(frozen=True, slots=True)
class TextEdit:
    start_byte: int
    old_end_byte: int
    new_end_byte: int
    start_point: tuple[int, int]
    old_end_point: tuple[int, int]
    new_end_point: tuple[int, int]


def compute_edit(old: bytes, new: bytes) -> TextEdit | None:
    """The single edit that turns ``old`` into ``new`` (common prefix and suffix kept)."""
    if old == new:
        return None
    n = min(len(old), len(new))
    # Compare in chunks first: much faster than a byte loop for large files.
    start = 0
    step = 4096
    while start < n:
        end = min(start + step, n)
        if old[start:end] != new[start:end]:
            while old[start] == new[start]:
                start += 1
            break
        start = end
    limit = n - start
    suffix = 0
    while suffix < limit:
        end = min(suffix + step, limit)
        if old[len(old) - end : len(old) - suffix] != new[len(new) - end : len(new) - suffix]:
            while old[len(old) - suffix - 1] == new[len(new) - suffix - 1]:
                suffix += 1
            break
        suffix = end
    old_end, new_end = len(old) - suffix, len(new) - suffix
    return TextEdit(
        start, old_end, new_end, _point(old, start), _point(old, old_end), _point(new, new_end)
    )


class ParseCache:
    """Trees by path; re-parsing a known path is incremental. Thread-safe, bounded (LRU)."""

    def __init__(self, max_files: int = 20_000) -> None:
        self._files: OrderedDict[str, ParsedFile] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_files

    def get(self, path: str) -> ParsedFile | None:
        with self._lock:
            return self._files.get(path)

    def parse(self, path: str, language: str, source: bytes) -> ParsedFile:
        old = self.get(path)
        if old is not None and old.language == language:
            if old.source == source:
                return old
            edit = compute_edit(old.source, source)
            tree = old.tree.copy()  # keep the old ParsedFile's tree valid
            if edit is not None:
                tree.edit(
                    edit.start_byte, edit.old_end_byte, edit.new_end_byte,
                    edit.start_point, edit.old_end_point, edit.new_end_point,
                )
            new_tree = parse(language, source, tree)
        else:
            new_tree = parse(language, source)
        parsed = ParsedFile(path, language, source, new_tree)
        with self._lock:
            self._files[path] = parsed
            self._files.move_to_end(path)
            while len(self._files) > self._max:
                self._files.popitem(last=False)
        return parsed

    def drop(self, path: str) -> None:
        with self._lock:
            self._files.pop(path, None)

    def __len__(self) -> int:
        return len(self._files)
