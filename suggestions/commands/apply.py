"""``kaizen apply PATH ID…``: apply suggestions to the files (atomic, logged, undoable)."""

from __future__ import annotations

import argparse
import json

from suggestions.commands import add_path, project_root
from suggestions.commands._changes import warn, warn_audit
from suggestions.project.actions import Project

NAME = "apply"
HELP = "apply suggestions by id (each change is logged in the audit log and can be undone)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)
    parser.add_argument("ids", nargs="+", metavar="ID", help="suggestion ids (from `kaizen suggest`)")
    parser.add_argument("--reason", default="", help="why (kept in the audit log)")
    parser.add_argument("--force", action="store_true", help="apply even when validation failed")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    with Project(project_root(args.path)) as project:
        warn_audit(project.store)
        accepted = project.accept(project.find(args.ids), force=args.force, reason=args.reason)
    result = accepted.result
    if args.json:
        print(json.dumps({
            "applied": [{"id": s.id, "code": s.code, "path": s.path, "title": s.title} for s in result.applied],
            "entries": [e.seq for e in result.entries],
            "refused": [{"id": r.handle, "path": r.path, "reason": r.reason, "stale": r.stale}
                        for r in result.refused],
            "warnings": result.warnings,
        }, indent=2))
    else:
        by_fp = {e.fingerprint: e for e in result.entries}
        for s in result.applied:
            e = by_fp.get(s.fingerprint)
            print(f"applied {s.id} {s.code} {s.path}:{s.line} {s.title}" + (f" (audit {e.id})" if e else ""))
        warn(f"not applied {r.handle}: {r.reason}" for r in result.refused)
        warn(result.warnings)
    return 0 if result.ok else 1
