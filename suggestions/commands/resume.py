"""``kaizen resume PATH``: let the auto-apply rules run again after ``kaizen pause``."""

from __future__ import annotations

import argparse
import sys

from suggestions.commands import add_path, project_root
from suggestions.project.actions import Project

NAME = "resume"
HELP = "let the auto-apply rules make changes again after `kaizen pause`"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)


def run(args: argparse.Namespace) -> int:
    root = project_root(args.path)
    with Project(root) as project:
        change = project.resume()
    if change.after.paused:  # the audit log stops them, not the switch
        print(f"kaizen: the pause switch is off, but automatic changes are still refused: {change.after.reason}",
              file=sys.stderr)
        return 0
    print(f"automatic changes resumed in {root}" if change.before.paused else "automatic changes were not paused")
    return 0
