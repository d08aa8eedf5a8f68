"""``kaizen scan PATH``: analyse the whole project once and report what was found."""

from __future__ import annotations

import argparse
import sys

from analysis.config import load_config
from analysis.store import StoreError
from suggestions.analyze.scan import scan_project
from suggestions.commands import add_path, project_root
from suggestions.model import Suggestion
from suggestions.project.actions import Project
from suggestions.report import to_json, to_sarif, to_text

NAME = "scan"
HELP = "analyse the whole project and report findings (exit 1 when there are any)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    parser.add_argument("--select", default="", help="comma-separated codes or prefixes to run")
    parser.add_argument("--ignore", default="", help="comma-separated codes or prefixes to skip")
    parser.add_argument("--jobs", type=int, default=0, help="worker processes (default: all cores)")
    parser.add_argument("--diff", action="store_true", help="show each fix as a diff (text format)")
    parser.add_argument("--no-store", action="store_true", help="neither read nor record results in .kaizen/ (always a full scan)")


def run(args: argparse.Namespace) -> int:
    root = project_root(args.path)
    config = load_config(root)
    top = config.values[""]
    if args.select:
        top["select"] = [c.strip() for c in args.select.split(",") if c.strip()]
    if args.ignore:
        top["ignore"] = [*top["ignore"], *(c.strip() for c in args.ignore.split(",") if c.strip())]
    jobs = args.jobs or None
    result = None
    suggestions: list[Suggestion] = []
    if not args.no_store:
        try:
            with Project(root, config=config) as project:
                result = project.scan(jobs, warm_ok=not (args.select or args.ignore))
                # Scored by the ranker the list uses: the same score as `kaizen suggest`.
                suggestions = project.ranker.scored(result.suggestions)
        except StoreError as exc:
            if not exc.readonly:
                raise
            # A read-only project can still be scanned; only the state is not kept.
            print(f"kaizen: {exc}; scanning without saving the results", file=sys.stderr)
    if result is None:
        result = scan_project(root, config, jobs=jobs)
        suggestions = _scored_without_store(result.suggestions)
    if args.format == "json":
        print(to_json(suggestions))
    elif args.format == "sarif":
        print(to_sarif(suggestions))
    else:
        text = to_text(suggestions, show_diff=args.diff)
        if text:
            print(text)
        fixable = sum(1 for s in suggestions if s.patch is not None)
        print(
            f"{len(suggestions)} finding(s) ({fixable} fixable) in {len(result.files)} file(s)"
            + (f" ({result.reused} unchanged since the last scan)" if result.reused else "")
            + f"; {len(result.skipped)} skipped; {result.seconds:.2f}s",
            file=sys.stderr,
        )
        for path, reason in sorted(result.skipped.items())[:20]:
            print(f"  skipped {path}: {reason}", file=sys.stderr)
    return 1 if suggestions else 0


def _scored_without_store(suggestions: list[Suggestion]) -> list[Suggestion]:
    """Scores with no decisions to learn from (``--no-store``, a read-only project): a
    throw-away store in a temporary folder, so nothing is written to the project."""
    import tempfile

    from suggestions.rank.ranking import Ranker
    from suggestions.store import Store

    with tempfile.TemporaryDirectory(prefix="kaizen-scan-") as tmp, Store(tmp) as store:
        return Ranker(store).scored(suggestions)
