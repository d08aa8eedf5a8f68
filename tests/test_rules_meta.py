"""Checks every discovered rule against the framework's contract.

Each rule documents itself (What it does / Why is this bad? / Example / Fix safety) and
lives in the folder of its category (``rules/<category>/<slug>.py``; the runtime and LLM
declarations in ``rules/runtime/`` and ``rules/llm/``). Its ``python bad`` / ``python good``
examples parse; a static rule's are executable: the bad one must be flagged by that rule
and the good one not, and a rule that offers fixes must produce, from its bad example, a
fix whose result still parses.
"""

from __future__ import annotations

import ast
import functools
import re

import pytest
import tree_sitter

from analysis.languages import ts_language
from analysis.parsing import ParsedFile, parse
from suggestions.analyze.engine import Analyzer
from suggestions.analyze.framework import (
    Category,
    Rule,
    all_rules,
    docstring_examples,
    rule_for,
    static_rules,
)
from suggestions.model import Applicability, Patch, Source, Suggestion, content_hash

RULES = all_rules()
STATIC = static_rules()
PY_RULES = [r for r in STATIC if "python" in r.languages]
SECTIONS = ("What it does:", "Why is this bad?", "Example:", "Fix safety:")


@functools.cache
def _analyzer(rule: type[Rule]) -> Analyzer:
    return Analyzer(rules=[rule])


def _ids(rule: type[Rule]) -> str:
    return f"{rule.code}-{rule.slug}"


def _analyze(rule: type[Rule], code: str, path: str = "example.py") -> list[Suggestion]:
    data = code.encode("utf-8")
    parsed = ParsedFile(path, "python", data, parse("python", data))
    return [s for s in _analyzer(rule).analyze(parsed, content_hash(data)) if s.code == rule.code]


def test_rules_are_discovered() -> None:
    assert len(STATIC) >= 35
    fixable = [r for r in STATIC if r.applicability is not Applicability.DISPLAY_ONLY]
    assert len(fixable) >= 25
    by_source = {source: [r.code for r in RULES if r.source is source] for source in Source}
    assert by_source[Source.RUNTIME] == ["KZ801", "KZ802", "KZ803", "KZ804"]
    assert by_source[Source.LLM] == ["KZ901", "KZ902", "KZ903", "KZ904"]
    assert all(rule_for(r.code) is r for r in RULES) and rule_for("KZ000") is None


def test_the_runtime_and_llm_code_use_the_declarations() -> None:
    from suggestions.analyze import runtime
    from suggestions.llm.targets import KINDS

    assert [runtime.MEMOIZE, runtime.ANNOTATE, runtime.HOT_EXCEPT, runtime.DEAD_CODE] == [
        "KZ801", "KZ802", "KZ803", "KZ804"]
    assert sorted(rule.code for rule, _words in KINDS.values()) == ["KZ901", "KZ902", "KZ903", "KZ904"]


def test_codes_and_slugs_are_unique() -> None:
    codes = [r.code for r in RULES]
    slugs = [r.slug for r in RULES]
    assert len(set(codes)) == len(codes), sorted(c for c in codes if codes.count(c) > 1)
    assert len(set(slugs)) == len(slugs), sorted(s for s in slugs if slugs.count(s) > 1)


@pytest.mark.parametrize("rule", RULES, ids=_ids)
def test_declarations(rule: type[Rule]) -> None:
    assert re.fullmatch(r"KZ\d{3}", rule.code), rule.code
    assert rule.slug == rule.__module__.rsplit(".", 1)[-1]
    assert re.fullmatch(r"[a-z][a-z0-9_]*", rule.slug)
    # rules/<folder>/<slug>.py: the folder is the category (or runtime/llm).
    assert rule.__module__ == f"suggestions.analyze.rules.{rule.folder()}.{rule.slug}"
    assert rule.headline() and "\n" not in rule.headline()
    assert isinstance(rule.category, Category)
    assert isinstance(rule.applicability, Applicability)
    assert isinstance(rule.confidence, float) and 0.0 < rule.confidence <= 1.0
    assert 0.0 <= rule.severity <= 1.0
    assert rule.name and rule.name.strip() == rule.name
    if rule.source is not Source.STATIC:
        # A declaration: the runtime or LLM code finds it (KZ8xx from traces, KZ9xx a model's).
        assert rule.code[2] == {Source.RUNTIME: "8", Source.LLM: "9"}[rule.source]
        assert not rule.query and not rule.has_check(), "the engine never runs a declaration"
        return
    assert rule.query or rule.has_check(), "a rule needs a query or a check()"
    # The code's hundreds digit is its category (KZ1xx correctness, KZ2xx performance...).
    expected = {
        "1": Category.CORRECTNESS,
        "2": Category.PERFORMANCE,
        "3": Category.RESOURCES,
        "4": Category.SIMPLIFICATION,
        "5": Category.MODERNIZATION,
        "6": Category.STYLE,
        "7": Category.STRUCTURE,
    }.get(rule.code[2])
    if expected is not None:
        assert rule.category is expected


@pytest.mark.parametrize("rule", RULES, ids=_ids)
def test_docstring_sections(rule: type[Rule]) -> None:
    doc = rule.doc()
    positions = [doc.find(s) for s in SECTIONS]
    assert all(p >= 0 for p in positions), f"missing sections in {rule.code}: {SECTIONS}"
    assert positions == sorted(positions), "sections out of order"
    summary = rule.summary()
    assert summary and "What it does" not in summary and "Example" not in summary


@pytest.mark.parametrize("rule", [r for r in RULES if r.source is not Source.STATIC], ids=_ids)
def test_declared_examples_parse(rule: type[Rule]) -> None:
    """A runtime or LLM rule's examples cannot run (no trace, no model): they parse."""
    examples = docstring_examples(rule)
    assert set(examples) == {"bad", "good"}, f"{rule.code} needs ```python bad``` and ```python good```"
    for kind, code in examples.items():
        ast.parse(code, filename=f"{rule.code}-{kind}")


@pytest.mark.parametrize("rule", RULES, ids=_ids)
def test_query_patterns_each_capture(rule: type[Rule]) -> None:
    """A predicate outside its pattern's parentheses silently becomes a match-all pattern."""
    if not rule.query:
        return
    for language in rule.languages:
        query = tree_sitter.Query(ts_language(language), rule.query)
        source = rule.query.encode("utf-8")
        for i in range(query.pattern_count):
            text = source[query.start_byte_for_pattern(i) : query.end_byte_for_pattern(i)]
            assert b"@" in text, f"pattern {i} of {rule.code} captures nothing: {text!r}"


@pytest.mark.parametrize("rule", PY_RULES, ids=_ids)
def test_examples_parse_and_behave(rule: type[Rule]) -> None:
    examples = docstring_examples(rule)
    assert set(examples) == {"bad", "good"}, (
        f"{rule.code} needs ```python bad``` and ```python good```"
    )
    for kind, code in examples.items():
        ast.parse(code, filename=f"{rule.code}-{kind}")
    bad = _analyze(rule, examples["bad"])
    assert bad, f"{rule.code}: the bad example is not flagged"
    good = _analyze(rule, examples["good"])
    assert not good, f"{rule.code}: the good example is flagged: {[s.title for s in good]}"
    for s in bad:
        assert s.title and s.rationale
        assert s.category == rule.category.value
        assert s.confidence == rule.confidence


@pytest.mark.parametrize("rule", PY_RULES, ids=_ids)
def test_fix_of_bad_example_parses(rule: type[Rule]) -> None:
    code = docstring_examples(rule)["bad"]
    data = code.encode("utf-8")
    found = _analyze(rule, code)
    fixed = [s for s in found if s.patch is not None]
    if rule.applicability is Applicability.DISPLAY_ONLY:
        assert not fixed, f"{rule.code} is declared display-only but offers a fix"
        return
    assert fixed, f"{rule.code} declares {rule.applicability} fixes but its bad example gets none"
    for s in fixed:
        assert s.patch is not None and s.diff
        assert s.applicability in (Applicability.SAFE, Applicability.UNSAFE)
        out = s.patch.apply(data)
        assert out != data
        ast.parse(out, filename=f"{rule.code}-fixed")
    # All of the example's fixes together, as "apply all" would do.
    merged: Patch = fixed[0].patch  # type: ignore[assignment]
    for s in fixed[1:]:
        assert s.patch is not None
        merged = merged.merged(s.patch)
    ast.parse(merged.apply(data))
    # A rule whose fix claims equivalence is not flagged again on its own output in the
    # same place (a fix that needs a second pass is not exact).
    again = _analyze(rule, merged.apply(data).decode("utf-8"))
    assert len(again) < len(found) or not again


ODD_INPUTS = {
    "empty": "",
    "only_comment": "# nothing here\n",
    "syntax_error": "def f(:\n    return [1, 2\nclass\n",
    "unicode": "def naïve(é=[]):\n    ü = 1\n    return 'ß' == None\n",
    "crlf": "import os\r\nif x == None:\r\n    y = 1\r\n",
    "no_trailing_newline": "import sys\nfor k in d.keys(): s += 'a'",
    "deep": "x = " + "(" * 200 + "1" + ")" * 200 + "\n",
    "nested_defs": "def a():\n    def a():\n        def a():\n            v = 1\n    def a(): pass\n",
    "tabs": "def f():\n\tv = 1\n\tif v == None:\n\t\treturn True\n",
}


@pytest.mark.parametrize("name", sorted(ODD_INPUTS))
def test_every_rule_survives_odd_input(name: str) -> None:
    data = ODD_INPUTS[name].encode("utf-8")
    parsed = ParsedFile("odd.py", "python", data, parse("python", data))
    suggestions = Analyzer().analyze(parsed, content_hash(data))
    for s in suggestions:
        if s.patch is not None:
            for e in s.patch.edits:
                assert 0 <= e.start <= e.end <= len(data)
            s.patch.apply(data)
