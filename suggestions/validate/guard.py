"""The test-weakening guard: does a change touch what judges it?

A validation runs the project's own tests; a change that edits them, loosens what they
assert, skips them, or changes how they are collected and run (``conftest.py``, pytest's
configuration, CI) could pass anything. Such a change is flagged ``touches-tests`` with its
reasons (:func:`touches_tests`): it never applies itself, its grade is at most "passed", and
its validation says so plainly. Pure: paths and texts in, reasons out.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

__all__ = ["is_test_config", "is_test_file", "touches_tests"]

_TEST_DIRS = frozenset({"tests", "test", "testing"})
_CI_FILES = frozenset({".gitlab-ci.yml", ".travis.yml", "azure-pipelines.yml", "Jenkinsfile",
                       "noxfile.py", "tox.ini", "pytest.ini", ".pytest.ini", "appveyor.yml"})
_CI_DIRS = (".github/workflows/", ".ci/", ".circleci/", ".gitlab/")


def is_test_file(rel: str) -> bool:
    """Whether a project file belongs to the test suite (Python files only)."""
    parts = rel.split("/")
    name = parts[-1]
    if not name.endswith(".py"):
        return False
    return (name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py")
            or any(p in _TEST_DIRS for p in parts[:-1]))


def is_test_config(rel: str) -> bool:
    """Whether a file configures how the tests run, whatever it contains (CI, pytest.ini...)."""
    name = rel.rsplit("/", 1)[-1]
    return name in _CI_FILES or any(rel.startswith(d) or f"/{d}" in f"/{rel}" for d in _CI_DIRS)


_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$")


def _sections(text: str) -> dict[str, str]:
    """INI/TOML text by section header (the part before the first header under "")."""
    out: dict[str, list[str]] = {"": []}
    current = ""
    for line in text.splitlines():
        m = _SECTION.match(line)
        if m:
            current = m.group(1).strip().strip("[]").strip()
            out.setdefault(current, [])
            continue
        out[current].append(line.rstrip())
    return {k: "\n".join(v).strip() for k, v in out.items()}


def _config_sections_changed(rel: str, old: str, new: str) -> list[str]:
    name = rel.rsplit("/", 1)[-1]
    if name not in ("pyproject.toml", "setup.cfg"):
        return []
    a, b = _sections(old), _sections(new)
    return sorted(s for s in set(a) | set(b) if _pytest_section(name, s) and a.get(s) != b.get(s))


def _pytest_section(name: str, section: str) -> bool:
    if name == "pyproject.toml":
        return section == "tool.pytest" or section.startswith("tool.pytest.")
    return section in ("tool:pytest", "pytest")


_ASSERT = re.compile(r"^\s*assert\b|\.assert[A-Z]\w*\(|\.assert_\w+\(|\bpytest\.raises\(|\bassertRaises")
_STRONG = re.compile(r"==|\bis\b|\.assert(Equal|Equals|Is|IsNone|In|Raises|CountEqual|DictEqual|ListEqual|"
                     r"SequenceEqual|TupleEqual|SetEqual|MultiLineEqual|AlmostEqual|Regex)\w*\(|"
                     r"\bpytest\.raises\(|\.assert_called_once_with\(|\.assert_called_with\(")
_WEAK = re.compile(r"!=|<=|>=|<|>|\bin\b|\bnot\b|\.assert(True|False|IsNotNone|Greater|Less|NotEqual|"
                   r"NotIn|IsNot)\w*\(|\.assert_called\(")
_SKIP = re.compile(r"\bpytest\.(mark\.)?(skip|skipif|xfail)\b|\bunittest\.(skip|skipIf|skipUnless|"
                   r"expectedFailure)\b|@(skip|skipIf|skipUnless|expectedFailure)\b|\.skipTest\(|"
                   r"\bpytest\.importorskip\(")
_TOLERANCE = re.compile(r"\b(rel|abs|places|delta|atol|rtol)\s*=\s*([0-9.eE+-]+)")


def _strength(line: str) -> int:
    """2: an exact check (==, is, assertEqual, raises); 1: a looser comparison; 0: truthiness."""
    if _STRONG.search(line):
        return 2
    return 1 if _WEAK.search(line) else 0


def _tolerances(line: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in _TOLERANCE.findall(line):
        try:
            out[key] = float(value)
        except ValueError:
            continue
    return out


def _loosened(old: str, new: str) -> str:
    """Why the assertion ``new`` is weaker than ``old`` ("" when it is not)."""
    if _strength(new) < _strength(old):
        return f"loosens an assertion: `{old.strip()}` became `{new.strip()}`"
    a, b = _tolerances(old), _tolerances(new)
    for key, value in b.items():
        if key in a and (value > a[key] if key != "places" else value < a[key]):
            return f"raises a tolerance ({key}={a[key]:g} -> {value:g}): `{new.strip()}`"
    return ""


def _python_reasons(rel: str, old: str, new: str, in_tests: bool) -> list[str]:
    reasons: list[str] = []
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    removed: list[str] = []
    added: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        gone = [x for x in old_lines[i1:i2] if _ASSERT.search(x)]
        came = [x for x in new_lines[j1:j2] if _ASSERT.search(x)]
        removed += gone
        added += came
        if in_tests:
            reasons += [r for r in (_loosened(a, b) for a, b in zip(gone, came, strict=False)) if r]
        if any(_SKIP.search(x) for x in new_lines[j1:j2]) and not any(_SKIP.search(x) for x in old_lines[i1:i2]):
            reasons.append(f"adds a skip or xfail in {rel}")
    if in_tests and len(removed) > len(added):
        n = len(removed) - len(added)
        reasons.append(f"deletes {n} assertion{'s' if n != 1 else ''} in {rel}: `{removed[0].strip()}`")
    return list(dict.fromkeys(reasons))


def touches_tests(changes: Sequence[tuple[str, str, str]]) -> tuple[str, ...]:
    """Why a change touches the tests, from ``(path, old text, new text)`` per file (empty: it
    does not)."""
    reasons: list[str] = []
    for rel, old, new in changes:
        if old == new:
            continue
        name = rel.rsplit("/", 1)[-1]
        if name == "conftest.py":
            reasons.append(f"edits {rel} (test configuration)")
        elif is_test_file(rel):
            reasons.append(f"edits the test file {rel}")
        if is_test_config(rel):
            reasons.append(f"edits {rel} (how the tests are run: CI or test runner configuration)")
        for section in _config_sections_changed(rel, old, new):
            reasons.append(f"edits [{section}] in {rel} (pytest's configuration)")
        if name.endswith(".py"):
            reasons += _python_reasons(rel, old, new, is_test_file(rel))
    return tuple(dict.fromkeys(reasons))
