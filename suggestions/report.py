"""Output formats for findings: text for people, JSON for scripts, SARIF 2.1.0 for CI."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from suggestions.analyze.framework import all_rules
from suggestions.model import (
    Applicability,
    Grade,
    Strength,
    Suggestion,
    Validation,
    ValidationStatus,
)
from suggestions.terminal import printable

__all__ = ["evidence_rows", "evidence_words", "grade_of", "grade_words", "strength_counts", "to_json",
           "to_sarif", "to_text"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def to_text(suggestions: Sequence[Suggestion], *, show_diff: bool = False) -> str:
    lines = []
    for s in suggestions:
        fix = {Applicability.SAFE: " [fix]", Applicability.UNSAFE: " [unsafe fix]"}.get(s.applicability, "")
        lines.append(f"{s.path}:{s.line}:{s.span.start_col + 1}: {s.code} {s.title}{fix}  ({s.id})")
        if show_diff and s.diff:
            lines.append(s.diff.rstrip("\n"))
    return "\n".join(lines)


def to_json(suggestions: Sequence[Suggestion]) -> str:
    return json.dumps([s.summary_dict() for s in suggestions], indent=2)


def to_sarif(suggestions: Sequence[Suggestion], version: str = "0.1.0") -> str:
    rules_meta = {r.code: r for r in all_rules()}
    used = sorted({s.code for s in suggestions})
    rules: list[dict[str, Any]] = []
    for code in used:
        r = rules_meta.get(code)
        rules.append(
            {
                "id": code,
                "name": r.slug if r else "syntax-error",
                "shortDescription": {"text": r.name if r else "Syntax error"},
                "fullDescription": {"text": r.summary() if r else "The file does not parse."},
                "help": {"text": r.doc() if r else "Fix the syntax error."},
                "properties": {"category": r.category.value if r else "correctness"},
            }
        )
    index = {code: i for i, code in enumerate(used)}
    results = []
    for s in suggestions:
        level = "warning" if s.category in ("correctness", "resources") else "note"
        region: dict[str, Any] = {
            "startLine": s.span.start_line,
            "startColumn": s.span.start_col + 1,
            "endLine": max(s.span.end_line, s.span.start_line),
        }
        if s.span.end_line > s.span.start_line or s.span.end_col > s.span.start_col:
            region["endColumn"] = s.span.end_col + 1
        results.append(
            {
                "ruleId": s.code,
                "ruleIndex": index[s.code],
                "level": level,
                "message": {"text": s.title},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": s.path, "uriBaseId": "%SRCROOT%"},
                            "region": region,
                        }
                    }
                ],
                "partialFingerprints": {"kaizen/v1": s.fingerprint},
                "properties": {"applicability": s.applicability.value, "confidence": s.confidence,
                               **_validation_properties(s.validation)},
            }
        )
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "Kaizen",
                        "version": version,
                        "informationUri": "https://example.invalid/kaizen",
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": "file:///"}},
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2)


def _validation_properties(v: Validation) -> dict[str, Any]:
    """The validation's status, grade and counts, for a SARIF result's property bag."""
    if not v.done:
        return {}
    grade = grade_of(v)
    out: dict[str, Any] = {"validation": v.status.value, "grade": grade.value if grade else None}
    if v.strength is not None:
        out["strength"] = strength_counts(v.strength)
    return out


# --- validation evidence, in words (the details pane, `kaizen validate`, `kaizen show`) ------

_STATUS_GRADES = {ValidationStatus.PASSED: Grade.PASSED, ValidationStatus.FAILED: Grade.FAILED,
                  ValidationStatus.UNVERIFIED: Grade.UNVERIFIED}

_GRADE_WORDS = {
    Grade.PROVEN: "proven: every changed line ran, and the tests caught the mutants or the replayed calls matched",
    Grade.PASSED: "passed: the tests ran the change and passed (weaker evidence than proven)",
    Grade.UNVERIFIED: "unverified: no test runs this code, so nothing checked it",
    Grade.FAILED: "failed",
}


def grade_of(v: Validation) -> Grade | None:
    """The validation's grade: the judged one, else what its status says (None: not judged)."""
    if v.strength is not None and v.strength.grade is not None:
        return v.strength.grade
    return _STATUS_GRADES.get(v.status)


def grade_summary(validations: Iterable[Validation]) -> str:
    """How many earned each grade, strongest first, then the ones not judged by their status
    ("1 proven, 3 passed, 1 skipped")."""
    counts = Counter(grade_of(v) or v.status.value for v in validations)
    parts = [f"{counts[g]} {g.value}" for g in Grade if counts[g]]
    parts += [f"{n} {status}" for status, n in sorted(counts.items(), key=str) if not isinstance(status, Grade)]
    return ", ".join(parts) or "nothing to validate"


def grade_words(v: Validation) -> str:
    """The grade and what it means, or the status when there is no grade (an error, skipped)."""
    grade = grade_of(v)
    if grade is None:
        return {"pending": "not validated yet", "error": "error: the validation could not be run",
                "skipped": "skipped: the change could not be judged"}.get(v.status.value, v.status.value)
    return _GRADE_WORDS[grade]


def strength_counts(st: Strength) -> dict[str, Any]:
    """The evidence's figures (line lists counted): what SARIF and the audit log keep."""
    return {
        "grade": st.grade.value if st.grade else None,
        "changed_lines": len(st.changed_lines),
        "changed_lines_run": len(st.changed_lines_run),
        "covering_tests": len(st.covering_tests),
        "mutants": st.mutants,
        "mutants_killed": st.mutants_killed,
        "replayed": st.replayed,
        "mismatches": st.mismatches,
        "speedup_pairs": st.speedup_pairs,
        "speedup_median": st.speedup_median,
        "speedup_low": st.speedup_low,
        "speedup_high": st.speedup_high,
        "touches_tests": bool(st.touches_tests),
    }


_X, _TO = "\u00d7", "\u2013"  # the multiplication sign of "x1.42", the en dash of a range


def _n(count: int, word: str, plural: str = "") -> str:
    return f"{count:,} {word if count == 1 else plural or word + 's'}"


def evidence_words(st: Strength | None) -> list[str]:
    """The evidence, one clause per kind, as a person reads it ("3 of 3 changed lines ran in
    2 tests", "the tests killed 6 of 8 mutants (survived: …)", …). Empty: no evidence."""
    if st is None:
        return []
    out: list[str] = []
    changed, ran, tests = len(st.changed_lines), len(st.changed_lines_run), len(st.covering_tests)
    if changed:
        if ran:
            out.append(f"{ran:,} of {_n(changed, 'changed line')} ran in {_n(tests, 'test')}")
        else:
            out.append(f"none of the {_n(changed, 'changed line')} ran in any test")
    if st.mutants:
        clause = f"the tests killed {st.mutants_killed:,} of {_n(st.mutants, 'mutant')}"
        if st.survivors:
            shown = ", ".join(st.survivors[:3])
            more = f" and {len(st.survivors) - 3} more" if len(st.survivors) > 3 else ""
            clause += f" (survived: {shown}{more})"
        out.append(clause)
    if st.replayed or st.mismatches:
        clause = f"{_n(st.replayed, 'recorded call')} replayed, {_n(st.mismatches, 'difference')}"
        if st.mismatch:
            clause += f" (first: {st.mismatch})"
        out.append(clause)
    if st.speedup_median is not None:
        clause = f"speed-up {_X}{st.speedup_median:.2f}"
        if st.speedup_low is not None and st.speedup_high is not None:
            clause += (f" (95% interval {_X}{st.speedup_low:.2f}{_TO}{_X}{st.speedup_high:.2f}, "
                       f"{_n(st.speedup_pairs, 'pair')})")
        out.append(clause)
    if st.touches_tests:
        out.append("touches the tests: " + "; ".join(st.touches_tests))
    return [printable(c) for c in out]


# --- evidence, for people (the window's details pane and `kaizen show`) -----------------------


def evidence_rows(evidence: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A suggestion's evidence as (label, value) rows a person reads, the trace's figures first."""
    rows: list[tuple[str, str]] = []
    runtime = evidence.get("runtime")
    if isinstance(runtime, dict):
        rows.extend(_runtime_rows(runtime))
    for key, value in evidence.items():
        if key != "runtime":
            rows.append((_label(key), _value(key, value)))
    # The window shows these rows as they are: no control or bidi characters from a trace.
    return [(printable(label), printable(value)) for label, value in rows]


def _runtime_rows(ev: dict[str, Any]) -> list[tuple[str, str]]:
    trace = f" (trace #{ev['trace_id']})" if "trace_id" in ev else ""
    if not ev.get("executed", True):
        return [(f"Runtime{trace}", "never ran in the traced run")]
    estimated = "" if ev.get("time_exact", True) else ", estimated from the calls that were timed"
    rows = [(f"Time{trace}", f"{_percent(ev.get('time_share', 0))} of the traced run, "
                             f"{_percent(ev.get('own_share', 0))} in its own code{estimated}"),
            ("Calls", f"{int(ev.get('calls', 0)):,}")]
    raised, caught = int(ev.get("exceptions_raised", 0)), int(ev.get("exceptions_caught", 0))
    if raised or caught:
        rows.append(("Exceptions", f"{raised:,} raised, {caught:,} caught"))
    if "tests" in ev:
        rows.append(("Tests that run it", f"{int(ev['tests']):,}"))
    functions = ev.get("functions") or []
    if functions:
        more = f" and {len(functions) - 4} more" if len(functions) > 4 else ""
        rows.append(("Functions", ", ".join(str(f) for f in functions[:4]) + more))
    return rows


def _label(key: str) -> str:
    words = key.removesuffix("_s").replace("_", " ")
    return words[:1].upper() + words[1:]


def _value(key: str, v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and key.endswith("_s"):
        return f"{v * 1000:.3g} ms"
    if isinstance(v, float) and ("share" in key or "ratio" in key):
        return _percent(v)
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, dict):
        return ", ".join(f"{k} {_value('', x)}" for k, x in list(v.items())[:8])
    if isinstance(v, list):
        return ", ".join(str(x) for x in v[:8]) + (f" and {len(v) - 8} more" if len(v) > 8 else "")
    return str(v)


def _percent(share: Any) -> str:
    value = 100 * float(share)
    return f"{value:.1f}%" if value >= 0.1 or value == 0 else "<0.1%"
