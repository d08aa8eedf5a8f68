"""``kaizen reject PATH ID… [--reason TEXT]``: record that suggestions are not wanted."""

from __future__ import annotations

import argparse

from analysis.store import Store
from suggestions.commands import add_path, project_root
from suggestions.commands._changes import find_suggestions
from suggestions.rank.ranking import Ranker

NAME = "reject"
HELP = "reject suggestions by id (the ranking learns from it)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)
    parser.add_argument("ids", nargs="+", metavar="ID", help="suggestion ids")
    parser.add_argument(
        "--reason", default="",
        help="why: not-now, false-positive, never-folder, never-rule, or any text",
    )


def run(args: argparse.Namespace) -> int:
    root = project_root(args.path)
    with Store(root) as store:
        chosen = find_suggestions(store, args.ids)
        ranker = Ranker(store)
        for s in chosen:
            # The ranker records the decision, learns from it, and carries out "never" reasons.
            ranker.reject(s, args.reason, root=root)
            print(f"rejected {s.id} {s.code} {s.path}:{s.line}" + (f" ({args.reason})" if args.reason else ""))
    return 0
