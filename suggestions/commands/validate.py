"""``kaizen validate PATH [ID…] [--diff FILE|-] [--json]``: validate in sandboxes, never touching the project.

With suggestion ids, those suggestions are validated again from scratch. Without, a unified
diff is: the working tree's uncommitted changes (``git diff HEAD``) by default, or ``--diff
FILE`` (``-``: stdin), another tool's patch or a pull request's. Exit codes: 0 proven or
passed, 1 failed, unverified (no test ran the change) or not judged, 2 a diff that does not
apply or other bad input (one line on stderr).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from suggestions.commands import CommandError, add_path, project_root
from suggestions.model import Validation
from suggestions.project.actions import DiffValidated, Project
from suggestions.report import evidence_words, grade_of, grade_words, strength_counts
from suggestions.terminal import printable

NAME = "validate"
HELP = "validate suggestions by id again, or any diff (by default your uncommitted work) in sandboxes"

LOG_LINES = 30  # of a validation's log shown when it did not pass


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)
    parser.add_argument("ids", nargs="*", metavar="ID",
                        help="suggestion ids (from `kaizen suggest`); none: validate a diff instead")
    parser.add_argument("--diff", metavar="FILE",
                        help="the unified diff to validate ('-': read it from stdin); default: the working "
                             "tree's uncommitted changes to tracked files (git diff HEAD)")
    parser.add_argument("--performance", action="store_true",
                        help="the diff claims a speed-up: time it before and after (interleaved pairs)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


def run(args: argparse.Namespace) -> int:
    root = project_root(args.path)
    if args.ids and (args.diff is not None or args.performance):
        raise CommandError("give suggestion IDs or --diff, not both")
    if args.ids:
        return _suggestions(root, args)
    diff = None if args.diff is None else read_diff_arg(args.diff)
    with Project(root, open_service=False) as project:
        result = project.validate_diff(diff, category="performance" if args.performance else "")
    if args.json:
        print(json.dumps(diff_json(result), indent=2, ensure_ascii=False))
    else:
        print("\n".join(diff_lines(result)))
    return 0 if result.ok else 1


def read_diff_arg(name: str) -> bytes:
    """The bytes of ``--diff``'s FILE, or of stdin for ``-``."""
    if name == "-":
        return sys.stdin.buffer.read()
    path = Path(name).expanduser()
    if not path.exists():
        raise CommandError(f"{name}: no such file")
    if not path.is_file():
        raise CommandError(f"{name}: not a file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"{name}: cannot read it: {exc.strerror}") from None


def _suggestions(root: Path, args: argparse.Namespace) -> int:
    with Project(root) as project:
        done = project.revalidate(project.find(args.ids))
    if args.json:
        print(json.dumps([{"id": s.id, "code": s.code, "path": s.path, "validation": s.validation.status.value,
                           "failed_tests": list(s.validation.failed_tests), **_grade_json(s.validation)}
                          for s in done], indent=2))
    else:
        for s in done:
            failed = f" ({', '.join(s.validation.failed_tests)})" if s.validation.failed_tests else ""
            grade = grade_of(s.validation)
            shown = grade.value if grade is not None else s.validation.status.value
            words = "; ".join(evidence_words(s.validation.strength))
            print(printable(f"{s.id} {s.code} {s.path}:{s.line} {shown}{failed}" + (f": {words}" if words else "")))
    return 0 if all(s.validation.status.value in ("passed", "skipped") for s in done) else 1


def _grade_json(v: Validation) -> dict[str, Any]:
    grade = grade_of(v)
    return {"grade": grade.value if grade else None,
            "strength": strength_counts(v.strength) if v.strength is not None else None}


def diff_json(result: DiffValidated) -> dict[str, Any]:
    """The ``--json`` shape: what was validated, the grade, the evidence in words, and the whole
    Validation (``validation.strength`` holds the figures)."""
    v = result.validation
    grade = grade_of(v)
    return {
        "source": result.source,
        "ok": result.ok,
        "grade": grade.value if grade else None,
        "files": [{"path": c.path, "kind": c.kind, "added": c.added, "removed": c.removed} for c in result.files],
        "evidence": evidence_words(v.strength),
        "validation": json.loads(json.dumps(dataclasses.asdict(v))),
    }


def diff_lines(result: DiffValidated) -> list[str]:
    """The words a person reads: what was validated, the grade, then the evidence."""
    v = result.validation
    names = ", ".join(c.path for c in result.files[:5]) + (
        f" and {len(result.files) - 5} more" if len(result.files) > 5 else "")
    added, removed = sum(c.added for c in result.files), sum(c.removed for c in result.files)
    n = len(result.files)
    out = [f"validated {result.source}: {n} file{'s' if n != 1 else ''} ({names}), +{added} -{removed} lines",
           grade_words(v)]
    out += [f"  {w}" for w in evidence_words(v.strength)]
    if v.tests_run:
        out.append(f"  {len(v.tests_run)} test{'s' if len(v.tests_run) != 1 else ''} run"
                   + (f"; failed: {', '.join(v.failed_tests[:10])}" if v.failed_tests else ""))
    if v.speedup and (v.strength is None or v.strength.speedup_median is None):
        out.append(f"  speed-up x{v.speedup:.2f}")
    if not result.ok and v.log:
        out.append("")
        out += v.log.splitlines()[:LOG_LINES]
    return [printable(line) for line in out]
