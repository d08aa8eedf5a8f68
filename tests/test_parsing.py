"""Parsing every language, broken files as data, and incremental re-parse == full parse."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.languages import LANGUAGES, language_for_path
from analysis.parsing import ParseCache, compute_edit, parse, syntax_issues
from analysis.symbols import extract_symbols

GOOD = {
    "python": b"import os\n\nclass A:\n    def m(self, x):\n        return os.path.join(x)\n",
    "javascript": b"import x from 'y';\nclass A { m() { return f(1); } }\nconst g = () => 2;\n",
    "typescript": b"interface I { a: number }\nfunction f(a: number): string { return g(a); }\n",
    "tsx": b"export function C(): JSX.Element { return <div className='x'>{f()}</div>; }\n",
    "go": b"package main\nimport \"fmt\"\nfunc main() { fmt.Println(1) }\n",
    "rust": b"use std::io;\nfn main() { let x = f(1); println!(\"{}\", x); }\n",
    "java": b"import a.B;\nclass A { int m(int x) { return f(x); } }\n",
    "c": b"#include <stdio.h>\nint main(void) { printf(\"x\"); return 0; }\n",
}
BROKEN = {
    "python": b"def f(:\n    return 1\n",
    "javascript": b"function f( { return 1; }\n",
    "typescript": b"let x: = 3;\n",
    "tsx": b"const a = <div>;\n",
    "go": b"package main\nfunc main( {\n",
    "rust": b"fn main() { let = ; }\n",
    "java": b"class A { void m( { }\n",
    "c": b"int main( { return 0 }\n",
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_language_parses_and_indexes_symbols(language: str) -> None:
    tree = parse(language, GOOD[language])
    assert not tree.root_node.has_error, tree.root_node
    symbols = extract_symbols(language, tree, GOOD[language])
    assert any(s.definition for s in symbols)
    assert any(s.kind == "call" for s in symbols)


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_syntax_errors_are_data(language: str) -> None:
    tree = parse(language, BROKEN[language])
    issues = syntax_issues(tree, BROKEN[language])
    assert tree.root_node.has_error
    assert issues and all(i.line >= 1 for i in issues)
    assert issues[0].message.startswith("syntax error")


def test_language_by_extension() -> None:
    assert language_for_path("a/b.PY") == "python"
    assert language_for_path("x.tsx") == "tsx"
    assert language_for_path("x.txt") is None


def test_garbage_never_raises() -> None:
    for language in LANGUAGES:
        tree = parse(language, bytes(range(256)) * 20)
        syntax_issues(tree, bytes(range(256)) * 20)


def test_compute_edit() -> None:
    e = compute_edit(b"hello world\nxyz\n", b"hello brave world\nxyz\n")
    assert e is not None
    assert (e.start_byte, e.old_end_byte, e.new_end_byte) == (6, 6, 12)
    assert e.start_point == (0, 6)
    assert compute_edit(b"same", b"same") is None


def _sexp(tree: object) -> list[tuple[str, int, int]]:
    """Every node's type and byte range, in document order."""
    out, stack = [], [tree.root_node]  # type: ignore[attr-defined]
    while stack:
        node = stack.pop()
        out.append((node.type, node.start_byte, node.end_byte))
        stack.extend(reversed(node.children))
    return out


BASE = GOOD["python"] + b"\n\ndef g(a, b=2):\n    if a:\n        return [i * b for i in range(a)]\n    return None\n"
ALPHABET = st.sampled_from(["x", " ", "\n", "(", ")", ":", "def ", "return ", "    ", "1", "#", "'", "if a:", ","])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 12), st.lists(ALPHABET, max_size=4)), min_size=1, max_size=12))
def test_incremental_reparse_equals_full_parse(edits: list[tuple[int, int, list[str]]]) -> None:
    cache = ParseCache()
    text = BASE
    cache.parse("f.py", "python", text)
    for pos, delete, insert in edits:
        pos %= len(text) + 1
        text = text[:pos] + "".join(insert).encode() + text[pos + delete :]
        incremental = cache.parse("f.py", "python", text)
        full = parse("python", text)
        assert _sexp(incremental.tree) == _sexp(full)
        assert incremental.tree.root_node.end_byte == full.root_node.end_byte


def test_incremental_parse_keeps_previous_tree_valid() -> None:
    cache = ParseCache()
    old = cache.parse("f.py", "python", b"x = 1\n")
    new = cache.parse("f.py", "python", b"x = 1\ny = 2\n")
    assert str(old.tree.root_node).count("expression_statement") == 1
    assert str(new.tree.root_node).count("expression_statement") == 2
