"""Kaizen: the desktop app by default, a command line for everything it does.

    python main.py [gui] [PATH]
    python main.py scan PATH [--format text|json|sarif]
    python main.py --help
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Sequence

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
    if argv[0] == "gui":
        args = parser.parse_args(argv)
        from ui.app import run_gui

        return run_gui(args.path)
    with _safe_output():
        args = parser.parse_args(argv)  # usage errors: argparse's one line, exit 2
        return _run(args)


@contextlib.contextmanager
def _safe_output() -> Iterator[None]:
    """Everything a command prints goes through the terminal sanitizer: file names, LLM text,
    messages and JSON alike (see suggestions/terminal.py)."""
    from suggestions.terminal import SafeStream

    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(out), SafeStream(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


def _run(args: argparse.Namespace) -> int:
    import sqlite3

    from analysis.config import ConfigError
    from analysis.store import StoreError
    from suggestions.commands import CommandError

    try:
        return int(args.run(args))
    except (CommandError, ConfigError, StoreError) as exc:
        print(f"kaizen: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kaizen: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    # The project's state or files in a condition no check foresaw (a read-only folder, a
    # damaged database): still one line, not a traceback.
    except sqlite3.Error as exc:
        print(f"kaizen: error: Kaizen's database: {_one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"kaizen: error: {where}{exc.strerror or _one_line(exc)}", file=sys.stderr)
        return 2


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
