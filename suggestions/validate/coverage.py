"""What a patch touches: the enclosing definition of the changed lines, and which tests
cover it (from the trace store's per-test coverage)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tree_sitter

from analysis.languages import LANGUAGES
from analysis.trace_store import TraceStore
from suggestions.store import Store

__all__ = ["Region", "StaleCoverage", "TraceCoverage", "affected_region", "trace_coverage"]


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


