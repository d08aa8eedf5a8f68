"""What a patch touches: the enclosing definition of the changed lines, which tests cover it
(from the trace store's per-test coverage), and which lines of the patched file hold changed
code (what the validation run records as executed or not)."""

from __future__ import annotations

import ast
import threading
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tree_sitter

from analysis.languages import LANGUAGES
from analysis.trace_store import TraceStore
from suggestions.store import Store

__all__ = ["AST_LOCK", "Region", "StaleCoverage", "TraceCoverage", "affected_region", "changed_code_lines", "new_side",
           "trace_coverage"]


@dataclass(frozen=True, slots=True)
class Region:
    """The code a patch changes: function line ranges, or module level."""

    module_level: bool
    functions: tuple[tuple[int, int], ...] = ()  # innermost enclosing function per edit, 1-based lines
    outer: tuple[tuple[int, int], ...] = ()  # outermost enclosing function per edit
    changed_lines: tuple[int, int] = (0, 0)


def affected_region(language: str | None, tree: tree_sitter.Tree | None, data: bytes,
                    edits: Sequence[tuple[int, int]]) -> Region:
    """Which functions the edits fall in; module level when any edit is outside every function."""
    first = min((data.count(b"\n", 0, s) + 1 for s, _e in edits), default=0)
    last = max((data.count(b"\n", 0, e) + 1 for _s, e in edits), default=0)
    spec = LANGUAGES.get(language or "")
    if spec is None or tree is None or not spec.function_nodes:
        return Region(True, changed_lines=(first, last))
    inner: list[tuple[int, int]] = []
    outer: list[tuple[int, int]] = []
    for start, end in edits:
        # Whole-line edits (a diff's) end past the function's last line with its newline; the
        # whitespace after the code is nobody's.
        while end > start and data[end - 1:end] in (b"\n", b"\r", b" ", b"\t"):
            end -= 1
        node = tree.root_node.descendant_for_byte_range(start, max(start, end - 1) if end > start else start)
        found: list[tree_sitter.Node] = []
        while node is not None:
            if node.type in spec.function_nodes and node.start_byte <= start and end <= node.end_byte:
                found.append(node)
            node = node.parent
        if not found:
            return Region(True, changed_lines=(first, last))
        inner.append((found[0].start_point[0] + 1, found[0].end_point[0] + 1))
        outer.append((found[-1].start_point[0] + 1, found[-1].end_point[0] + 1))
    return Region(False, tuple(inner), tuple(outer), (first, last))


class StaleCoverage(Exception):
    """The file changed after the trace was taken: its line numbers may no longer match."""


class TraceCoverage:
    """Per-test coverage of the latest trace, guarded against staleness.

    Calling it answers ``tests_covering`` but refuses (:class:`StaleCoverage`) a file edited
    after the trace; :meth:`new_tests` names test files written since, which the trace
    cannot know about and which must run too.
    """

    def __init__(self, trace_store: Any, root: Path) -> None:
        self.ts = trace_store
        self.root = root

    def started(self) -> float | None:
        info = self.ts.coverage_trace()
        return float(info.started) if info is not None else None

    def __call__(self, path: str, start: int, end: int) -> set[str] | None:
        started = self.started()
        if started is None:
            return None
        try:
            mtime = (self.root / path).stat().st_mtime
        except OSError:
            mtime = 0.0
        if mtime > started:
            # Lines may have moved: the wrong tests could be selected and a break missed.
            raise StaleCoverage(f"{path} changed after the latest trace")
        found: set[str] | None = self.ts.tests_covering(path, start, end)
        return found

    def new_tests(self, files: dict[str, float]) -> tuple[list[str], bool]:
        """(test files changed since the trace, whether a conftest.py changed) from ``{path: mtime}``."""
        started = self.started()
        if started is None:
            return [], False
        changed = [p for p, m in files.items() if m > started]
        names = {p: p.rsplit("/", 1)[-1] for p in changed}
        tests = sorted(p for p, n in names.items() if n.endswith(".py") and (n.startswith("test_") or n.endswith("_test.py")))
        return tests, any(n == "conftest.py" for n in names.values())


def trace_coverage(store: Store, root: Path) -> TraceCoverage | None:
    """The trace store's coverage (None when it cannot be opened)."""
    try:
        ts = TraceStore(store)
    except Exception:  # a trace store that cannot open must not stop validation
        return None
    return TraceCoverage(ts, root)




# --- changed lines of the patched file -------------------------------------------------------------


def new_side(edits: Sequence[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """Byte ranges of the replacements in the patched data, from ``(start, end, new length)``
    edits on the original (sorted, non-overlapping)."""
    out: list[tuple[int, int]] = []
    shift = 0
    for start, end, size in sorted(edits):
        out.append((start + shift, start + shift + size))
        shift += size - (end - start)
    return out


# ast.parse/compile in two threads at once can fail on 3.11 (CPython gh-106905): one at a time.
AST_LOCK = threading.Lock()


def _code_lines(code: types.CodeType) -> Iterator[int]:
    for _s, _e, line in code.co_lines():
        if line is not None:
            yield line
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_lines(const)


def changed_code_lines(new_data: bytes, name: str, ranges: Sequence[tuple[int, int]]) -> tuple[int, ...] | None:
    """The 1-based lines of ``new_data`` (a patched Python file) that hold changed code.

    ``ranges`` are the replacements' byte ranges in ``new_data`` (:func:`new_side`). A line
    counts when compiled code maps to it (``co_lines`` of every code object). A replacement
    holding no such line (a deletion, a comment) stands for the line where it sits when that
    is code, else for the innermost enclosing statement's first line that is. None: the
    file does not compile (nothing can be recorded).
    """
    try:
        with AST_LOCK:
            module = compile(new_data, name, "exec", dont_inherit=True)
            tree = ast.parse(new_data)
    except (SyntaxError, ValueError):
        return None
    code = set(_code_lines(module))
    out: set[int] = set()
    for start, end in ranges:
        first = new_data.count(b"\n", 0, start) + 1
        last = new_data.count(b"\n", 0, max(start, end - 1)) + 1 if end > start else first
        hit = {n for n in range(first, last + 1) if n in code}
        if not hit:
            hit = {_enclosing(tree, first, code)} - {0}
        out |= hit
    return tuple(sorted(out))


def _enclosing(tree: ast.AST, line: int, code: set[int]) -> int:
    """The line itself if it is code, else the first code line of the innermost statement
    around it (0: none)."""
    if line in code:
        return line
    best = 0
    best_span = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt):
            continue
        end = node.end_lineno or node.lineno
        if node.lineno <= line <= end and node.lineno in code:
            span = end - node.lineno
            if best_span is None or span < best_span:
                best, best_span = node.lineno, span
    return best
