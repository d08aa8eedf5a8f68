"""``kaizen suggest PATH``: the ranked list of suggestions, best first, each with its reason.

The analysis is brought up to date first (a warm start from ``.kaizen/``, re-analysing only
what changed). ``--validate`` checks the top candidates in sandboxes against the project's
tests before ranking; ``--llm`` asks the configured model for candidates (and validates
them). Failed and rejected suggestions are left out unless ``--all`` is given.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from suggestions.analyze.runtime import hidden_by_default
from suggestions.commands import CommandError, add_path, project_root
from suggestions.model import Grade, Suggestion, ValidationStatus
from suggestions.project.actions import ActionError, Project, TrustNeeded
from suggestions.rank.ranking import Ranker
from suggestions.store import Store

if TYPE_CHECKING:
    from suggestions.project.service import ProjectService

NAME = "suggest"
HELP = "the ranked list of suggestions, best first, with the reason for each rank"

_MARK = {
    ValidationStatus.PASSED: "validated",
    ValidationStatus.UNVERIFIED: "unverified (no test runs this code)",
    ValidationStatus.FAILED: "FAILED",
    ValidationStatus.ERROR: "validation error",
    ValidationStatus.SKIPPED: "not testable",
    ValidationStatus.PENDING: "not validated",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)
    parser.add_argument("--validate", action="store_true", help="validate the top candidates first")
    parser.add_argument("--llm", action="store_true", help="also ask the configured LLM for candidates")
    parser.add_argument("--trust-endpoint", action="store_true",
                        help="with --llm: allow the LLM endpoint that this project's kaizen.toml names to "
                             "receive your API key (remembered for this project and host, outside the project)")
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.add_argument("--limit", type=int, default=20, metavar="N", help="show the best N (default 20; 0: all)")
    parser.add_argument("--all", action="store_true", help="include failed and rejected suggestions")
    parser.add_argument("--never-ran", action="store_true",
                        help="include the never-ran notes of the latest trace (KZ804, hidden by default)")


def open_service(root: Path) -> ProjectService:
    """A ProjectService brought up to date (a warm start), with the ranker attached."""
    from suggestions.project.service import ProjectService

    service = ProjectService(root, jobs=None)
    try:
        service.open()
    except BaseException:
        service.close()
        raise
    return service


def current(root: Path) -> tuple[ProjectService, Store]:  # for `show`
    """(service, store): the project's analysis, brought up to date."""
    service = open_service(root)
    return service, service.store


def _progress(label: str) -> Any:
    def report(done: int, total: int) -> None:
        if sys.stderr.isatty() or done == total:
            print(f"\r{label} {done}/{total}", end="\n" if done == total else "", file=sys.stderr, flush=True)

    return report


def run(args: argparse.Namespace) -> int:
    root = project_root(args.path)
    if args.limit < 0:
        raise CommandError("--limit must be 0 or more")
    if args.trust_endpoint and not args.llm:
        raise CommandError("--trust-endpoint only means something with --llm")
    with Project(root) as project:
        project.service  # noqa: B018 -- the analysis brought up to date (a warm start) first
        extra = _llm(project, trust_endpoint=args.trust_endpoint) if args.llm else []
        ranked = project.listing(include_failed=args.all, include_hidden=args.all, extra=extra)
        if args.validate:
            todo = project.unvalidated(ranked, args.limit or len(ranked))
            if todo:
                print(f"validating {len(todo)} suggestion(s)...", file=sys.stderr)
            done = project.validate(todo, progress=_progress("validated"))
            if done:
                merged = {s.fingerprint: s for s in [*extra, *done]}
                ranked = project.listing(include_failed=args.all, include_hidden=args.all,
                                         extra=merged.values())
        notes = 0
        if not (args.never_ran or args.all):
            kept = [s for s in ranked if not hidden_by_default(s)]
            notes, ranked = len(ranked) - len(kept), kept
        shown = ranked[: args.limit] if args.limit else ranked
        ranker, latest = project.ranker, project.store.latest_decisions()
        if args.json:
            out = []
            for i, s in enumerate(shown, start=1):
                d = s.summary_dict()
                d["rank"] = i
                d["explanation"] = ranker.explain(s, i)
                d["score_breakdown"] = [
                    {"name": t.name, "value": t.value, "explanation": t.explanation} for t in s.score_breakdown
                ]
                d["hidden"] = ranker.hidden_reason(s, latest)
                out.append(d)
            print(json.dumps(out, indent=2))
        else:
            print_ranked(shown, ranker, latest)
            rest = len(ranked) - len(shown)
            tail = f" ({rest} more: --limit 0 shows all)" if rest > 0 else ""
            if notes:
                tail += f"; {notes} never-ran note(s) hidden (--never-ran shows them)"
            print(f"{len(shown)} suggestion(s){tail}; `kaizen show {args.path} ID` explains one",
                  file=sys.stderr)
    return 0


def status_label(s: Suggestion) -> str:
    """The words for a suggestion's validation in the list ("proven", "unverified (...)"...)."""
    v = s.validation
    strength = v.strength
    if v.status is ValidationStatus.PASSED and strength is not None and strength.grade is Grade.PROVEN:
        return "proven"
    label = _MARK.get(v.status, v.status.value)
    if strength is not None and strength.touches_tests and v.status is ValidationStatus.PASSED:
        label += ", touches the tests"
    return label


def print_ranked(shown: list[Suggestion], ranker: Ranker, latest: Any) -> None:
    for i, s in enumerate(shown, start=1):
        hidden = ranker.hidden_reason(s, latest)
        status = status_label(s)
        flag = f"  [{hidden}]" if hidden else ""
        print(f"{i:>3}. {s.id}  {s.code}  {s.path}:{s.line}  {s.title}  ({status}, score {s.score:.2f}){flag}")
        print(f"     {ranker.explain(s, i)}")


def _asking(why: str) -> None:
    print(f"asking the LLM ({why})...", file=sys.stderr)


def _llm(project: Project, *, trust_endpoint: bool = False) -> list[Suggestion]:
    """Ask the LLM for candidates (validated). An endpoint chosen by the project's own config
    gets the user's key only once the user confirmed it (``--trust-endpoint``, remembered
    outside the project); without it the command refuses in one line."""
    try:
        found, notes = project.ask_llm(asking=_asking, trust=trust_endpoint)
    except TrustNeeded:
        raise  # one line naming --trust-endpoint, exit 2
    except ActionError as exc:
        print(f"kaizen: no LLM suggestions: {exc}", file=sys.stderr)
        return []
    for note in notes:
        print(f"kaizen: {note}", file=sys.stderr)
    print(f"the LLM proposed {len(found)} validated candidate(s)", file=sys.stderr)
    return found
