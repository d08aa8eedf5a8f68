"""The validator's pytest plugin, and the reader of what it writes.

:data:`PLUGIN_DIR` holds ``_kaizen_outcomes.py``, a stdlib-and-pytest-only module the
validator loads into every test run with ``-p _kaizen_outcomes`` (the folder goes first on
``PYTHONPATH``, read-only inside the confinement). It writes one JSON line per event to a
file per process in ``KAIZEN_OUTCOMES_DIR``: each test phase's report, whether the test's
own function body started, and the session's exit status. :func:`read_outcomes` turns that
into per-test outcomes (and, when the run watched changed lines through ``KAIZEN_WATCH``,
which of them each test executed), so the terminal output (colours, ``-q``, pytest-sugar, xdist) is only
ever a log for the user.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ENV_DIR", "ENV_WATCH", "PLUGIN_DIR", "PLUGIN_MODULE", "Outcomes", "read_outcomes"]

PLUGIN_DIR = Path(__file__).resolve().parent / "plugin"
PLUGIN_MODULE = "_kaizen_outcomes"
ENV_DIR = "KAIZEN_OUTCOMES_DIR"
ENV_WATCH = "KAIZEN_WATCH"  # a JSON file {"files": {rel: [line, ...]}}: the lines to record


@dataclass
class Outcomes:
    """What the plugin saw in one run."""

    tests: dict[str, str] = field(default_factory=dict)  # test id -> passed/failed/error/skipped/xfail/xpass
    not_run: list[str] = field(default_factory=list)  # reported passed, but the test body never started
    failed_but_passed: list[str] = field(default_factory=list)  # the body raised, yet reported passed
    loaded: bool = False  # the plugin started in some process
    finished: bool = False  # the main pytest process reached the end of its session
    exitstatus: int | None = None
    collected: int | None = None
    # test id ("" outside any test: imports, collection) -> file -> watched lines it executed
    lines: dict[str, dict[str, set[int]]] = field(default_factory=dict)

    @property
    def problem(self) -> str:
        """Why the outcomes cannot be trusted to be complete ("" when they can)."""
        if not self.loaded:
            return "Kaizen's pytest plugin did not load in the test run (the outcomes cannot be read)"
        if not self.finished:
            return ("the test run ended before pytest finished its session (the outcomes cannot be "
                    "read: a crash, os._exit(), or a killed process)")
        return ""


def _outcome(reports: list[dict[str, object]]) -> str:
    out = "passed"
    for r in reports:
        when, kind, xfail = r.get("when"), r.get("outcome"), bool(r.get("wasxfail"))
        if kind == "failed":
            out = "failed" if when == "call" else ("failed" if out == "failed" else "error")
        elif kind == "skipped":
            if xfail:
                out = "xfail"
            elif out == "passed":
                out = "skipped"
        elif kind == "passed" and when == "call" and xfail and out == "passed":
            out = "xpass"
    return out


def _add_lines(into: dict[str, set[int]], files: object) -> None:
    if not isinstance(files, dict):
        return
    for rel, lines in files.items():
        if isinstance(lines, list):
            into.setdefault(str(rel), set()).update(n for n in lines if isinstance(n, int))


def read_outcomes(folder: Path) -> Outcomes:
    """Merge every process's record file in ``folder`` (xdist workers write their own)."""
    res = Outcomes()
    reports: dict[str, dict[str, dict[str, object]]] = {}
    order: list[str] = []
    bodies: dict[str, tuple[bool, bool]] = {}  # test -> (entered, raised) of its last call
    try:
        files = sorted(os.listdir(folder))
    except OSError:
        return res
    for name in files:
        if not name.endswith(".jsonl"):
            continue
        try:
            text = (folder / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # a line cut short by a killed process
            if not isinstance(rec, dict):
                continue
            ev = rec.get("event")
            test = str(rec.get("test", ""))
            if ev == "start":
                res.loaded = True
            elif ev == "report" and test:
                if test not in reports:
                    reports[test] = {}
                    order.append(test)
                # Keyed by phase: xdist's controller sees the same reports as the worker.
                reports[test][str(rec.get("when"))] = rec
            elif ev == "body" and test:
                bodies[test] = (bool(rec.get("entered")), bool(rec.get("raised")))
            elif ev == "lines":
                _add_lines(res.lines.setdefault(test, {}), rec.get("files"))
            elif ev == "finish" and rec.get("main"):
                res.finished = True
                status = rec.get("exitstatus")
                res.exitstatus = int(status) if isinstance(status, int) else None
                coll = rec.get("collected")
                res.collected = int(coll) if isinstance(coll, int) else None
    for test in order:
        res.tests[test] = _outcome(list(reports[test].values()))
    for test, outcome in res.tests.items():
        body = bodies.get(test)
        if outcome in ("passed", "xpass") and body is not None:
            if not body[0]:
                res.not_run.append(test)
            elif body[1]:
                res.failed_but_passed.append(test)
    return res
