"""Python 3.11's collector: project modules compiled with probes (no sys.settrace).

Scripts run as ``python script.py`` are re-executed through ``_kaizen_main`` and instrumented
too (tests/test_trace.py runs them); here the same programs run as ``python -m module`` and under
pytest, and the figures must be the same. Behaviour must not change: output, tracebacks, docstrings,
``__file__``, ``super()``, ``locals()``, generators and context managers that swallow errors.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path
from typing import Any

import pytest

from analysis.tracing import TraceResult, collector_env, instrument_cache, merge_dir, run_traced
from tests.conftest import write
from tests.test_trace import (
    CHILD,
    COV,
    PROCS,
    RAISES,
    THREADS,
    _check_raises,
    _fn,
    _line_of,
    _store,
)

PY = sys.executable
pytestmark = pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="3.11 instruments; 3.12+ uses sys.monitoring")


def test_raise_and_catch_counts_as_module(project: Path) -> None:
    write(project, {"raises.py": RAISES})
    result = run_traced(project, [PY, "-m", "raises"], timeout=60)
    assert result.mode == "instrument"
    _check_raises(result)
    assert _fn(result, "lookup").callers == {"raises.py:main:25": 3000}  # type: ignore[attr-defined]
    assert _fn(result, "fib").callers == {"raises.py:main:25": 1, "raises.py:fib:21": 464}  # type: ignore[attr-defined]


def test_threads_as_module(project: Path) -> None:
    write(project, {"threads.py": THREADS})
    result = run_traced(project, [PY, "-m", "threads"], timeout=60)
    assert result.mode == "instrument" and result.exit_code == 0
    work = _fn(result, "work")
    assert work.calls == 1000 and _fn(result, "worker").calls == 4  # type: ignore[attr-defined]
    assert work.arg_types == {"n": {"int": work.sampled}} and work.return_types == {"int": work.sampled}  # type: ignore[attr-defined]
    assert work.callers == {"threads.py:worker:11": 1000}  # type: ignore[attr-defined]
    assert 0 < work.own <= work.total  # type: ignore[attr-defined]


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_subprocess_and_pool_as_module(project: Path, method: str) -> None:
    write(project, {"procs.py": PROCS, "child.py": CHILD})
    result = run_traced(project, [PY, "-m", "procs", method], stdout=subprocess.PIPE, timeout=120)
    assert result.exit_code == 0
    assert _fn(result, "square").calls == 20  # type: ignore[attr-defined]
    assert _fn(result, "shout").calls == 1  # type: ignore[attr-defined]  # child.py: a script
    assert _fn(result, "main").calls == 1  # type: ignore[attr-defined]
    modes = {p["mode"] for p in result.processes}
    assert modes == {"instrument"} and len(result.processes) >= 3  # no settrace anywhere


def test_per_test_lines_as_module(project: Path) -> None:
    write(project, {"cov.py": COV})
    cov = run_traced(project, [PY, "-m", "cov"], timeout=60)
    assert cov.mode == "instrument"
    assert cov.coverage["t1"]["cov.py"] == {5, 9, 10, 15, 16}
    assert cov.coverage["t2"]["cov.py"] == {9, 10, 11, 17, 18}
    assert {1, 4, 8, 14} <= cov.coverage[""]["cov.py"]


BEHAVIOUR = textwrap.dedent('''\
    """Module doc."""
    import contextlib
    import inspect
    import sys
    import traceback


    class Base:
        def name(self):
            return "base"


    class Child(Base):
        """Child doc."""

        def name(self):
            """Method doc."""
            return "child+" + super().name()


    def only_doc():
        """Nothing else."""


    def local_names(a, b=2):
        c = a + b
        return sorted(locals())


    def gen(n):
        try:
            for i in range(n):
                yield i
        finally:
            print("gen closed")


    def swallow():
        with contextlib.suppress(KeyError):
            {}["missing"]
        return "swallowed"


    def deep(n):
        if n == 0:
            raise ValueError("bottom")
        return deep(n - 1)


    def main():
        print(__doc__, Child.__doc__, Child.name.__doc__, only_doc.__doc__, only_doc())
        print(Child().name(), local_names(1))
        g = gen(5)
        print(next(g), next(g))
        g.close()
        print(swallow(), (lambda x: x * 3)(4))
        print(inspect.getsource(only_doc).strip().splitlines()[0], __file__.endswith("behave.py"))
        print(main.__code__.co_firstlineno, sys._getframe().f_lineno)
        try:
            deep(3)
        except ValueError:
            traceback.print_exc(file=sys.stdout)
        deep(2)


    if __name__ == "__main__":
        main()
    ''')


def test_behaviour_and_tracebacks_unchanged(project: Path) -> None:
    write(project, {"behave.py": BEHAVIOUR})
    plain = subprocess.run([PY, "-m", "behave"], cwd=project, capture_output=True)
    result = run_traced(project, [PY, "-m", "behave"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert result.mode == "instrument" and result.exit_code == plain.returncode == 1
    out = subprocess.run([PY, str(Path(__file__).resolve().parent.parent / "main.py"), "trace", str(project), "-q",
                          "--", PY, "-m", "behave"], cwd=project, capture_output=True)
    assert out.returncode == 1
    assert out.stdout == plain.stdout and out.stderr == plain.stderr
    assert b"Module doc. Child doc. Method doc. Nothing else. None" in plain.stdout
    assert b"['a', 'b', 'c']" in plain.stdout and b'behave.py", line 46, in deep' in plain.stderr
    assert _fn(result, "deep").calls == 4 + 3  # type: ignore[attr-defined]
    assert _fn(result, "gen").calls == 1 and _fn(result, "only_doc").calls == 1  # type: ignore[attr-defined]
    by_type = {e.type: e for e in result.exceptions}
    assert set(by_type) == {"KeyError", "ValueError"}
    assert (by_type["KeyError"].function, by_type["KeyError"].raised) == ("swallow", 1)
    assert (by_type["ValueError"].line, by_type["ValueError"].raised, by_type["ValueError"].caught) == (46, 2, 1)
    assert result.uncaught and result.uncaught[0]["type"] == "ValueError"


SUITE = {
    "pkg/__init__.py": "",
    "pkg/mod.py": textwrap.dedent("""\
        class Box:
            def __init__(self, v):
                self.v = v

            def get(self):
                try:
                    return self.v["k"]
                except (KeyError, TypeError):
                    return None


        def make(v):
            return Box(v).get()
        """),
    "tests/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef value():\n    yield {'k': 1}\n",
    "tests/test_mod.py": textwrap.dedent("""\
        from pkg.mod import make


        def test_hit(value):
            assert make(value) == 1


        def test_miss():
            assert make({}) is None
            assert make(3) is None
        """),
    "pyproject.toml": "[tool.pytest.ini_options]\npythonpath = ['.']\n",
}


@pytest.mark.slow
def test_pytest_suite_instrumented_and_pyc_cache_untouched(project: Path) -> None:
    write(project, SUITE)
    # A plain run first writes pytest's rewritten pyc: the traced run must not use it ...
    plain = subprocess.run([PY, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, capture_output=True)
    assert plain.returncode == 0
    result = run_traced(project, [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider"], stdout=subprocess.PIPE,
                        timeout=120)
    assert result.mode == "instrument" and result.exit_code == 0
    assert _fn(result, "test_hit").calls == 1 and _fn(result, "value").calls == 1  # type: ignore[attr-defined]
    get = _fn(result, "Box.get")
    assert get.calls == 3 and get.callers == {"pkg/mod.py:make:12": 3}  # type: ignore[attr-defined]
    assert _fn(result, "make").callers == {"tests/test_mod.py:test_hit:4": 1, "tests/test_mod.py:test_miss:8": 2}  # type: ignore[attr-defined]
    excs = {e.type: e for e in result.exceptions}
    assert (excs["KeyError"].raised, excs["KeyError"].caught, excs["KeyError"].line) == (1, 1, 7)
    assert (excs["TypeError"].raised, excs["TypeError"].caught) == (1, 1)
    traces = _store(project, result)
    miss = _line_of(project / "pkg/mod.py", "return None")
    assert traces.tests_covering("pkg/mod.py", miss, miss) == {"tests/test_mod.py::test_miss"}
    hit = _line_of(project / "tests/test_mod.py", "assert make(value) == 1")
    assert traces.tests_covering("tests/test_mod.py", hit, hit) == {"tests/test_mod.py::test_hit"}
    fixture = _line_of(project / "tests/conftest.py", "yield {'k': 1}")
    assert traces.tests_covering("tests/conftest.py", fixture, fixture) == {"tests/test_mod.py::test_hit"}
    # ... and leaves no instrumented code behind for the next plain run.
    for pyc in project.rglob("*.pyc"):
        assert b"_kaizen_" not in pyc.read_bytes(), pyc
    again = subprocess.run([PY, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, capture_output=True)
    assert again.returncode == 0, again.stdout


def test_settrace_can_still_be_chosen(project: Path) -> None:
    write(project, {"raises.py": RAISES})
    result = run_traced(project, [PY, "-m", "raises"], timeout=60, mode="settrace")
    assert result.mode == "settrace"
    _check_raises(result)


def test_timeout_kill_keeps_running_frames_as_module(project: Path) -> None:
    write(project, {"loop.py": textwrap.dedent("""\
        import time


        def tick(i):
            return i + 1


        def main():
            start = time.perf_counter()
            i = 0
            while True:
                i = tick(i)
                if i % 100 == 0:
                    time.sleep(0.01)
                if i == 500:  # main() has run this long so far
                    with open("ready", "w") as fh:
                        fh.write(repr(time.perf_counter() - start))


        main()
        """)})
    # A generous timeout, for a slow start on a loaded machine; the checks do not depend on it.
    result = run_traced(project, [PY, "-m", "loop"], timeout=4.0)
    assert result.status == "timeout" and result.mode == "instrument"
    assert (project / "ready").exists(), "main() did not make 500 calls within the timeout"
    assert _fn(result, "tick").calls >= 500  # type: ignore[attr-defined]
    assert _fn(result, "main").total >= float((project / "ready").read_text())  # type: ignore[attr-defined]


def _figures(result: object) -> tuple[object, ...]:
    r: Any = result
    return (sorted((f.key, f.calls, sorted(f.callers.items())) for f in r.functions),
            sorted((e.type, e.path, e.line, e.raised, e.caught) for e in r.exceptions),
            sorted((t, sorted((f, sorted(ls)) for f, ls in c.items())) for t, c in r.coverage.items()))


@pytest.mark.slow
def test_instrumented_code_cache_is_reused_then_invalidated_by_an_edit(project: Path) -> None:
    write(project, SUITE)
    cmd = [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    first = run_traced(project, cmd, stdout=subprocess.PIPE, timeout=120)
    cache = instrument_cache(project)
    entries = {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()}
    assert len(entries) == 4  # pkg/__init__.py, pkg/mod.py, tests/conftest.py, tests/test_mod.py
    second = run_traced(project, cmd, stdout=subprocess.PIPE, timeout=120)
    assert second.errors == [] and _figures(second) == _figures(first)
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()} == entries  # nothing compiled again
    mod = project / "pkg/mod.py"
    mod.write_text("# moved down a line\n" + mod.read_text())
    third = run_traced(project, cmd, stdout=subprocess.PIPE, timeout=120)
    assert _fn(third, "make").line == _fn(first, "make").line + 1  # type: ignore[attr-defined]
    miss = _line_of(mod, "return None")
    assert _store(project, third).tests_covering("pkg/mod.py", miss, miss) == {"tests/test_mod.py::test_miss"}
    after = {p for p in cache.rglob("*") if p.is_file()}
    assert len(after - set(entries)) == 1


SYNTAX = textwrap.dedent('''\
    """Corners of the language, printed; the traced run must print the same."""
    from __future__ import annotations

    import asyncio
    import contextlib
    import functools

    counter = 0


    def bump():
        global counter
        counter += 1
        return counter


    def outer():
        x = 0

        def inner():
            nonlocal x
            x += 1
            return x

        inner()
        return inner() + (lambda y=3: y * 2)()


    class Base:
        __slots__ = ("v",)

        def __init__(self, v: int) -> None:
            self.v = v


    @functools.total_ordering
    class Kid(Base):
        __slots__ = ()

        def __eq__(self, other):
            return self.v == other.v

        def __lt__(self, other):
            return self.v < other.v

        def show(self):
            return f"{type(self).__name__}({super().__init__.__qualname__}, {__class__.__name__})"


    def finally_wins():
        try:
            return "try"
        finally:
            return "finally"


    def delegating():
        yield from range(2)
        return "done"


    async def agen():
        for i in range(3):
            yield i
            await asyncio.sleep(0)


    async def amain():
        return [i async for i in agen()]


    def matcher(v):
        match v:
            case {"k": int(n)} if n > 1:
                return f"big {n}"
            case [a, *rest]:
                return f"seq {a} {len(rest)}"
            case _:
                return "other"


    def groups():
        try:
            raise ExceptionGroup("g", [ValueError(1), KeyError(2)])
        except* ValueError as eg:
            out = [type(e).__name__ for e in eg.exceptions]
        except* KeyError:
            out.append("key")
        return out


    def walrus(data):
        return [y for x in data if (y := x * 2) > 2], locals().keys()


    def main():
        print(bump(), bump(), counter, outer())
        print(Kid(1) <= Kid(2), Kid(3).show(), Kid.__lt__.__annotations__, Base.__init__.__annotations__)
        print(finally_wins(), list(delegating()), asyncio.run(amain()))
        print(matcher({"k": 5}), matcher([1, 2, 3]), matcher(None), groups())
        print(walrus([1, 2, 3]))
        with contextlib.suppress(ZeroDivisionError):
            print(1 / 0)
        g = delegating()
        next(g)
        g.close()
        print(__doc__.split(",")[0], main.__doc__, __annotations__ if "__annotations__" in dir() else {})


    main()
    ''')


def test_language_corners_behave_the_same(project: Path) -> None:
    write(project, {"corners.py": SYNTAX})
    plain = subprocess.run([PY, "-m", "corners"], cwd=project, capture_output=True, text=True)
    assert plain.returncode == 0, plain.stderr
    result = run_traced(project, [PY, "-m", "corners"], stdout=subprocess.PIPE, timeout=60)
    assert result.mode == "instrument" and result.errors == []
    traced = subprocess.run([PY, str(Path(__file__).resolve().parent.parent / "main.py"), "trace", str(project), "-q",
                             "--", PY, "-m", "corners"], cwd=project, capture_output=True, text=True)
    assert traced.returncode == 0 and traced.stdout == plain.stdout and traced.stderr == plain.stderr
    assert _fn(result, "bump").calls == 2 and _fn(result, "outer.<locals>.inner").calls == 2  # type: ignore[attr-defined]
    assert _fn(result, "Kid.show").calls == 1 and _fn(result, "finally_wins").calls == 1  # type: ignore[attr-defined]
    assert _fn(result, "agen").calls == 1 and _fn(result, "matcher").calls == 3  # type: ignore[attr-defined]
    by_type = {e.type: e for e in result.exceptions}
    assert by_type["ZeroDivisionError"].raised == 1 and by_type["ExceptionGroup"].function == "groups"


@pytest.mark.slow
def test_prefiltered_scan_finds_every_generator_and_lambda() -> None:
    """The transform's walk skips lines without ``yield``/``lambda``: it must find the same nodes."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "analysis" / "collector"))
    try:
        import _kaizen_instrument as ki
    finally:
        sys.path.pop(0)
    tricky = textwrap.dedent('''\
        @decorate(key=lambda x: x)
        def f():
            """yield in a docstring"""
            return 1

        def g(
            a,
        ):
            x = [(
                yield a)]

        class C:
            h = staticmethod(lambda: (yield))
        ''').encode()
    stdlib = sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))
    sources = [tricky] + [p.read_bytes() for p in stdlib[::4]]
    for data in sources:
        tree = ast.parse(data)
        gens, lambdas = ki._scan(tree)
        assert ki._scan(tree, data) == (gens, lambdas)
    gens, lambdas = ki._scan(ast.parse(tricky), tricky)
    assert len(gens) == 2 and len(lambdas) == 2  # g, and the lambda that yields


SCRIPT = textwrap.dedent("""\
    \"\"\"A script's docstring.\"\"\"
    import sys
    import __main__

    def fail(kind):
        if kind == "value":
            raise ValueError("bad " + kind)
        if kind == "interrupt":
            raise KeyboardInterrupt
        if kind == "exit":
            sys.exit(3)

    print(sys.argv, sys.orig_argv, sys.path[0], __file__, __doc__, __name__, __spec__, __package__)
    print(type(__main__.__loader__).__name__, sorted(vars(__main__)), sys.flags.dev_mode)
    fail(sys.argv[1])
    print("done")
    """)


@pytest.mark.parametrize("kind", ["ok", "value", "interrupt", "exit", "syntax"])
def test_a_script_runs_instrumented_and_behaves_the_same(project: Path, tmp_path: Path, kind: str) -> None:
    """``python script.py`` is re-executed through _kaizen_main: same output, tracebacks, exit."""
    (project / "bin").mkdir()
    write(project, {"bin/tool.py": SCRIPT if kind != "syntax" else SCRIPT + "def (:\n"})
    cmd = [PY, "-X", "dev", "bin/tool.py", kind]
    plain = subprocess.run(cmd, cwd=project, capture_output=True, timeout=60)
    outdir = tmp_path / "trace"
    outdir.mkdir()
    traced = subprocess.run(cmd, cwd=project, capture_output=True, timeout=60, env=collector_env(project, outdir))
    assert (traced.returncode, traced.stdout, traced.stderr) == (plain.returncode, plain.stdout, plain.stderr)
    result = merge_dir(outdir, TraceResult(command=cmd, started=0.0, duration=0.0, exit_code=0, status="ok"))
    if kind == "syntax":
        assert b"SyntaxError" in plain.stderr and not result.functions
        return
    assert result.mode == "instrument" and {p["mode"] for p in result.processes} == {"instrument"}
    assert _fn(result, "fail").calls == 1  # type: ignore[attr-defined]
    if kind in ("value", "interrupt"):
        assert [u["type"] for u in result.uncaught] == ["ValueError" if kind == "value" else "KeyboardInterrupt"]
        assert "_kaizen" not in result.uncaught[0]["traceback"]
