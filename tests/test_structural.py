"""Structural analyzers (KZ701-KZ704) and duplicate blocks (KZ705) on every language.

Small snippets per language with low thresholds, so each number is checked exactly:
length in lines, parameters (without ``self``/receivers/markers), nesting (an ``else
if`` chain adds no level) and cyclomatic complexity; broken files still yield facts for
the functions that parse, and never an exception.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.config import load_config
from analysis.languages import LANGUAGES
from analysis.parsing import ParsedFile, parse
from suggestions.analyze.duplicates import DuplicateIndex, Region, fingerprint, tokenize
from suggestions.analyze.engine import Analyzer, Selection
from suggestions.analyze.framework import Context, all_rules
from suggestions.analyze.rules._structure import functions
from suggestions.analyze.scan import scan_project
from suggestions.model import Applicability, content_hash
from tests.conftest import write

LOW = {
    "thresholds.function-lines": 3,
    "thresholds.parameters": 2,
    "thresholds.nesting": 1,
    "thresholds.complexity": 2,
    "thresholds.duplicate-tokens": 20,
}
STRUCTURAL = [r for r in all_rules() if r.code in ("KZ701", "KZ702", "KZ703", "KZ704")]

# language -> (source, {function name: (lines, parameters, complexity, depth)})
CASES: dict[str, tuple[str, dict[str, tuple[int, int, int, int]]]] = {
    "python": (
        "class A:\n"
        "    def m(self, a, b, *, c, d=1, **kw):\n"
        "        if a and b or c:\n"
        "            for x in y:\n"
        "                if x:\n"
        "                    pass\n"
        "                elif z:\n"
        "                    pass\n"
        "        return [i for i in a if i]\n"
        "def g(x): return x if x else 0\n",
        {"m": (8, 5, 9, 3), "g": (1, 1, 2, 0)},
    ),
    "javascript": (
        "function f(a, b, c) {\n"
        "  if (a && b || c) { for (;;) { if (x) {} } } else if (b) { } else { }\n"
        "  const g = (x) => x ? 1 : 2;\n"
        "}\n"
        "class K { m(a) { while (a) { try { } catch (e) {} } } }\n",
        {"f": (4, 3, 7, 3), "g": (1, 1, 2, 0), "m": (1, 1, 3, 2)},
    ),
    "typescript": (
        "export function f<T>(a: T, b?: number, ...rest: string[]): void {\n"
        "  if (a) { if (b) { } } else if (rest) { }\n"
        "  return;\n"
        "}\n",
        {"f": (4, 3, 4, 2)},
    ),
    "tsx": (
        "function View(a: P, b: Q, c: R) {\n  if (a) { if (b) { return <div/>; } }\n  return c ? <span/> : null;\n}\n",
        {"View": (4, 3, 4, 2)},
    ),
    "go": (
        "package p\n"
        "func (s *S) F(a, b int, c ...string) (int, error) {\n"
        "  if a > 0 && b > 0 { for { } } else if b > 0 {}\n"
        "  switch a { case 1: ; case 2: }\n"
        "  return 0, nil\n"
        "}\n",
        {"F": (5, 3, 7, 2)},
    ),
    "rust": (
        "impl S { fn f(&self, a: i32, b: i32, c: i32) -> i32 {\n"
        "  if a > 0 && b > 0 { loop { } } else if b > 0 { }\n"
        "  match a { 1 => 2, _ => 3 }\n"
        "} }\n",
        {"f": (4, 3, 7, 2)},
    ),
    "java": (
        "class A {\n"
        "  int f(int a, int b, String... c) {\n"
        "    if (a > 0 || b > 0) { for (int x : xs) { } }\n"
        "    return a > 0 ? 1 : 2;\n"
        "  }\n"
        "  A(int x) { switch (x) { case 1: break; default: } }\n"
        "}\n",
        {"f": (4, 3, 5, 2), "A": (1, 1, 3, 1)},
    ),
    "c": (
        "static int *f(int a, char **b, ...) {\n"
        "  if (a && b) return 0; else if (b) { while (1) { do {} while (0); } }\n"
        "  return a ? 1 : 0;\n"
        "}\n"
        "int g(void) { return 1; }\n",
        {"f": (4, 3, 7, 3), "g": (1, 0, 1, 0)},
    ),
}


def _ctx(language: str, source: str) -> Context:
    data = source.encode()
    return Context("x", language, data, parse(language, data), LOW)


def test_every_language_has_a_case() -> None:
    assert set(CASES) == set(LANGUAGES)


@pytest.mark.parametrize("language", sorted(CASES))
def test_function_facts(language: str) -> None:
    source, expected = CASES[language]
    facts = {
        f.name: (f.lines, f.parameters, f.complexity, f.max_depth)
        for f in functions(_ctx(language, source))
    }
    for name, numbers in expected.items():
        assert facts.get(name) == numbers, f"{language} {name}: {facts.get(name)} != {numbers}"


@pytest.mark.parametrize("language", sorted(CASES))
def test_findings_respect_thresholds(language: str) -> None:
    source, expected = CASES[language]
    data = source.encode()
    parsed = ParsedFile("x", language, data, parse(language, data))
    low = Analyzer(Selection(), settings=LOW, rules=STRUCTURAL).analyze(parsed, content_hash(data))
    assert low and all(
        s.applicability is Applicability.DISPLAY_ONLY and s.patch is None for s in low
    )
    assert {s.code for s in low} == {"KZ701", "KZ702", "KZ703", "KZ704"}
    biggest = max(expected.values(), key=lambda n: n[2])
    assert any(f"complexity {biggest[2]} " in s.title for s in low if s.code == "KZ704")
    defaults = Analyzer(Selection(), settings={}, rules=STRUCTURAL).analyze(
        parsed, content_hash(data)
    )
    assert defaults == []  # default thresholds (80 lines, 6 parameters, 4 deep, 12 paths)


BROKEN = {
    "python": "def ok(a, b, c):\n    if a:\n        if b:\n            return c\n\ndef broken(:\n    if (\n",
    "javascript": "function ok(a, b, c) { if (a) { if (b) { return c; } } }\nfunction broken( { if (\n",
    "typescript": "function ok(a: number, b: number, c: number) { if (a) { if (b) { return c; } } }\nfunction (\n",
    "tsx": "function ok(a, b, c) { if (a) { if (b) { return <b/>; } } }\nconst x = <div\n",
    "go": "package p\nfunc ok(a, b, c int) int { if a > 0 { if b > 0 { return c } }; return 0 }\nfunc broken( {\n",
    "rust": "fn ok(a: i32, b: i32, c: i32) -> i32 { if a > 0 { if b > 0 { return c; } } 0 }\nfn broken( {\n",
    "java": "class A { int ok(int a, int b, int c) { if (a > 0) { if (b > 0) { return c; } } return 0; }\n int broken( {\n",
    "c": "int ok(int a, int b, int c) { if (a) { if (b) { return c; } } return 0; }\nint broken( { if (\n",
}


@pytest.mark.parametrize("language", sorted(BROKEN))
def test_broken_files_still_report_what_parses(language: str) -> None:
    data = BROKEN[language].encode()
    tree = parse(language, data)
    assert tree.root_node.has_error
    parsed = ParsedFile("x", language, data, tree)
    found = Analyzer(Selection(), settings=LOW, rules=STRUCTURAL).analyze(
        parsed, content_hash(data)
    )
    ok = [s for s in found if "`ok`" in s.title]
    assert {s.code for s in ok} >= {"KZ702", "KZ703"}, [s.title for s in found]


def test_binary_and_empty_input_do_not_crash() -> None:
    for language in LANGUAGES:
        for data in (b"", b"\x00\xff\xfe garbage \x00", "é ü 漢字".encode()):
            ctx = Context("x", language, data, parse(language, data), LOW)
            functions(ctx)
            assert fingerprint("x", language, data, 20) is not None


# --- duplicates ------------------------------------------------------------------------------

PY_BLOCK = """
def {name}(order):
    total = 0
    for line in order.lines:
        if line.quantity > 0 and not line.cancelled:
            total += line.quantity * line.unit_price * (1 - line.discount)
            log("added", line.sku, total)
    return round(total, 2)
"""

GO_BLOCK = """
func {name}(items []Item) int {{
	total := 0
	for _, it := range items {{
		if it.Count > 0 && !it.Removed {{
			total += it.Count * it.Weight * (1 - it.Packing)
		}}
	}}
	return total
}}
"""


def test_tokens_normalize_names_and_literals() -> None:
    a = tokenize("python", b"x = foo(1, 'a')  # note\n")
    b = tokenize("python", b'total = bar(42, "other")\n')
    assert a == b == [b"a=a(a,\"a\")", b""]
    assert b"".join(tokenize("c", b"int x = 1; /* c\n */ y++;")) == b"".join(
        tokenize("c", b"int q = 7;\n\n z++;")
    )
    assert tokenize("python", b"a = b + c\n") != tokenize("python", b"a = b - c\n")
    # Unicode letters are word characters, and a docstring is one string token.
    assert tokenize("python", "z\u00e9ta = '\u00fcber'\n".encode()) == tokenize("python", b"x = 'y'\n")
    assert tokenize("python", b'def f():\n    """Doc\n    string."""\n') == [b"aa():", b'"', b"", b""]


def test_renamed_copy_across_files_is_found() -> None:
    fa = fingerprint("a.py", "python", ("import os\n" + PY_BLOCK.format(name="f")).encode(), 40)
    renamed = PY_BLOCK.format(name="g").replace("total", "acc").replace("line", "row")
    fb = fingerprint("b.py", "python", ("x = 1\n\n" + renamed).encode(), 40)
    index = DuplicateIndex(40)
    index.update(fa)
    index.update(fb)
    found = index.suggestions(cross_file_only=True)
    assert set(found) == {"a.py", "b.py"}
    (sa,), (sb,) = found["a.py"], found["b.py"]
    assert (sa.span.start_line, sa.span.end_line) == (3, 9)
    assert (sb.span.start_line, sb.span.end_line) == (4, 10)
    assert "b.py:4-10" in sa.title and sa.code == "KZ705" and sa.patch is None
    assert sa.evidence["copies"] == [{"path": "b.py", "start_line": 4, "end_line": 10}]
    index.remove("b.py")
    assert index.suggestions(cross_file_only=True) == {}


def test_in_file_copy_across_two_functions_points_at_its_own_lines() -> None:
    """Copied runs spanning two sibling functions are reported at their first line, with
    their own extent (not at the module around them, which starts at line 1)."""
    pair = PY_BLOCK.format(name="{0}_a") + PY_BLOCK.format(name="{0}_b")
    source = "import os\n\nprint()\n" + pair.format("first") + "\nX = [1]\n" + pair.format("second")
    parsed = ParsedFile("m.py", "python", source.encode(), parse("python", source.encode()))
    analyzer = Analyzer(Selection(select=("KZ705",)), settings={"thresholds.duplicate-tokens": 60})
    found = sorted(analyzer.analyze(parsed, content_hash(source.encode())), key=lambda s: s.span.start_line)
    lines = source.splitlines()

    def line_of(text: str) -> int:
        return lines.index(text) + 1

    assert [s.span.start_line for s in found] == [line_of("def first_a(order):"), line_of("def second_a(order):")]
    assert found[0].span.end_line >= line_of("def first_b(order):") + 6
    assert found[1].span.end_line == len(lines)


def test_side_by_side_copies_are_named_not_the_region_again() -> None:
    # Two copies that meet on one line merge into one region (seen in attrs' tests).
    region = Region("a.py", 0, 210, 533, 589, {("a.py", 533, 561), ("a.py", 561, 589)})
    assert region.title("a.py") == "Duplicated block (57 lines, 210 tokens): lines 533-561, 561-589 repeat one another"
    region.copies.add(("b.py", 1, 57))
    assert region.title("a.py").endswith("also at line 533-561, line 561-589, b.py:1-57")


def test_different_code_and_short_runs_are_not_duplicates() -> None:
    other = "def h(values):\n    return sorted(set(values), key=len)[:3]\n"
    index = DuplicateIndex(40)
    index.update(fingerprint("a.py", "python", PY_BLOCK.format(name="f").encode(), 40))
    index.update(fingerprint("c.py", "python", other.encode(), 40))
    assert index.suggestions() == {}
    long = DuplicateIndex(200)  # longer than the block: no report
    long.update(fingerprint("a.py", "python", PY_BLOCK.format(name="f").encode(), 200))
    long.update(fingerprint("b.py", "python", PY_BLOCK.format(name="g").encode(), 200))
    assert long.suggestions() == {}


def test_duplicates_in_every_language() -> None:
    for language, block in (("go", GO_BLOCK), ("python", PY_BLOCK)):
        index = DuplicateIndex(30)
        index.update(fingerprint("a", language, block.format(name="One").encode(), 30))
        index.update(fingerprint("b", language, block.format(name="Two").encode(), 30))
        assert set(index.suggestions()) == {"a", "b"}, language


def test_project_scan_reports_cross_file_copies_and_respects_ignores(project: Path) -> None:
    write(
        project,
        {
            "a.py": PY_BLOCK.format(name="f"),
            "b.py": PY_BLOCK.format(name="g").replace("total", "acc"),
            "c.go": "package p\n" + GO_BLOCK.format(name="One"),
            "d.go": "package p\n// copy\n" + GO_BLOCK.format(name="Two"),
            "kaizen.toml": "select = ['KZ705']\n[thresholds]\nduplicate-tokens = 30\n",
        },
    )
    result = scan_project(project, load_config(project), jobs=1)
    paths = {s.path for s in result.suggestions if s.code == "KZ705"}
    assert paths == {"a.py", "b.py", "c.go", "d.go"}
    write(
        project,
        {
            "kaizen.toml": "select = ['KZ705']\nper-file-ignores = {'b.py' = ['KZ705']}\n[thresholds]\nduplicate-tokens = 30\n"
        },
    )
    result = scan_project(project, load_config(project), jobs=1)
    assert {s.path for s in result.suggestions} == {"a.py", "c.go", "d.go"}
    suppressed = PY_BLOCK.format(name="f").replace("(order):", "(order):  # kaizen: ignore[KZ705]")
    write(project, {"a.py": suppressed})
    result = scan_project(project, load_config(project), jobs=1)
    assert {s.path for s in result.suggestions} == {"c.go", "d.go"}
    write(project, {"kaizen.toml": "ignore = ['KZ705']\n"})
    result = scan_project(project, load_config(project), jobs=1)
    assert not [s for s in result.suggestions if s.code == "KZ705"]
    assert all(f.fingerprints is None for f in result.files)
