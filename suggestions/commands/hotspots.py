"""``kaizen hotspots PATH``: functions by their own time on the CPU, from the latest trace.

Own wall time is split into computing (CPU) and waiting (blocked: a lock, a sleep, I/O; on
Linux time a busy machine kept the thread waiting for a core is in neither),
so that threads blocked on a lock do not top the list; where the CPU time was not measured
(no per-thread CPU clock, or timed by ``_lsprof`` on 3.12+ while one thread ran) the own wall
time ranks and the CPU and wait columns show "-".
"""

from __future__ import annotations

import argparse
import json

from analysis.trace_store import TraceStore
from suggestions.commands import CommandError, add_path, project_root
from suggestions.store import Store

NAME = "hotspots"
HELP = "functions by own CPU time (own wall time and waiting beside it) from the latest trace"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--limit", type=int, default=20, help="how many functions (default 20)")


def run(args: argparse.Namespace) -> int:
    root = project_root(args.path)
    if args.limit < 1:
        raise CommandError("--limit must be at least 1")
    with Store(root) as store:
        traces = TraceStore(store)
        info = traces.latest()
        if info is None:
            raise CommandError(f"{root}: no trace yet (run `kaizen trace {args.path} -- COMMAND`)")
        rows = traces.hotspots(args.limit)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    whole = info.process_seconds or 1e-9
    print(f"trace #{info.id}: {info.command} ({info.status}, {info.duration:.2f}s, {info.interpreter})")
    print(f"{'cpu%':>6} {'own%':>6} {'wait%':>6} {'total%':>7} {'calls':>9} {'raised':>7}  function")
    for r in rows:
        mark = " " if r["time_exact"] else "~"  # time estimated from a sample of calls
        cpu = "-" if r["cpu_share"] is None else f"{100 * r['cpu_share']:.1f}"
        wait = "-" if r["wait_s"] is None else f"{100 * min(1.0, r['wait_s'] / whole):.1f}"
        label = "  (waiting)" if r["waiting"] else ""
        print(f"{cpu:>6}{mark}{100 * r['own_share']:5.1f} {wait:>6} {100 * r['total_share']:7.1f} {r['calls']:>9} "
              f"{r['exceptions']:>7}  {r['path']}:{r['line']} {r['function']}{label}")
    if any(not r["time_exact"] for r in rows):
        print("~ time estimated from the calls that were timed (threads ran beside each other)")
    if any(r["waiting"] for r in rows):
        print("(waiting): blocked (a lock, a sleep, I/O) for more than half of its own time")
    return 0
