"""``kaizen audit PATH [--verify] [--export json|md] [-o FILE] [--acknowledge-reset]``: the log
of every change.

``--verify`` checks the hash chain, each entry's signature (the user's key) and the head
records kept outside the database; it exits 1 and explains when any of them fails.
``--acknowledge-reset`` is the user saying "I know": it accepts the log as it is now (lost
entries, an emptied or replaced database, a broken chain), so that automatic changes may run
again; entries up to that point can no longer be undone by Kaizen.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from suggestions.apply.audit import AuditLog, export_json, export_markdown
from suggestions.commands import CommandError, add_path, project_root
from suggestions.project.actions import Project

NAME = "audit"
HELP = "show, verify (exit 1 when tampered with) or export the audit log of applied changes"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)
    parser.add_argument("--verify", action="store_true", help="check the hash chain; exit 1 when it breaks")
    parser.add_argument("--export", choices=("json", "md"), help="write the whole log as JSON or Markdown")
    parser.add_argument("-o", "--output", metavar="FILE", help="where to write the export (default: stdout)")
    parser.add_argument(
        "--acknowledge-reset", action="store_true",
        help="accept the log as it is now (lost entries, an emptied or replaced database, a broken "
        "chain) so that automatic changes run again; what came before can no longer be undone")


def run(args: argparse.Namespace) -> int:
    root = project_root(args.path)
    with Project(root) as project:
        # A change whose log entry was interrupted (the process died) is logged first.
        for note in project.finish_interrupted():
            print(f"kaizen: {note}", file=sys.stderr)
        if args.acknowledge_reset:
            return _acknowledge(project)
        log = AuditLog(project.store)
        if args.export:
            text = export_json(log) if args.export == "json" else export_markdown(log)
            if args.output:
                try:
                    Path(args.output).write_text(text, encoding="utf-8")
                except OSError as exc:
                    raise CommandError(f"{args.output}: cannot write ({exc.strerror})") from None
            else:
                sys.stdout.write(text)
        result = log.verify() if (args.verify or not args.export) else None
        if not args.export:
            undone = log.undone()
            for e in log.entries():
                when = datetime.fromtimestamp(e.at, UTC).strftime("%Y-%m-%d %H:%M:%S")
                mark = " (undone)" if e.seq in undone else ""
                who = e.actor + (f" rule {e.rule}" if e.rule else "")
                what = f"undo of #{e.undoes}" if e.action == "undo" else e.action
                print(f"{e.id:>5} {when} {what:<10} {e.code:<7} {e.path}  {e.title}  [{who}]{mark}")
        if result is not None:
            print(result.message(), file=sys.stderr if not args.verify else sys.stdout)
            if not result.ok:
                print(f"kaizen: automatic changes are refused until this is resolved. If you know why "
                      f"(you deleted or restored .kaizen/, for example), `kaizen audit {args.path} "
                      "--acknowledge-reset` accepts the log as it is now; otherwise look for who changed "
                      ".kaizen/", file=sys.stderr)
            if args.verify and not result.ok:
                return 1
    return 0


def _acknowledge(project: Project) -> int:
    done = project.acknowledge_audit()
    if done.seq is None:
        print("audit log verified: nothing to acknowledge")
        return 0
    print(f"acknowledged: {done.problem}", file=sys.stderr)
    print(f"the audit log is accepted as it is at #{done.seq}; later entries are verified from there, "
          "and earlier ones can no longer be undone by Kaizen")
    if not done.after.ok:  # e.g. a forged head record: acknowledging cannot make that go away
        print(done.after.message())
        return 1
    return 0
