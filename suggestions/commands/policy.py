"""``kaizen policy PATH --preview``: what the auto-apply rules would apply now, and why not the rest."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from suggestions.commands import add_path, project_root
from suggestions.decide.policy import Policy, Verdict
from suggestions.model import Suggestion
from suggestions.project.actions import Project

NAME = "policy"
HELP = "preview what the auto-apply rules would apply right now, and why each other candidate would not"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)
    parser.add_argument("--preview", action="store_true", help="list candidates with their verdicts (the default)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--all", action="store_true", help="also list advice-only suggestions (no fix)")


def run(args: argparse.Namespace) -> int:
    with Project(project_root(args.path)) as project:
        preview = project.policy_preview(include_advice=args.all)
    policy, rows, later, state, used = preview.policy, preview.rows, preview.later, preview.state, preview.used
    if args.json:
        print(json.dumps({
            "paused": state.paused,
            "paused_reason": state.reason,
            "rate_limit": policy.rate_limit,
            "applied_last_hour": used,
            "quiet_seconds": policy.quiet_seconds,
            "rules": [r.__dict__ for r in policy.rules],
            "never": {"paths": list(policy.never_paths), "codes": list(policy.never_codes)},
            "candidates": [_row(s, v, s.fingerprint in later) for s, v in rows],
        }, indent=2, default=list))
        return 0
    if state.reason:
        print(f"REFUSED: {state.reason}")
    _print(policy, rows, later, state.paused and not state.reason, used)
    return 0


def _row(s: Suggestion, v: Verdict, after_validation: bool) -> dict[str, Any]:
    return {**{k: s.summary_dict()[k] for k in ("id", "code", "title", "path", "line", "applicability",
                                                 "confidence", "source")},
            "validation": s.validation.status.value, "eligible": v.eligible, "rule": v.rule_name,
            "after_validation": after_validation, "reasons": list(v.reasons)}


def _print(policy: Policy, rows: list[tuple[Suggestion, Verdict]], later: set[str], paused: bool, used: int) -> None:
    if paused:
        print("PAUSED: no automatic change is made until `kaizen resume`")
    if not policy.rules:
        print("no [[policy.rules]] are configured: nothing applies automatically")
    for rule in policy.rules:
        r = rule
        print(f"rule '{r.name}': codes {list(r.codes)}, sources {list(r.sources)}, "
              f"applicability {list(r.applicability)}, confidence >= {r.min_confidence:g}, "
              f"<= {r.max_changed_lines} changed lines, paths {list(r.paths)}"
              + (f" except {list(r.exclude)}" if r.exclude else "")
              + f", validation {r.require_validation}"
              + (f", speed-up >= {r.min_speedup:g}x" if r.min_speedup > 1 else ""))
    if policy.never_paths or policy.never_codes:
        print(f"never: paths {list(policy.never_paths)}, codes {list(policy.never_codes)}")
    print(f"rate limit: {used} of {policy.rate_limit} automatic changes used in the last hour; "
          f"quiet period {policy.quiet_seconds:g}s")
    now = [(s, v) for s, v in rows if v.eligible]
    soon = [(s, v) for s, v in rows if not v.eligible and s.fingerprint in later]
    never = [(s, v) for s, v in rows if not v.eligible and s.fingerprint not in later]
    print(f"\nwould apply now ({len(now)}):")
    for s, v in now:
        print(f"  {s.id}  {s.code}  {s.path}:{s.line}  {s.title}")
        print(f"      {v.because}")
    print(f"\nwould apply once validated ({len(soon)}):")
    for s, v in soon:
        print(f"  {s.id}  {s.code}  {s.path}:{s.line}  {s.title}")
        print(f"      waiting for: {v.because}")
    print(f"\nwould not apply ({len(never)}):")
    for s, v in never:
        print(f"  {s.id}  {s.code}  {s.path}:{s.line}  {s.title}")
        for reason in v.reasons:
            print(f"      - {reason}")
    print(f"\n{len(now)} would apply now, {len(soon)} after validation, {len(never)} would not",
          file=sys.stderr)
