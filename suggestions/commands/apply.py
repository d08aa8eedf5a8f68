"""``kaizen apply PATH ID…``: apply suggestions to the files (atomic, logged, undoable)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from suggestions.commands import CommandError, add_path, project_root
from suggestions.commands._changes import warn, warn_audit
from suggestions.project.actions import Project

NAME = "apply"
HELP = "apply suggestions by id (each change is logged in the audit log and can be undone)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)
    parser.add_argument("ids", nargs="*", metavar="ID", help="suggestion ids (from `kaizen suggest`)")
    parser.add_argument("--all-safe", action="store_true",
                        help="apply every safe fix, re-analyse and apply again until none is left "
                             "(one change in the audit log: one `kaizen undo` takes it back)")
    parser.add_argument("--file", default=None, metavar="F", help="with --all-safe: only this file's fixes")
    parser.add_argument("--reason", default="", help="why (kept in the audit log)")
    parser.add_argument("--force", action="store_true", help="apply even when validation failed")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    if args.all_safe:
        if args.ids:
            raise CommandError("give IDs or --all-safe, not both")
        return _all_safe(args)
    if args.file is not None:
        raise CommandError("--file only means something with --all-safe")
    if not args.ids:
        raise CommandError("give suggestion IDs (from `kaizen suggest`), or --all-safe")
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


def _all_safe(args: argparse.Namespace) -> int:
    root = project_root(args.path)
    file = None
    if args.file is not None:
        f = Path(args.file)
        f = f if f.is_absolute() or not f.exists() else f.resolve()
        if f.is_absolute():
            try:
                file = f.resolve().relative_to(root).as_posix()
            except ValueError:
                raise CommandError(f"{args.file} is not inside {root}") from None
        else:
            file = f.as_posix()
        if not (root / file).is_file():
            raise CommandError(f"no file {args.file} in {root}")
    with Project(root) as project:
        warn_audit(project.store)
        done = project.apply_all_safe(file, reason=args.reason)
    if args.json:
        print(json.dumps({
            "applied": [{"id": s.id, "code": s.code, "path": s.path, "title": s.title} for s in done.applied],
            "entries": [e.seq for e in done.entries], "rounds": done.rounds, "bound_hit": done.bound_hit,
            "batch": done.batch,
            "refused": [{"id": r.handle, "path": r.path, "reason": r.reason} for r in done.refused],
            "warnings": done.warnings,
        }, indent=2))
    else:
        for s in done.applied:
            print(f"applied {s.id} {s.code} {s.path}:{s.line} {s.title}")
        where = f" in {file}" if file else ""
        if done.applied:
            print(f"{len(done.applied)} safe fix(es){where} in {done.rounds} round(s); "
                  f"`kaizen undo {args.path}` takes them all back")
        else:
            print(f"no safe fix to apply{where}")
        if done.bound_hit:
            warn([f"stopped after {done.rounds} rounds with safe fixes still to apply; run it again"])
        warn(f"not applied {r.handle}: {r.reason}" for r in done.refused)
        warn(done.warnings)
    return 0 if done.ok else 1
