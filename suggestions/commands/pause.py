"""``kaizen pause PATH``: stop every automatic change at once (it holds across restarts)."""

from __future__ import annotations

import argparse
import sys

from suggestions.commands import add_path, project_root
from suggestions.project.actions import Project

NAME = "pause"
HELP = "stop every automatic change at once, until `kaizen resume` (persists across restarts)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)


def run(args: argparse.Namespace) -> int:
    root = project_root(args.path)
    with Project(root) as project:
        was = project.pause().before
    if was.reason:
        print(f"kaizen: {was.reason}", file=sys.stderr)
    print("automatic changes were already paused" if was.paused and not was.reason else
          f"automatic changes paused in {root}; `kaizen resume {args.path}` lets them run again")
    return 0
