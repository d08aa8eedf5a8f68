"""``kaizen reject PATH ID… [--reason TEXT]``: record that suggestions are not wanted."""

from __future__ import annotations

import argparse

from suggestions.commands import add_path, project_root
from suggestions.project.actions import Project

NAME = "reject"
HELP = "reject suggestions by id (the ranking learns from it)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)
    parser.add_argument("ids", nargs="+", metavar="ID", help="suggestion ids")
    parser.add_argument(
        "--reason", default="",
        help="why: not-now (hidden for a day), false-positive, never-folder, never-rule, or any text",
    )


def run(args: argparse.Namespace) -> int:
    with Project(project_root(args.path)) as project:
        chosen = project.find(args.ids)
        project.reject(chosen, args.reason)
    for s in chosen:
        print(f"rejected {s.id} {s.code} {s.path}:{s.line}" + (f" ({args.reason})" if args.reason else ""))
    return 0
