"""``kaizen config PATH [--doc]``: check the project's settings and show what is in effect."""

from __future__ import annotations

import argparse
import json

from analysis.config import document, load_config
from suggestions.commands import project_root

NAME = "config"
HELP = "check the settings file and print the settings in effect (or --doc: the reference)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", nargs="?", default=".", help="the project folder")
    parser.add_argument("--doc", action="store_true", help="print the reference of every option")
    parser.add_argument("--json", action="store_true", help="print the settings as JSON")


def run(args: argparse.Namespace) -> int:
    if args.doc:
        print(document())
        return 0
    root = project_root(args.path)
    config = load_config(root)  # raises ConfigError: one line naming file, line and key
    if args.json:
        print(json.dumps(config.values, indent=2))
        return 0
    print(f"# settings for {root} (from {config.path or 'defaults'})")
    for section, values in config.values.items():
        if isinstance(values, list):
            for entry in values:
                print(f"\n[[{section}]]")
                for key, value in entry.items():
                    print(f"{key} = {json.dumps(value)}")
            continue
        print(f"\n[{section}]" if section else "")
        for key, value in values.items():
            print(f"{key} = {json.dumps(value)}")
    return 0
