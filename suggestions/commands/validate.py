"""``kaizen validate PATH ID…``: validate suggestions again, from scratch, in sandboxes."""

from __future__ import annotations

import argparse
import json

from suggestions.commands import add_path, project_root
from suggestions.project.actions import Project

NAME = "validate"
HELP = "validate suggestions by id again (a sandbox copy, the tests that cover the change)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)
    parser.add_argument("ids", nargs="+", metavar="ID", help="suggestion ids (from `kaizen suggest`)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


def run(args: argparse.Namespace) -> int:
    with Project(project_root(args.path)) as project:
        done = project.revalidate(project.find(args.ids))
    if args.json:
        print(json.dumps([{"id": s.id, "code": s.code, "path": s.path, "validation": s.validation.status.value,
                           "failed_tests": list(s.validation.failed_tests)} for s in done], indent=2))
    else:
        for s in done:
            failed = f" ({', '.join(s.validation.failed_tests)})" if s.validation.failed_tests else ""
            print(f"{s.id} {s.code} {s.path}:{s.line} {s.validation.status.value}{failed}")
    return 0 if all(s.validation.status.value in ("passed", "skipped") for s in done) else 1
