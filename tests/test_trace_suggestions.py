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
from suggestions.analyze.runtime import attach_evidence, function_defs, is_pure, runtime_suggestions
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


    def never_called():
        return math.pi


    class Shape:
        def area(self, w, h):
            return w * h

        def unused_method(self):
            return 0
    ''')

TESTS = textwrap.dedent('''\
    from app import Shape, lookup, maybe, noisy, scale, slow_square


    def test_square():
        assert sum(slow_square(i % 5) for i in range(2000)) == 400 * 30


    def test_noisy():
        assert [noisy(i % 3) for i in range(200)][-1] == 2


    def test_lookup():
        d = {"a": 1}
        hits = [lookup(d, "a" if i % 4 == 0 else "b") for i in range(4000)]
        assert hits.count(1) == 1000


    def test_scale_and_shape():
        assert scale(1.5) == 3.0 and scale(2.5, 3) == 7.5
        assert Shape().area(2, 3) == 6 and Shape().area(4, 5) == 20
        assert maybe(True) == "yes" and maybe(False) is None
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
    scale = _by(suggestions, "KZ802", "scale")
    assert len(scale) == 1 and scale[0].patch is not None
    new = scale[0].patch.apply(data).decode()
    assert "def scale(x: float, factor: int = 2) -> float:" in new
    area = _by(suggestions, "KZ802", "Shape.area")
    assert area and area[0].patch is not None
    assert "def area(self, w: int, h: int) -> int:" in area[0].patch.apply(data).decode()
    maybe = _by(suggestions, "KZ802", "maybe")
    assert maybe and maybe[0].patch is not None
    assert "def maybe(flag: bool) -> str | None:" in maybe[0].patch.apply(data).decode()
    # lookup saw dict[str, int] and str but returned int or None: varied enough to stay quiet? no: uniform
    compile(new, "app.py", "exec")


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


def test_dead_code_is_advice_only(traced: tuple[Path, TraceStore, list[Suggestion]]) -> None:
    _, _, suggestions = traced
    dead = sorted(s.title for s in suggestions if s.code == "KZ804")
    assert dead == ["`Shape.unused_method` never ran during the test suite",
                    "`never_called` never ran during the test suite"]
    assert all(s.patch is None and s.applicability is Applicability.DISPLAY_ONLY
               for s in suggestions if s.code == "KZ804")
    assert not [s for s in suggestions if s.path.startswith("tests/")]


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
