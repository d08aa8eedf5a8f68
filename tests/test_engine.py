"""The rule engine end to end: merged fixes, suppressions, selection, stable fingerprints."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from analysis.config import load_config
from analysis.parsing import ParsedFile, parse
from suggestions.analyze.engine import Analyzer, Selection
from suggestions.analyze.scan import scan_project
from suggestions.model import Applicability, Patch, Suggestion, content_hash
from tests.conftest import write

MINE = Selection(select=("KZ001", "KZ1", "KZ2", "KZ3"))

# Nine findings from six rules, two of them on one line and two inside one import.
MESSY = """\
import os
import json, sys  # json is used below
from typing import List, Dict, Set


def load(path, cache):
    extra = 1
    if path == None or path in cache.keys():
        return None
    for key in cache.keys():
        if key in ["a", "b", "c"]:
            print(key, Set)
    return json.loads(path), sorted(list(cache))
"""

MESSY_FIXED = """\
import json  # json is used below
from typing import Set


def load(path, cache):
    if path is None or path in cache:
        return None
    for key in cache:
        if key in {"a", "b", "c"}:
            print(key, Set)
    return json.loads(path), sorted(cache)
"""


def analyze(
    source: str, path: str = "pkg/mod.py", selection: Selection | None = None
) -> list[Suggestion]:
    data = source.encode("utf-8")
    parsed = ParsedFile(path, "python", data, parse("python", data))
    # Rules of other families may grow to fire here too; these tests are about the engine.
    return _analyzer(selection or MINE).analyze(parsed, content_hash(data))


@functools.cache
def _analyzer(selection: Selection) -> Analyzer:
    # Compiling the combined query is the expensive part; one analyzer per selection.
    return Analyzer(selection)


def merge_all(suggestions: list[Suggestion]) -> Patch:
    patches = [s.patch for s in suggestions if s.patch is not None]
    merged = patches[0]
    for p in patches[1:]:
        merged = merged.merged(p)
    return merged


def codes(suggestions: list[Suggestion]) -> list[str]:
    return sorted(s.code for s in suggestions)


def test_many_fixes_in_one_file_apply_together() -> None:
    found = analyze(MESSY)
    assert codes(found) == sorted(
        ["KZ108", "KZ108", "KZ108", "KZ109", "KZ103", "KZ207", "KZ206", "KZ201", "KZ208"]
    )
    merged = merge_all(found)
    out = merged.apply(MESSY.encode()).decode()
    assert out == MESSY_FIXED
    # Every edit was computed against the original bytes; none moved another.
    assert all(
        s.patch is not None and s.patch.base_hash == content_hash(MESSY.encode()) for s in found
    )
    # What is left after applying everything is clean for these rules.
    assert analyze(out) == []


def test_fixes_applied_one_at_a_time_agree_with_the_merged_patch() -> None:
    text = MESSY
    for _ in range(20):
        fixable = [s for s in analyze(text) if s.patch is not None]
        if not fixable:
            break
        text = fixable[0].patch.apply(text.encode()).decode()  # type: ignore[union-attr]
        ast.parse(text)
    assert text == MESSY_FIXED


def test_fixes_that_empty_a_block_leave_pass() -> None:
    source = "def f(flag):\n    if flag:\n        a = 1\n        b = 2\n    return flag\n"
    found = [s for s in analyze(source) if s.code == "KZ109"]
    assert len(found) == 2
    out = merge_all(found).apply(source.encode()).decode()
    assert out == "def f(flag):\n    if flag:\n        pass\n    return flag\n"


def test_suppression_by_code_and_bare() -> None:
    source = (
        "x = y == None  # kaizen: ignore[KZ103]\n"
        "z = y == None  # kaizen: ignore[KZ999]\n"
        "w = y == None  # kaizen: ignore\n"
        "v = y == None and d in m.keys()  # kaizen: ignore[KZ207, KZ103]\n"
        "u = y == None and d in m.keys()  # kaizen:ignore[KZ207]\n"
        "y = d = m = None\n"  # defined (later: the module's names are all bound at run time)
    )
    found = analyze(source)
    assert [(s.line, s.code) for s in found] == [(2, "KZ103"), (5, "KZ103")]


def test_selection_in_memory() -> None:
    found = analyze(MESSY, selection=Selection(select=("KZ2",), ignore=("KZ206",)))
    assert codes(found) == ["KZ201", "KZ207", "KZ208"]
    found = analyze(MESSY, selection=Selection(select=("KZ10*",), ignore=("KZ108",)))
    assert codes(found) == ["KZ103", "KZ109"]
    found = analyze(MESSY, selection=Selection(per_file_ignores=(("pkg/*.py", ("KZ1",)),)))
    assert all(not c.startswith("KZ1") for c in codes(found)) and found
    found = analyze(
        MESSY, path="other/mod.py", selection=Selection(per_file_ignores=(("pkg/*.py", ("KZ1",)),))
    )
    assert "KZ103" in codes(found)


def test_select_ignore_and_per_file_ignores_from_kaizen_toml(project: Path) -> None:
    write(
        project,
        {
            "kaizen.toml": (
                'select = ["KZ1", "KZ2"]\n'
                'ignore = ["KZ109"]\n'
                "[per-file-ignores]\n"
                '"tests/*" = ["KZ108"]\n'
                '"legacy/**" = ["KZ2"]\n'
            ),
            "app/mod.py": MESSY,
            "tests/test_mod.py": MESSY,
            "legacy/old/mod.py": MESSY,
        },
    )
    config = load_config(project)
    result = scan_project(project, config, jobs=1)
    by_path: dict[str, list[str]] = {}
    for s in result.suggestions:
        by_path.setdefault(s.path, []).append(s.code)
    app = sorted(by_path["app/mod.py"])
    assert "KZ109" not in app  # ignored everywhere
    assert app == sorted(["KZ108", "KZ108", "KZ108", "KZ103", "KZ207", "KZ206", "KZ201", "KZ208"])
    assert sorted(by_path["tests/test_mod.py"]) == sorted(c for c in app if c != "KZ108")
    assert sorted(by_path["legacy/old/mod.py"]) == ["KZ103", "KZ108", "KZ108", "KZ108"]
    assert all(
        not c.startswith(("KZ4", "KZ5", "KZ6", "KZ7"))
        for codes_ in by_path.values()
        for c in codes_
    )


def test_fingerprints_survive_lines_inserted_above() -> None:
    before = analyze(MESSY)
    shifted_source = "# a new header comment\n\n\nimport re\nre.compile('x')\n" + MESSY
    after = [s for s in analyze(shifted_source) if not (s.code == "KZ108" and "`re`" in s.title)]
    assert {s.fingerprint for s in before} == {s.fingerprint for s in after}
    lines = {s.fingerprint: s.line for s in before}
    assert all(s.line == lines[s.fingerprint] + 5 for s in after)


def test_identical_findings_get_distinct_stable_fingerprints() -> None:
    source = "a = x == None\nb = x == None\nx = None\n"
    first = analyze(source)
    assert len({s.fingerprint for s in first}) == 2
    again = analyze("\n\n" + source)
    assert [s.fingerprint for s in first] == [s.fingerprint for s in again]


def test_findings_alike_but_for_whitespace_get_distinct_fingerprints() -> None:
    # The fingerprint reads the target with its whitespace collapsed, so the occurrence
    # count must too (51 suggestions of the standard library shared a fingerprint).
    found = analyze('a = f"x y"\nb = f"x  y"\n\n\ndef f(v):\n    if v:\n        return 1\n    else:\n        return 2\n'
                    "\n\nclass A:\n    def f(self, v):\n        if v:\n            return 1\n        else:\n"
                    "            return 2\n", selection=Selection(select=("KZ404", "KZ601")))
    assert codes(found) == ["KZ404", "KZ404", "KZ601", "KZ601"]
    assert len({s.fingerprint for s in found}) == 4


def test_titles_are_one_line() -> None:
    found = analyze("def f(a, b):\n    if (a\n            and b):\n        return True\n    return False\n",
                    selection=Selection(select=("KZ403",)))
    assert [s.title for s in found] == ["`if` returning True/False: use `return bool((a and b))`"]


def test_applicability_is_per_finding() -> None:
    # KZ108 is safe in a module but unsafe in a package __init__ (possible re-export).
    assert analyze("import os\n")[0].applicability is Applicability.SAFE
    init = analyze("import os\n", path="pkg/__init__.py")[0]
    assert init.applicability is Applicability.UNSAFE
    assert "re-export" in init.rationale


def test_syntax_errors_do_not_stop_other_findings() -> None:
    found = analyze("import os\ndef f(:\n    pass\nx = y == None\n")
    assert "KZ001" in codes(found)
    assert "KZ103" in codes(found)
