"""``kaizen show PATH ID``: one suggestion in full — diff, rationale, evidence, validation, rank."""

from __future__ import annotations

import argparse
import json
from typing import Any

from suggestions.commands import CommandError, add_path, project_root
from suggestions.commands.suggest import current
from suggestions.model import Suggestion
from suggestions.rank.ranking import Ranker
from suggestions.report import evidence_rows, evidence_words, grade_words

NAME = "show"
HELP = "one suggestion: diff, rationale, evidence, validation and why it ranks where it does"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)
    parser.add_argument("id", metavar="ID", help="the suggestion's id (a unique fingerprint prefix)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    root = project_root(args.path)
    handle = args.id.strip().lower()
    if not handle or any(c not in "0123456789abcdef" for c in handle):
        raise CommandError(f"{args.id!r} is not a suggestion id (hex digits, as `kaizen suggest` prints)")
    service, store = current(root)
    try:
        items = service.suggestions(include_rejected=True)
        hits = [s for s in items if s.fingerprint.startswith(handle)]
        if not hits:
            raise CommandError(f"no suggestion {args.id} in {root} (run `kaizen suggest {args.path}`)")
        if len(hits) > 1:
            raise CommandError(f"{args.id} is ambiguous ({len(hits)} suggestions); give more digits")
        ranker = Ranker(store)
        ranked = ranker.rank(items)
        position = next((i for i, s in enumerate(ranked, start=1) if s.fingerprint == hits[0].fingerprint), None)
        s = ranked[position - 1] if position else ranker.rank(hits, include_hidden=True)[0]
        hidden = ranker.hidden_reason(s)
        verdict = _verdict(root, store, s)
        if args.json:
            d = s.summary_dict()
            d.update(
                rank=position,
                explanation=ranker.explain(s, position),
                score_breakdown=[{"name": t.name, "value": t.value, "explanation": t.explanation}
                                 for t in s.score_breakdown],
                hidden=hidden,
                auto_apply={"eligible": verdict[0], "rule": verdict[1], "reasons": list(verdict[2])},
                decisions=[d.to_dict() for d in store.decisions(s.fingerprint)],
            )
            print(json.dumps(d, indent=2))
            return 0
        print(render(s, ranker, position, hidden, verdict, [d.to_dict() for d in store.decisions(s.fingerprint)]))
    finally:
        service.close()
    return 0


def _verdict(root: Any, store: Any, s: Suggestion) -> tuple[bool, str, tuple[str, ...]]:
    from suggestions.decide.policy import Policy

    v = Policy.load(root, store).evaluate(s)
    return v.eligible, v.rule_name, v.reasons


def render(s: Suggestion, ranker: Ranker, position: int | None, hidden: str,
           verdict: tuple[bool, str, tuple[str, ...]], decisions: list[dict[str, Any]]) -> str:
    out = [f"{s.code}  {s.title}", f"  {s.path}:{s.line}:{s.span.start_col + 1}   id {s.id}   "
           f"{s.applicability.value}, {s.source.value}, {s.category or 'uncategorised'}, "
           f"confidence {s.confidence:.2f}"]
    if hidden:
        out.append(f"  hidden from the list: {hidden}")
    out += ["", "Why", _indent(s.rationale or "(no rationale)")]
    rows = evidence_rows(s.evidence)
    if rows:
        width = max(len(label) for label, _ in rows)
        out += ["", "Evidence"]
        out += [f"  {label:<{width}}  {value}" for label, value in rows]
    out += _validation_lines(s)
    # Every term to the 4 decimals it is kept at: the column adds up to the score exactly.
    out += ["", "Rank", f"  {ranker.explain(s, position)}", f"  score {s.score:.4f} = the sum of"]
    for t in s.score_breakdown:
        out.append(f"    {t.name:<11} {t.value:+9.4f}  {t.explanation}")
    ok, rule, reasons = verdict
    out += ["", "Auto-apply"]
    if ok:
        out.append(f"  would apply now under rule '{rule}'")
    out += [f"  {r}" for r in reasons]
    if decisions:
        out += ["", "Decisions"]
        out += [f"  {d['action']} by {d['actor']}" + (f" ({d['reason']})" if d["reason"] else "") for d in decisions]
    out += ["", "Diff" if s.diff else "No automatic fix (advice only)."]
    if s.diff:
        out.append(s.diff.rstrip("\n"))
    return "\n".join(out)


def _validation_lines(s: Suggestion) -> list[str]:
    """The Validation section: status, confinement, tests, timings, staleness, the log."""
    v = s.validation
    out = ["", "Validation", f"  status: {v.status.value}", f"  grade: {grade_words(v)}"]
    out += [f"  evidence: {w}" for w in evidence_words(v.strength)]
    if v.confined is not None:
        out.append("  confined: " + ("yes (sandboxed test runs)" if v.confined else "NO (tests ran unconfined)"))
    if v.tests_run:
        out.append(f"  tests run: {len(v.tests_run)}" + (f" ({', '.join(v.tests_run[:5])}"
                                                         f"{', ...' if len(v.tests_run) > 5 else ''})"))
    if v.failed_tests:
        out.append(f"  failed: {', '.join(v.failed_tests[:10])}")
    if v.time_before_s is not None and v.time_after_s is not None:
        out.append(f"  time: {v.time_before_s:.4f}s -> {v.time_after_s:.4f}s")
    if v.speedup is not None:
        out.append(f"  speed-up: {v.speedup:.2f}x")
    if v.duration_s is not None:
        out.append(f"  took {v.duration_s:.1f}s")
    if s.patch is not None and v.base_hash and v.base_hash != s.patch.base_hash:
        out.append("  (stale: validated against other content)")
    if v.log:
        out += ["  log:", _indent(v.log.strip()[-1500:], "    ")]
    return out


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())
