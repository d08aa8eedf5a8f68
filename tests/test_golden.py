"""Golden tests: one folder per rule under ``tests/golden/<CODE>/``.

``input.py`` has a ``# --- will match`` part and a ``# --- will not match`` part;
``expected.txt`` lists every finding of that rule on the input (``line:col code title``,
the applicability and the diff). Regenerate with ``KAIZEN_REGEN_GOLDEN=1``; without it a
difference fails, so CI fails whenever regeneration would change anything.
"""

from __future__ import annotations

import ast
import functools
import os
from pathlib import Path

import pytest

from analysis.parsing import ParsedFile, parse
from suggestions.analyze.engine import Analyzer
from suggestions.analyze.framework import Rule, static_rules
from suggestions.model import Suggestion, content_hash

GOLDEN = Path(__file__).parent / "golden"
MATCH = "# --- will match"
NO_MATCH = "# --- will not match"
REGEN = os.environ.get("KAIZEN_REGEN_GOLDEN") == "1"
RULES = {r.code: r for r in static_rules()}  # runtime and LLM rules need a trace or a model
FOLDERS = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()) if GOLDEN.is_dir() else []


def _rule(code: str) -> type[Rule]:
    assert code in RULES, f"tests/golden/{code} has no rule"
    return RULES[code]


@functools.cache
def _analyzer(rule: type[Rule]) -> Analyzer:
    return Analyzer(rules=[rule])


def _suggestions(rule: type[Rule], data: bytes) -> list[Suggestion]:
    # The file is analysed as ``input.py`` so diffs and messages do not depend on where
    # the repository lives.
    parsed = ParsedFile("input.py", "python", data, parse("python", data))
    return [s for s in _analyzer(rule).analyze(parsed, content_hash(data)) if s.code == rule.code]


def render(suggestions: list[Suggestion]) -> str:
    """The expected.txt text: one block per finding, in file order."""
    blocks = []
    for s in suggestions:
        head = f"{s.span.start_line}:{s.span.start_col} {s.code} {s.title}\napplicability: {s.applicability}"
        blocks.append(f"{head}\n{s.diff.rstrip() if s.diff else '(no fix)'}\n")
    return "\n".join(blocks)


@pytest.mark.parametrize("code", FOLDERS)
def test_golden(code: str) -> None:
    rule = _rule(code)
    folder = GOLDEN / code
    data = (folder / "input.py").read_bytes()
    text = data.decode("utf-8")
    assert MATCH in text and NO_MATCH in text, f"{folder}/input.py needs both section markers"
    match_line = text[: text.index(MATCH)].count("\n") + 1
    no_match_line = text[: text.index(NO_MATCH)].count("\n") + 1
    assert match_line < no_match_line, "the will-match part comes first"
    found = _suggestions(rule, data)
    assert found, f"{code}: nothing matched in the will-match part"
    wrong = [f"{s.line}: {s.title}" for s in found if s.line > no_match_line]
    assert not wrong, f"{code}: findings in the will-not-match part: {wrong}"
    actual = render(found)
    expected_path = folder / "expected.txt"
    if REGEN:
        expected_path.write_text(actual, encoding="utf-8")
    else:
        assert expected_path.exists(), f"missing {expected_path}; run with KAIZEN_REGEN_GOLDEN=1"
        expected = expected_path.read_text(encoding="utf-8")
        assert actual == expected, (
            f"{code}: output differs from expected.txt (KAIZEN_REGEN_GOLDEN=1 rewrites it)"
        )
    # Every fix alone, and all of them merged, leave a file that parses.
    patches = [s.patch for s in found if s.patch is not None]
    for p in patches:
        ast.parse(p.apply(data))
    if patches:
        merged = patches[0]
        for p in patches[1:]:
            merged = merged.merged(p)
        ast.parse(merged.apply(data))


def test_every_rule_has_a_golden_folder() -> None:
    missing = sorted(
        code for code, r in RULES.items() if "python" in r.languages and code not in FOLDERS
    )
    assert not missing, f"rules without tests/golden/<CODE>/: {missing}"
