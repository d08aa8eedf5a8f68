"""Output formats for findings: text for people, JSON for scripts, SARIF 2.1.0 for CI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from suggestions.framework import all_rules
from suggestions.model import Applicability, Suggestion

__all__ = ["to_json", "to_sarif", "to_text"]

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
                "properties": {"applicability": s.applicability.value, "confidence": s.confidence},
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
