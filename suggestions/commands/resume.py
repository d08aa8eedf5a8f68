"""``kaizen resume PATH``: let the auto-apply rules run again after ``kaizen pause``."""

from __future__ import annotations

import argparse
import sys

from analysis.store import Store
from suggestions.commands import add_path, project_root
from suggestions.decide.policy import pause_state, resume

NAME = "resume"
HELP = "let the auto-apply rules make changes again after `kaizen pause`"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)


def run(args: argparse.Namespace) -> int:
    root = project_root(args.path)
    with Store(root) as store:
        was = pause_state(store)
        resume(store, actor="user")
        now = pause_state(store)
    if now.paused:  # the audit log stops them, not the switch
        print(f"kaizen: the pause switch is off, but automatic changes are still refused: {now.reason}",
              file=sys.stderr)
        return 0
    print(f"automatic changes resumed in {root}" if was.paused else "automatic changes were not paused")
    return 0
