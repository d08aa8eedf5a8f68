"""``kaizen undo PATH [ID…|--last N]``: take back applied changes, byte for byte."""

from __future__ import annotations

import argparse

from suggestions.commands import add_path, project_root
from suggestions.commands._changes import warn, warn_audit
from suggestions.project.actions import Project

NAME = "undo"
HELP = "undo applied changes: by suggestion id or audit entry (#N), or the last N (default: the last one)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)
    parser.add_argument("ids", nargs="*", metavar="ID", help="suggestion ids or audit entries (#12)")
    parser.add_argument("--last", type=int, default=None, metavar="N", help="undo the last N applied changes")
    parser.add_argument("--reason", default="", help="why (kept in the audit log)")


def run(args: argparse.Namespace) -> int:
    with Project(project_root(args.path)) as project:
        warn_audit(project.store)
        result = project.undo(args.ids or None, args.last, reason=args.reason).result
    for e in result.undone:
        print(f"undid #{e.undoes} {e.code} {e.path} {e.title} (audit {e.id})")
    warn(f"not undone{' ' + r.handle if r.handle else ''}: {r.reason}" for r in result.refused)
    if result.refused and result.undone == []:
        warn(["nothing was changed"])
    warn(result.warnings)
    return 0 if result.ok else 1
