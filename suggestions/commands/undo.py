"""``kaizen undo PATH [ID…|--last N]``: take back applied changes, byte for byte."""

from __future__ import annotations

import argparse

from analysis.config import load_config
from analysis.store import Store
from suggestions.apply.patcher import undo
from suggestions.commands import CommandError, add_path, project_root
from suggestions.commands._changes import rescan, warn, warn_audit

NAME = "undo"
HELP = "undo applied changes: by suggestion id or audit entry (#N), or the last N (default: the last one)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)
    parser.add_argument("ids", nargs="*", metavar="ID", help="suggestion ids or audit entries (#12)")
    parser.add_argument("--last", type=int, default=None, metavar="N", help="undo the last N applied changes")
    parser.add_argument("--reason", default="", help="why (kept in the audit log)")


def run(args: argparse.Namespace) -> int:
    if args.ids and args.last is not None:
        raise CommandError("give IDs or --last N, not both")
    if args.last is not None and args.last < 1:
        raise CommandError("--last must be at least 1")
    root = project_root(args.path)
    config = load_config(root)
    with Store(root) as store:
        warn_audit(store)
        result = undo(root, store, entry_ids=args.ids or None,
                      last=args.last if args.ids else (args.last or 1), reason=args.reason, config=config)
        rescan(root, config, store, result.paths)
    for e in result.undone:
        print(f"undid #{e.undoes} {e.code} {e.path} {e.title} (audit {e.id})")
    warn(f"not undone{' ' + r.handle if r.handle else ''}: {r.reason}" for r in result.refused)
    if result.refused and result.undone == []:
        warn(["nothing was changed"])
    warn(result.warnings)
    return 0 if result.ok else 1
