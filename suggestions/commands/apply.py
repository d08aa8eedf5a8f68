"""``kaizen apply PATH ID…``: apply suggestions to the files (atomic, logged, undoable)."""

from __future__ import annotations

import argparse
import json

from analysis.config import load_config
from analysis.store import Store
from suggestions.apply.patcher import apply_suggestions
from suggestions.commands import CommandError, add_path, project_root
from suggestions.commands._changes import find_suggestions, rescan, warn, warn_audit
from suggestions.model import ValidationStatus

NAME = "apply"
HELP = "apply suggestions by id (each change is logged in the audit log and can be undone)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)
    parser.add_argument("ids", nargs="+", metavar="ID", help="suggestion ids (from `kaizen suggest`)")
    parser.add_argument("--reason", default="", help="why (kept in the audit log)")
    parser.add_argument("--force", action="store_true", help="apply even when validation failed")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    root = project_root(args.path)
    config = load_config(root)
    with Store(root) as store:
        warn_audit(store)
        chosen = find_suggestions(store, args.ids)
        advice = [s.id for s in chosen if s.patch is None or not s.patch.edits]
        if advice:  # asking for a fix that does not exist is an input error (exit 2), as in the README
            raise CommandError(f"{', '.join(advice)}: advice only, no fix to apply (`kaizen show` says what to do)")
        failed = [s for s in chosen if s.validation.status is ValidationStatus.FAILED]
        if failed and not args.force:
            names = ", ".join(f"{s.id} ({', '.join(s.validation.failed_tests) or 'failed'})" for s in failed)
            raise CommandError(f"validation failed for {names}; use --force to apply anyway")
        result = apply_suggestions(root, store, chosen, actor="user", reason=args.reason, config=config)
        rescan(root, config, store, [*result.paths, *result.stale_paths])
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
