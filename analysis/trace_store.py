"""Traces in the project's store: what ran, how long, what raised, which test covered what.

Tables belong to the ``traces`` component (:meth:`Store.ensure_schema`). Per-test line
coverage is stored compactly: one row per (test, file) with the line numbers as ranges
(``"3-9,12,15-17"``). Queries answer for the latest trace (or the latest one that has
per-test coverage, for :meth:`TraceStore.tests_covering`).

The live mode: a long-running program started with ``KAIZEN_TRACE_LIVE=<file>`` appends
one JSON line of deltas per flush; :func:`tail_live` reads the complete lines added since a
given offset.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.store import Store
from analysis.tracing import ExceptionStats, FunctionStats, TraceResult

__all__ = ["STEPS", "LiveRecord", "TraceInfo", "TraceStore", "format_ranges", "parse_ranges", "tail_live"]

STEPS: tuple[str, ...] = (
    """
    CREATE TABLE traces (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        command TEXT NOT NULL,
        started REAL NOT NULL,
        duration REAL NOT NULL,
        interpreter TEXT NOT NULL DEFAULT '',
        exit_code INTEGER NOT NULL,
        status TEXT NOT NULL,
        mode TEXT NOT NULL DEFAULT '',
        calls TEXT NOT NULL DEFAULT 'exact',
        processes INTEGER NOT NULL DEFAULT 0,
        process_seconds REAL NOT NULL DEFAULT 0,
        has_coverage INTEGER NOT NULL DEFAULT 0,
        tests INTEGER NOT NULL DEFAULT 0,
        errors TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE trace_functions (
        trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        name TEXT NOT NULL,
        line INTEGER NOT NULL,
        end_line INTEGER NOT NULL,
        calls INTEGER NOT NULL,
        total REAL NOT NULL,
        own REAL NOT NULL,
        callers TEXT NOT NULL,
        arg_types TEXT NOT NULL,
        return_types TEXT NOT NULL,
        sampled INTEGER NOT NULL,
        hashable INTEGER NOT NULL,
        unhashable INTEGER NOT NULL,
        distinct_args INTEGER NOT NULL
    );
    CREATE INDEX trace_functions_path ON trace_functions(trace_id, path);
    CREATE TABLE trace_exceptions (
        trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
        type TEXT NOT NULL,
        path TEXT NOT NULL,
        line INTEGER NOT NULL,
        function TEXT NOT NULL,
        raised INTEGER NOT NULL,
        caught INTEGER NOT NULL
    );
    CREATE INDEX trace_exceptions_path ON trace_exceptions(trace_id, path);
    CREATE TABLE trace_coverage (
        trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
        test TEXT NOT NULL,
        path TEXT NOT NULL,
        lines TEXT NOT NULL
    );
    CREATE INDEX trace_coverage_path ON trace_coverage(trace_id, path);
    CREATE TABLE trace_tests (
        trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
        test TEXT NOT NULL,
        outcome TEXT NOT NULL,
        duration REAL NOT NULL,
        longrepr TEXT NOT NULL
    );
    CREATE TABLE trace_uncaught (
        trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
        pid INTEGER NOT NULL,
        type TEXT NOT NULL,
        message TEXT NOT NULL,
        traceback TEXT NOT NULL
    );
    """,
    "ALTER TABLE trace_functions ADD COLUMN kind TEXT NOT NULL DEFAULT 'function'",
    "ALTER TABLE trace_functions ADD COLUMN timed INTEGER NOT NULL DEFAULT -1",
    # Real calls recorded for replay (trace.value-samples): pickled (args, kwargs) per function.
    """
    CREATE TABLE trace_values (
        trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        name TEXT NOT NULL,
        line INTEGER NOT NULL,
        data BLOB NOT NULL
    );
    CREATE INDEX trace_values_path ON trace_values(trace_id, path, name);
    """,
    # Own time off the CPU (locks, sleeps, I/O) and the calls timed where it is measured.
    "ALTER TABLE trace_functions ADD COLUMN wait REAL NOT NULL DEFAULT 0;"
    " ALTER TABLE trace_functions ADD COLUMN wait_timed INTEGER NOT NULL DEFAULT 0",
    # ... and the part of it blocked (a lock, a sleep, I/O), not queued for a core.
    "ALTER TABLE trace_functions ADD COLUMN blocked REAL NOT NULL DEFAULT 0",
)

KEEP_TRACES = 20  # older traces are dropped: their figures are stale anyway


@dataclass(frozen=True)
class TraceInfo:
    id: int
    command: str
    started: float
    duration: float
    interpreter: str
    exit_code: int
    status: str
    mode: str
    calls: str
    processes: int
    process_seconds: float
    has_coverage: bool
    tests: int


def format_ranges(lines: Iterable[int]) -> str:
    """``[1, 2, 3, 7, 9, 10]`` -> ``"1-3,7,9-10"``."""
    out: list[str] = []
    ordered = sorted(set(lines))
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        out.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(out)


def parse_ranges(text: str) -> set[int]:
    lines: set[int] = set()
    for part in text.split(","):
        if not part:
            continue
        a, _, b = part.partition("-")
        lines.update(range(int(a), int(b or a) + 1))
    return lines


def _overlaps(text: str, start: int, end: int) -> bool:
    for part in text.split(","):
        if not part:
            continue
        a, _, b = part.partition("-")
        if int(a) <= end and int(b or a) >= start:
            return True
    return False


class TraceStore:
    """Traces of one project, in its :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.ensure_schema("traces", STEPS)

    # --- writing ---------------------------------------------------------------------------

    def add(self, result: TraceResult) -> int:
        """Store a merged trace; returns its id. Keeps the last :data:`KEEP_TRACES` traces."""
        with self.store.transaction() as db:
            cur = db.execute(
                "INSERT INTO traces(command, started, duration, interpreter, exit_code, status, mode, calls,"
                " processes, process_seconds, has_coverage, tests, errors) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (json.dumps(result.command), result.started, result.duration, result.interpreter,
                 result.exit_code, result.status, result.mode, result.calls, len(result.processes),
                 result.process_seconds, int(result.has_test_coverage), len(result.tests),
                 json.dumps(result.errors[:50])),
            )
            tid = int(cur.lastrowid or 0)
            db.executemany(
                "INSERT INTO trace_functions(trace_id, path, name, line, end_line, calls, total, own, callers,"
                " arg_types, return_types, sampled, hashable, unhashable, distinct_args, kind, timed, wait,"
                " wait_timed, blocked) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(tid, f.path, f.name, f.line, f.end_line, f.calls, f.total, f.own, json.dumps(f.callers),
                  json.dumps(f.arg_types), json.dumps(f.return_types), f.sampled, f.hashable, f.unhashable,
                  f.distinct, f.kind, f.timed, f.wait, f.wait_timed, f.blocked) for f in result.functions],
            )
            db.executemany(
                "INSERT INTO trace_values VALUES(?,?,?,?,?)",
                [(tid, f.path, f.name, f.line, call) for f in result.functions for call in f.values],
            )
            db.executemany(
                "INSERT INTO trace_exceptions VALUES(?,?,?,?,?,?,?)",
                [(tid, e.type, e.path, e.line, e.function, e.raised, e.caught) for e in result.exceptions],
            )
            db.executemany(
                "INSERT INTO trace_coverage VALUES(?,?,?,?)",
                [(tid, test, path, format_ranges(lines))
                 for test, files in result.coverage.items() for path, lines in files.items() if lines],
            )
            db.executemany(
                "INSERT INTO trace_tests VALUES(?,?,?,?,?)",
                [(tid, str(t.get("id", "")), str(t.get("outcome", "")), float(t.get("duration", 0.0)),
                  str(t.get("longrepr", ""))) for t in result.tests],
            )
            db.executemany(
                "INSERT INTO trace_uncaught VALUES(?,?,?,?,?)",
                [(tid, int(u.get("pid") or 0), str(u.get("type", "")), str(u.get("message", "")),
                  str(u.get("traceback", ""))) for u in result.uncaught],
            )
            old = [r[0] for r in db.execute("SELECT id FROM traces ORDER BY id DESC LIMIT -1 OFFSET ?",
                                            (KEEP_TRACES,))]
            for table in ("trace_functions", "trace_exceptions", "trace_coverage", "trace_tests",
                          "trace_uncaught", "trace_values"):
                db.executemany(f"DELETE FROM {table} WHERE trace_id=?", [(i,) for i in old])
            db.executemany("DELETE FROM traces WHERE id=?", [(i,) for i in old])
        return tid

    # --- reading ---------------------------------------------------------------------------

    def traces(self) -> list[TraceInfo]:
        return [self._info(r) for r in self.store.execute(
            "SELECT id, command, started, duration, interpreter, exit_code, status, mode, calls, processes,"
            " process_seconds, has_coverage, tests FROM traces ORDER BY id DESC")]

    def latest(self) -> TraceInfo | None:
        rows = self.store.execute(
            "SELECT id, command, started, duration, interpreter, exit_code, status, mode, calls, processes,"
            " process_seconds, has_coverage, tests FROM traces ORDER BY id DESC LIMIT 1")
        return self._info(rows[0]) if rows else None

    @staticmethod
    def _info(r: Any) -> TraceInfo:
        try:
            command = " ".join(json.loads(r[1]))
        except (ValueError, TypeError):
            command = str(r[1])
        return TraceInfo(int(r[0]), command, float(r[2]), float(r[3]), str(r[4]), int(r[5]), str(r[6]),
                         str(r[7]), str(r[8]), int(r[9]), float(r[10]), bool(r[11]), int(r[12]))

    def _latest_id(self, trace_id: int | None) -> int | None:
        if trace_id is not None:
            return trace_id
        info = self.latest()
        return info.id if info else None

    def functions(self, trace_id: int | None = None, path: str | None = None) -> list[FunctionStats]:
        """Per-function figures of a trace (the latest by default), by own time."""
        tid = self._latest_id(trace_id)
        if tid is None:
            return []
        sql = ("SELECT path, name, line, end_line, calls, total, own, callers, arg_types, return_types,"
               " sampled, hashable, unhashable, distinct_args, kind, timed, wait, wait_timed,"
               " blocked FROM trace_functions WHERE trace_id=?")
        params: list[Any] = [tid]
        if path is not None:
            sql += " AND path=?"
            params.append(path)
        return [
            FunctionStats(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), float(r[5]), float(r[6]),
                          json.loads(r[7]), json.loads(r[8]), json.loads(r[9]), int(r[10]), int(r[11]),
                          int(r[12]), int(r[13]), str(r[14]), int(r[15]), wait=float(r[16]),
                          wait_timed=int(r[17]), blocked=float(r[18]))
            for r in self.store.execute(sql + " ORDER BY own DESC", params)
        ]

    def call_samples(self, path: str, qualname: str, trace_id: int | None = None) -> list[bytes]:
        """Real calls of a function recorded by a trace (the latest by default), each a pickled
        ``(args, kwargs)``: what replay feeds the old and the new code. Only the latest trace
        speaks: one taken with ``trace.value-samples = 0`` (or a path newly under
        ``trace.no-values``) leaves nothing to replay."""
        trace_id = self._latest_id(trace_id)
        if trace_id is None:
            return []
        return [bytes(r[0]) for r in self.store.execute(
            "SELECT data FROM trace_values WHERE trace_id=? AND path=? AND name=? ORDER BY rowid",
            (trace_id, path, qualname))]

    def exceptions(self, trace_id: int | None = None, path: str | None = None) -> list[ExceptionStats]:
        tid = self._latest_id(trace_id)
        if tid is None:
            return []
        sql = "SELECT type, path, line, function, raised, caught FROM trace_exceptions WHERE trace_id=?"
        params: list[Any] = [tid]
        if path is not None:
            sql += " AND path=?"
            params.append(path)
        return [ExceptionStats(r[0], r[1], int(r[2]), r[3], int(r[4]), int(r[5]))
                for r in self.store.execute(sql + " ORDER BY raised DESC", params)]

    def hotspots(self, limit: int = 20, trace_id: int | None = None) -> list[dict[str, Any]]:
        """Functions by own time on the CPU (own time where that was not measured), with own
        wall time, waiting (blocked: locks, sleeps, I/O), calls and exceptions."""
        tid = self._latest_id(trace_id)
        if tid is None:
            return []
        info = [t for t in self.traces() if t.id == tid]
        denominator = (info[0].process_seconds if info else 0.0) or 1e-9
        raised: dict[tuple[str, str], int] = {}
        for e in self.exceptions(tid):
            raised[(e.path, e.function)] = raised.get((e.path, e.function), 0) + e.raised
        out = []
        ranked = sorted(self.functions(tid), key=lambda f: -(f.own if f.cpu is None else f.cpu))
        for f in ranked[: max(0, limit)]:
            cpu, waiting = f.cpu, f.waiting
            out.append({
                "path": f.path, "function": f.name, "line": f.line, "end_line": f.end_line,
                "calls": f.calls, "calls_exact": True, "time_exact": f.time_exact,
                "own_s": round(f.own, 6), "total_s": round(f.total, 6),
                "own_share": round(min(1.0, f.own / denominator), 4),
                "total_share": round(min(1.0, f.total / denominator), 4),
                "exceptions": raised.get((f.path, f.name), 0),
                "cpu_s": None if cpu is None else round(cpu, 6),
                "wait_s": None if waiting is None else round(waiting, 6),
                "cpu_share": None if cpu is None else round(min(1.0, cpu / denominator), 4),
                # blocked, not computing: more than half its own time
                "waiting": waiting is not None and f.own > 0.0005 and waiting > 0.5 * f.own,
            })
        return out

    def executed_functions(self, trace_id: int | None = None) -> set[tuple[str, str, int]]:
        """``(path, qualified name, first line)`` of every project function that ran."""
        tid = self._latest_id(trace_id)
        if tid is None:
            return set()
        return {(r[0], r[1], int(r[2])) for r in self.store.execute(
            "SELECT path, name, line FROM trace_functions WHERE trace_id=? AND calls > 0", (tid,))}

    def coverage_trace(self) -> TraceInfo | None:
        """The latest trace that recorded per-test coverage."""
        rows = self.store.execute("SELECT id FROM traces WHERE has_coverage=1 ORDER BY id DESC LIMIT 1")
        if not rows:
            return None
        return next((t for t in self.traces() if t.id == int(rows[0][0])), None)

    def tests_covering(self, path: str, start_line: int, end_line: int) -> set[str] | None:
        """Tests that executed a line of ``path`` in ``[start_line, end_line]``.

        None when no trace has per-test coverage (the caller then runs every test); an empty
        set when there is coverage but no test reached those lines.
        """
        info = self.coverage_trace()
        if info is None:
            return None
        return {
            str(r[0]) for r in self.store.execute(
                "SELECT test, lines FROM trace_coverage WHERE trace_id=? AND path=? AND test != ''",
                (info.id, path))
            if _overlaps(str(r[1]), start_line, end_line)
        }

    def covered_lines(self, path: str, test: str | None = None, trace_id: int | None = None) -> set[int]:
        """Lines of ``path`` executed (by one test, or by the whole run)."""
        tid = trace_id
        if tid is None:
            info = self.coverage_trace() or self.latest()
            tid = info.id if info else None
        if tid is None:
            return set()
        sql = "SELECT lines FROM trace_coverage WHERE trace_id=? AND path=?"
        params: list[Any] = [tid, path]
        if test is not None:
            sql += " AND test=?"
            params.append(test)
        lines: set[int] = set()
        for r in self.store.execute(sql, params):
            lines |= parse_ranges(str(r[0]))
        return lines

    def evidence_for(self, path: str, start_line: int, end_line: int) -> dict[str, Any]:
        """Runtime figures of the innermost functions a span touches (empty when none ran)."""
        info = self.latest()
        if info is None:
            return {}
        covered = self.covered_lines(path, trace_id=info.id) & set(range(start_line, end_line + 1))
        touched = [f for f in self.functions(info.id, path) if f.line <= end_line and f.end_line >= start_line]
        if any(f.kind == "function" for f in touched) or not covered:
            # A module or class body spans its whole file/class: it only speaks for its own lines.
            touched = [f for f in touched if f.kind == "function"]
        # Keep the innermost: drop a function (or class body) that encloses another touched one.
        inner = [f for f in touched if not any(
            g is not f and f.line <= g.line and g.end_line <= f.end_line and (g.line, g.end_line) != (f.line, f.end_line)
            for g in touched)]
        excs = [e for e in self.exceptions(info.id, path) if start_line <= e.line <= end_line
                or any(e.function == f.name for f in inner)]
        denominator = info.process_seconds or 1e-9
        evidence: dict[str, Any] = {
            "trace_id": info.id,
            "functions": [f"{f.name}:{f.line}" for f in inner],
            "calls": sum(f.calls for f in inner),
            "calls_exact": True,
            "time_exact": all(f.time_exact for f in inner),
            "total_s": round(sum(f.total for f in inner), 6),
            "own_s": round(sum(f.own for f in inner), 6),
            "time_share": round(min(1.0, sum(f.total for f in inner) / denominator), 4),
            "own_share": round(min(1.0, sum(f.own for f in inner) / denominator), 4),
            "exceptions_raised": sum(e.raised for e in excs),
            "exceptions_caught": sum(e.caught for e in excs),
            "executed": bool(inner) or bool(covered),
        }
        tests = self.tests_covering(path, start_line, end_line)
        if tests is not None:
            evidence["tests"] = len(tests)
        return evidence

    def failures(self, trace_id: int | None = None) -> list[dict[str, Any]]:
        """Failed tests and uncaught exceptions with their tracebacks (for self-healing)."""
        tid = self._latest_id(trace_id)
        if tid is None:
            return []
        out: list[dict[str, Any]] = [
            {"kind": "test", "test": r[0], "outcome": r[1], "traceback": r[2]}
            for r in self.store.execute(
                "SELECT test, outcome, longrepr FROM trace_tests WHERE trace_id=? AND outcome IN ('failed','error')"
                " ORDER BY rowid", (tid,))
        ]
        out += [
            {"kind": "uncaught", "pid": r[0], "type": r[1], "message": r[2], "traceback": r[3]}
            for r in self.store.execute(
                "SELECT pid, type, message, traceback FROM trace_uncaught WHERE trace_id=? ORDER BY rowid", (tid,))
        ]
        return out

    def tests(self, trace_id: int | None = None) -> dict[str, str]:
        """Test id -> outcome."""
        tid = self._latest_id(trace_id)
        if tid is None:
            return {}
        return {str(r[0]): str(r[1]) for r in self.store.execute(
            "SELECT test, outcome FROM trace_tests WHERE trace_id=?", (tid,))}


# --- live mode ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveRecord:
    """One flush of a live process: what changed since its previous flush."""

    pid: int
    at: float
    final: bool
    functions: list[dict[str, Any]]
    exceptions: list[dict[str, Any]]
    uncaught: list[dict[str, Any]]


def tail_live(path: Path | str, offset: int = 0) -> tuple[list[LiveRecord], int]:
    """Complete records appended to a live file since ``offset``; returns the new offset.

    A line still being written (no newline yet) is left for the next call.
    """
    p = Path(path)
    try:
        with p.open("rb") as fh:
            fh.seek(offset)
            data = fh.read()
    except FileNotFoundError:
        return [], offset
    end = data.rfind(b"\n")
    if end < 0:
        return [], offset
    records = []
    for raw in data[: end + 1].splitlines():
        try:
            d = json.loads(raw)
        except ValueError:
            continue
        records.append(LiveRecord(int(d.get("pid", 0)), float(d.get("at", time.time())), bool(d.get("final")),
                                  list(d.get("functions", [])), list(d.get("exceptions", [])),
                                  list(d.get("uncaught", []))))
    return records, offset + end + 1
