"""Trace-driven suggestions from a real traced test run of a temporary project."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from analysis.parsing import parse
from analysis.trace_store import TraceStore
from analysis.tracing import run_traced
from suggestions.analyze.runtime import (
    attach_evidence,
    function_defs,
    hidden_by_default,
    is_pure,
    remap_runtime_suggestions,
    runtime_suggestions,
)
from suggestions.model import Applicability, Source, Span, Suggestion, content_hash
from suggestions.store import Store
from tests.conftest import write

PY = sys.executable

APP = textwrap.dedent('''\
    """A module with room for runtime-driven improvements."""
    import math


    def slow_square(n):
        total = 0
        for _ in range(300):
            total += n * n
        return total // 300


    def noisy(n):
        print(n, end="")
        return n * 2


    def lookup(d, key):
        try:
            value = d[key]
        except KeyError:
            value = None
        return value


    def scale(x, factor=2):
        return x * factor


    def maybe(flag):
        return "yes" if flag else None


    def check_closed(flag, msg=None):
        if msg:
            return msg
        return flag


    def log_it(x):
        print(end="")


    def once(x):
        return x


    def never_called():
        return math.pi


    class Shape:
        def area(self, w, h):
            return w * h

        def unused_method(self):
            return 0
    ''')

TESTS = textwrap.dedent('''\
    from app import Shape, check_closed, log_it, lookup, maybe, noisy, once, scale, slow_square


    def test_square():
        assert sum(slow_square(i % 5) for i in range(2000)) == 400 * 30


    def test_noisy():
        assert [noisy(i % 3) for i in range(200)][-1] == 2


    def test_lookup():
        d = {"a": 1}
        hits = [lookup(d, "a" if i % 4 == 0 else "b") for i in range(4000)]
        assert hits.count(1) == 1000


    def test_scale_and_shape():
        assert scale(1.5) == 3.0 and scale(2.5, 3) == 7.5 and scale(0.5) == 1.0
        assert Shape().area(2, 3) == 6 and Shape().area(4, 5) == 20 and Shape().area(1, 1) == 1
        assert maybe(True) == "yes" and maybe(False) is None and maybe(True) == "yes"


    def test_none_only_and_nested():
        assert all(check_closed(i % 2 == 0) in (True, False) for i in range(10))
        assert all(log_it(i) is None for i in range(10))
        assert once(1) == 1

        def helper(v):  # a helper nested in a test: never annotated
            return v + 1

        assert [helper(i) for i in range(10)][-1] == 10
    ''')


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TraceStore, list[Suggestion]]:
    root = tmp_path_factory.mktemp("rt") / "proj"
    write(root, {"app.py": APP, "tests/test_app.py": TESTS,
                 "pyproject.toml": "[tool.pytest.ini_options]\npythonpath = ['.']\n"})
    result = run_traced(root, [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                        stdout=subprocess.PIPE, timeout=120)
    assert result.exit_code == 0
    traces = TraceStore(Store(root))
    traces.add(result)
    return root, traces, runtime_suggestions(root, traces)


def _by(suggestions: list[Suggestion], code: str, name: str) -> list[Suggestion]:
    return [s for s in suggestions if s.code == code and name in s.title]


def test_memoize_hot_pure_function(traced: tuple[Path, TraceStore, list[Suggestion]]) -> None:
    root, _, suggestions = traced
    memo = _by(suggestions, "KZ801", "slow_square")
    assert len(memo) == 1
    s = memo[0]
    assert s.applicability is Applicability.UNSAFE and s.source is Source.RUNTIME
    assert s.evidence["calls"] == 2000 and s.evidence["repeat_ratio"] >= 0.8
    assert 0 < s.evidence["estimated_saving_s"] <= s.evidence["total_s"]
    assert not [x for x in suggestions if x.code == "KZ801" and "slow_square" not in x.title]  # noisy prints
    data = (root / "app.py").read_bytes()
    assert s.patch is not None and s.patch.base_hash == content_hash(data)
    new = s.patch.apply(data).decode()
    assert "import math\nimport functools\n" in new
    assert "@functools.cache\ndef slow_square(n):" in new
    assert "+@functools.cache" in s.diff


def test_memoized_code_still_passes_its_tests(traced: tuple[Path, TraceStore, list[Suggestion]],
                                              tmp_path: Path) -> None:
    root, _, suggestions = traced
    s = _by(suggestions, "KZ801", "slow_square")[0]
    copy = tmp_path / "copy"
    write(copy, {"app.py": s.patch.apply((root / "app.py").read_bytes()) if s.patch else b"",
                 "tests/test_app.py": TESTS, "pyproject.toml": (root / "pyproject.toml").read_text()})
    run = subprocess.run([PY, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=copy, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout


def test_annotations_from_observed_types(traced: tuple[Path, TraceStore, list[Suggestion]]) -> None:
    root, _, suggestions = traced
    data = (root / "app.py").read_bytes()
    groups = [s for s in suggestions if s.code == "KZ802"]
    assert len(groups) == 1  # one suggestion for the module, one combined patch
    group = groups[0]
    assert group.patch is not None and group.title.startswith("Annotate ") and "functions in app.py" in group.title
    new = group.patch.apply(data).decode()
    assert "def scale(x: float, factor: int = 2) -> float:" in new
    assert "def area(self, w: int, h: int) -> int:" in new
    assert "def maybe(flag: bool) -> str | None:" in new
    assert "def slow_square(n: int) -> int:" in new
    # only None was ever passed for msg: it stays bare (never `msg: None = None`)
    assert "def check_closed(flag: bool, msg=None) -> bool:" in new
    assert "def log_it(x: int) -> None:" in new  # no value is ever returned: -> None is right
    assert "def once(x)" in new  # one call is no evidence
    names = {f["function"] for f in group.evidence["functions"]}
    assert group.evidence["count"] == len(names) and "scale" in names and "once" not in names
    assert all(f"`{n}" in group.rationale for n in names)  # the rationale lists them
    assert f"{len(names)} functions" in group.title
    assert not [s for s in suggestions if s.code == "KZ802" and s.path.startswith("tests/")]
    compile(new, "app.py", "exec")


def test_none_only_return_with_values_is_left_bare(tmp_path: Path) -> None:
    from analysis.tracing import FunctionStats
    from suggestions.analyze.runtime_base import parse_file
    from suggestions.analyze.runtime_notes import annotation_for

    f = parse_file("lib.py", b"def get(d, k):\n    if k in d:\n        return d[k]\n    return None\n")
    stats = FunctionStats("lib.py", "get", 1, 4, calls=5, sampled=5,
                          arg_types={"d": {"dict": 5}, "k": {"str": 5}}, return_types={"NoneType": 5})
    a = annotation_for(f, stats, f.defs[0])
    assert a is not None and a.params == (("d", "dict"), ("k", "str")) and a.returns == ""


def test_test_code_is_never_annotated() -> None:
    from suggestions.analyze.runtime_base import in_test, parse_file

    src = (b"import pytest\n\n@pytest.fixture\ndef data():\n    def make(n):\n        return n\n    return make\n\n"
           b"def test_x():\n    def helper(v):\n        return v\n\ndef plain(v):\n    return v\n")
    f = parse_file("pkg/mod.py", src)
    by = {fd.qualname: fd for fd in f.defs}
    assert in_test("pkg/mod.py", by["data"], f.defs) and in_test("pkg/mod.py", by["data.<locals>.make"], f.defs)
    assert in_test("pkg/mod.py", by["test_x"], f.defs) and in_test("pkg/mod.py", by["test_x.<locals>.helper"], f.defs)
    assert not in_test("pkg/mod.py", by["plain"], f.defs)
    assert in_test("tests/helpers.py", by["plain"], f.defs) and in_test("conftest.py", by["plain"], f.defs)


def test_hot_try_except_becomes_dict_get(traced: tuple[Path, TraceStore, list[Suggestion]]) -> None:
    root, _, suggestions = traced
    hot = [s for s in suggestions if s.code == "KZ803"]
    assert len(hot) == 1
    s = hot[0]
    assert s.evidence["raised"] == 3000 and s.evidence["caught"] == 3000
    assert "3000" in s.title and s.applicability is Applicability.UNSAFE
    assert s.patch is not None
    new = s.patch.apply((root / "app.py").read_bytes()).decode()
    assert "    value = d.get(key, None)\n    return value" in new
    assert "except KeyError" not in new


def test_dead_code_is_one_note_per_module(traced: tuple[Path, TraceStore, list[Suggestion]]) -> None:
    root, _, suggestions = traced
    dead = [s for s in suggestions if s.code == "KZ804"]
    assert len(dead) == 1
    note = dead[0]
    assert note.title == "2 functions in app.py never ran during the test suite"
    assert [f["function"] for f in note.evidence["functions"]] == ["never_called", "Shape.unused_method"]
    lines = (root / "app.py").read_text().splitlines()
    for f in note.evidence["functions"]:
        name = f["function"].rsplit(".", 1)[-1]
        assert f"def {name}(" in lines[f["line"] - 1]
        assert f"line {f['line']}: `{f['function']}`" in note.rationale
    assert note.patch is None and note.applicability is Applicability.DISPLAY_ONLY
    assert hidden_by_default(note) and not any(hidden_by_default(s) for s in suggestions if s.code != "KZ804")
    assert not [s for s in suggestions if s.path.startswith("tests/")]


def test_an_edit_remaps_runtime_suggestions(traced: tuple[Path, TraceStore, list[Suggestion]]) -> None:
    root, _, suggestions = traced
    data = (root / "app.py").read_bytes()
    edited = data.replace(b"import math\n", b"import math\n\nCONSTANT = 1\nOTHER = 2\n\n", 1)
    # ... and one function's body changed: its evidence no longer applies
    edited = edited.replace(b"    return x * factor\n", b"    return x * factor + 0\n", 1)
    moved = {s.code: s for s in remap_runtime_suggestions("app.py", edited, suggestions)}
    before = {s.code: s for s in suggestions}
    assert set(moved) == {"KZ801", "KZ802", "KZ803", "KZ804"}
    for code, s in moved.items():
        assert s.span.start_line == before[code].span.start_line + 4, code
        if s.patch is not None:
            assert s.patch.base_hash == content_hash(edited)
            s.patch.apply(edited)  # applies to the new content
    assert moved["KZ801"].fingerprint == before["KZ801"].fingerprint
    assert "@functools.cache\ndef slow_square(n):" in moved["KZ801"].patch.apply(edited).decode()
    assert "value = d.get(key, None)" in moved["KZ803"].patch.apply(edited).decode()
    new = moved["KZ802"].patch.apply(edited).decode()
    assert "def slow_square(n: int) -> int:" in new and "def scale(x, factor=2):" in new  # scale changed
    assert moved["KZ804"].fingerprint == before["KZ804"].fingerprint
    assert [f["line"] for f in moved["KZ804"].evidence["functions"]] == [
        f["line"] + 4 for f in before["KZ804"].evidence["functions"]]
    # a function gone takes its suggestion along; text that no longer parses drops them all
    gone = edited.replace(b"def slow_square(n):", b"def slow_cube(n):", 1)
    assert "KZ801" not in {s.code for s in remap_runtime_suggestions("app.py", gone, suggestions)}


def test_attach_evidence_to_static_suggestions(traced: tuple[Path, TraceStore, list[Suggestion]]) -> None:
    root, traces, _ = traced
    lines = (root / "app.py").read_text().splitlines()
    body = next(i for i, ln in enumerate(lines, 1) if "total += n * n" in ln)
    static = Suggestion(fingerprint="f" * 40, code="KZ201", title="static", rationale="", path="app.py",
                        span=Span(body, 8, body, 22), patch=None, applicability=Applicability.DISPLAY_ONLY,
                        confidence=0.9, evidence={"severity": "warning"})
    never = next(i for i, ln in enumerate(lines, 1) if "return math.pi" in ln)
    cold = static.replace(fingerprint="e" * 40, span=Span(never, 4, never, 18))
    out = attach_evidence([static, cold], traces)
    ev = out[0].evidence["runtime"]
    assert out[0].evidence["severity"] == "warning"
    assert ev["functions"] == ["slow_square:5"] and ev["calls"] == 2000 and ev["calls_exact"]
    assert 0 < ev["time_share"] <= 1 and ev["tests"] == 1
    assert out[1].evidence["runtime"]["calls"] == 0 and out[1].evidence["runtime"]["executed"] is False


def test_suggestions_without_a_trace_are_empty(project: Path) -> None:
    traces = TraceStore(Store(project))
    assert runtime_suggestions(project, traces) == []
    s = Suggestion(fingerprint="a" * 40, code="KZ101", title="t", rationale="", path="x.py", span=Span(1, 0, 1, 1),
                   patch=None, applicability=Applicability.DISPLAY_ONLY, confidence=1.0)
    assert attach_evidence([s], traces) == [s]


@pytest.mark.parametrize(("body", "pure"), [
    ("def f(x):\n    return x + 1\n", True),
    ("def f(x):\n    global N\n    N = x\n    return x\n", False),
    ("def f(x):\n    x.append(1)\n    return x\n", False),
    ("def f(x):\n    x[0] = 1\n    return x\n", False),
    ("def f(x):\n    x.attr.y = 1\n", False),
    ("def f(x):\n    return random.random() + x\n", False),
    ("def f(x):\n    return time.time() + x\n", False),
    ("def f(x):\n    print(x)\n", False),
    ("def f(path):\n    return open(path).read()\n", False),
    ("def f(x):\n    yield x\n", False),
    ("def f(x, acc=[]):\n    return x\n", False),
    ("@dec\ndef f(x):\n    return x\n", False),
    ("class C:\n    def f(self, x):\n        return x\n", False),
    ("def f(x):\n    y = [x]\n    y.append(2)\n    return tuple(y)\n", True),
])
def test_purity(body: str, pure: bool) -> None:
    tree = parse("python", body.encode())
    fd = next(d for d in function_defs(tree) if d.name == "f")
    assert is_pure(fd)[0] is pure, is_pure(fd)


def test_qualnames_match_python() -> None:
    src = "def a():\n    def b():\n        pass\nclass C:\n    class D:\n        def m(self):\n            pass\n" \
          "if True:\n    def e():\n        pass\n"
    names = [d.qualname for d in function_defs(parse("python", src.encode()))]
    assert names == ["a", "a.<locals>.b", "C.D.m", "e"]
