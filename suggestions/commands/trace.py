"""``kaizen trace PATH -- COMMAND…``: run a command under the collector and store the trace."""

from __future__ import annotations

import argparse
import sys

from analysis.tracing import TraceResult, default_command
from suggestions.commands import CommandError, add_path, project_root
from suggestions.project.actions import Project

NAME = "trace"
HELP = "run COMMAND (default: the configured test command) under the tracer and store the trace"


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=float, default=None, help="seconds before the command is stopped")
    parser.add_argument("--no-lines", action="store_true", help="skip line coverage (cheaper)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no summary after the run")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)
    _options(parser)
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="-- COMMAND",
                        help="the command to run, after -- (default: trace.command)")


def _split(args: argparse.Namespace) -> list[str]:
    """The command after ``--``; options written between PATH and ``--`` are parsed here."""
    words = list(args.command)
    if "--" not in words:
        return words
    i = words.index("--")
    if i:
        opts = argparse.ArgumentParser(prog="kaizen trace", add_help=False, exit_on_error=False)
        _options(opts)
        try:
            parsed, extra = opts.parse_known_args(words[:i])
        except argparse.ArgumentError as exc:
            raise CommandError(str(exc)) from None
        if extra:
            raise CommandError(f"unrecognized arguments before --: {' '.join(extra)}")
        for key, value in vars(parsed).items():
            if value is not None and value is not False:
                setattr(args, key, value)
    return words[i + 1:]


def run(args: argparse.Namespace) -> int:
    with Project(project_root(args.path)) as project:
        command = _split(args)
        if not command:
            command = default_command(project.root, str(project.config.get("trace.command")))
        if not command:
            raise CommandError("no command to trace (give one after --, or set trace.command)")
        traced = project.trace(command, timeout=args.timeout, lines=not args.no_lines)
    if not args.quiet:
        print(summary(traced.result, traced.trace_id), file=sys.stderr)
        if traced.runtime:
            print(f"  {len(traced.runtime)} runtime suggestion(s); `kaizen suggest {args.path}` ranks them",
                  file=sys.stderr)
    return traced.result.exit_code


def summary(result: TraceResult, trace_id: int) -> str:
    """A few lines for the terminal: what ran, what it cost, the top functions."""
    lines = [
        f"kaizen: trace #{trace_id} {result.status} (exit {result.exit_code}) in {result.duration:.2f}s; "
        f"{len(result.processes)} process(es), {result.interpreter or 'no Python process traced'}",
    ]
    if result.functions:
        calls = sum(f.calls for f in result.functions)
        raised = sum(e.raised for e in result.exceptions)
        lines.append(f"  {len(result.functions)} project function(s), {calls} call(s) (exact), "
                     f"{raised} exception(s) raised")
        denominator = result.process_seconds or 1e-9
        for f in result.functions[:5]:
            lines.append(f"  {100 * f.own / denominator:5.1f}% own  {f.calls:>8} calls  {f.path}:{f.line} {f.name}")
    if result.tests:
        failed = sum(1 for t in result.tests if t.get("outcome") in ("failed", "error"))
        lines.append(f"  {len(result.tests)} test(s), {failed} failed; per-test coverage "
                     f"{'recorded' if result.has_test_coverage else 'not recorded'}")
    if result.uncaught:
        lines.append(f"  {len(result.uncaught)} uncaught exception(s): "
                     + ", ".join(sorted({str(u.get('type')) for u in result.uncaught})))
    for err in result.errors[:3]:
        lines.append(f"  collector: {err}")
    return "\n".join(lines)
