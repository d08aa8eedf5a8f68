"""``kaizen hotspots PATH``: functions by share of time, from the latest trace."""

from __future__ import annotations

import argparse
import json

from analysis.trace_store import TraceStore
from suggestions.commands import CommandError, add_path, project_root
from suggestions.store import Store

NAME = "hotspots"
HELP = "functions by share of time (with calls and exceptions) from the latest trace"


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
    print(f"trace #{info.id}: {info.command} ({info.status}, {info.duration:.2f}s, {info.interpreter})")
    print(f"{'own%':>6} {'total%':>7} {'calls':>9} {'raised':>7}  function")
    for r in rows:
        mark = " " if r["time_exact"] else "~"  # time estimated from a sample of calls
        print(f"{mark}{100 * r['own_share']:5.1f} {100 * r['total_share']:7.1f} {r['calls']:>9} {r['exceptions']:>7}  "
              f"{r['path']}:{r['line']} {r['function']}")
    if any(not r["time_exact"] for r in rows):
        print("~ time estimated from the calls that were timed (threads ran beside each other)")
    return 0
