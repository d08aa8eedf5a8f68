"""Kaizen: the desktop app by default, a command line for everything it does.

    python main.py [gui] [PATH]
    python main.py scan PATH [--format text|json|sarif]
    python main.py --help
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__version__ = "0.1.0"


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or (``only``) the one subcommand a run needs: importing
    every command's dependencies costs more than a small project's scan."""
    from suggestions.commands import commands

    parser = argparse.ArgumentParser(
        prog="kaizen",
        description="Kaizen watches a project, learns how it runs, and proposes validated, "
        "reversible improvements.",
    )
    parser.add_argument("--version", action="version", version=f"kaizen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    gui = sub.add_parser("gui", help="open the desktop app (default)")
    gui.add_argument("path", nargs="?", metavar="PATH", help="project folder (default: last, else the demo)")
    for name, module in commands(only).items():
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    return parser


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:  # type: ignore[type-arg]
    return next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)


def main(argv: Sequence[str] | None = None) -> int:
    from suggestions.commands import command_names

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv and argv[0] in command_names() else None)
    commands = set(sub.choices) if (sub := _subcommands(parser)) else set()
    if not argv or (argv[0] not in commands and not argv[0].startswith("-")):
        argv = ["gui", *argv]  # `kaizen` and `kaizen PATH` open the app
    args = parser.parse_args(argv)
    if args.command == "gui":
        from ui.app import run_gui

        return run_gui(args.path)
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    from analysis.config import ConfigError
    from analysis.store import StoreError
    from suggestions.commands import CommandError

    try:
        return int(args.run(args))
    except (CommandError, ConfigError, StoreError) as exc:
        print(f"kaizen: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kaizen: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
