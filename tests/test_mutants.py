"""Mutation adequacy: deterministic mutants of the original code, run in one real pytest process."""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from analysis.parsing import parse
from suggestions.validate.mutants import generate_mutants, mutation_score
from suggestions.validate.outcomes import ENV_DIR, PLUGIN_DIR, read_outcomes
from suggestions.validate.runner import RunResult, run_command
from tests.conftest import write

CALC = '''\
import functools


def clamp(x, lo, hi):
    """Keep x within [lo, hi]."""
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def projected_growth(n):
    print("growing", n + 1)
    return n * 1.1


class Account:
    def __init__(self, balance=0):
        self.balance = balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        self.balance += amount
        return self.balance


class Savings(Account):
    def deposit(self, amount):
        return super().deposit(amount * 1)


@functools.lru_cache(maxsize=None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


class Temperature:
    def __init__(self, celsius):
        self._c = celsius

    @property
    def celsius(self):
        return self._c

    @celsius.setter
    def celsius(self, value):
        if value < -273.15:
            raise ValueError("below absolute zero")
        self._c = value


def spin(n):
    i = 0
    while i < n:
        i += 1
    return i
'''

STRONG = '''\
import pytest
from calc import Account, Savings, Temperature, clamp, fib, spin


def test_clamp_inside():
    assert clamp(5, 0, 10) == 5


def test_clamp_edges():
    assert clamp(-1, 0, 10) == 0
    assert clamp(11, 0, 10) == 10
    assert clamp(0, 0, 10) == 0
    assert clamp(10, 0, 10) == 10


def test_deposit():
    a = Account(5)
    assert a.deposit(3) == 8
    assert a.balance == 8
    assert Account().deposit(1) == 1
    with pytest.raises(ValueError):
        a.deposit(0)


def test_savings():
    s = Savings(1)
    assert s.deposit(2) == 3
    assert s.balance == 3


def test_fib():
    assert fib(10) == 55
    assert fib(1) == 1


def test_temperature():
    t = Temperature(1)
    t.celsius = 5
    assert t.celsius == 5
    with pytest.raises(ValueError):
        t.celsius = -300


def test_temperature_read():
    assert Temperature(1).celsius == 1


def test_spin():
    assert spin(3) == 3
'''

WEAK = '''\
from calc import projected_growth


def test_growth():
    assert projected_growth(10) > 0
'''


def _lines(source: str, name: str) -> tuple[int, int]:
    """1-based first and last line of a top-level def or class."""
    for node in ast.parse(source).body:
        if getattr(node, "name", None) == name:
            start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            return start, node.end_lineno or node.lineno
    raise AssertionError(name)


class Runs:
    """``run`` for mutation_score: real pytest in the project, unconfined, with Kaizen's plugins."""

    def __init__(self, root: Path, extra: Sequence[str] = ()) -> None:
        self.root = root
        self.extra = list(extra)
        self.calls = 0
        self.outcomes: list[dict[str, str]] = []

    def __call__(self, tests: Sequence[str], extra_args: Sequence[str], extra_env: dict[str, str],
                 writable: Sequence[Path], timeout: float) -> RunResult:
        self.calls += 1
        io = self.root / f".io{self.calls}"
        io.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "KAIZEN_"))}
        env.update(extra_env)
        env[ENV_DIR] = str(io)
        env["PYTHONPATH"] = os.pathsep.join([str(PLUGIN_DIR), str(self.root)])
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "_kaizen_outcomes",
                *self.extra, *extra_args, *tests]
        res = run_command(argv, self.root, timeout, env=env, outcomes=io)
        self.outcomes.append(read_outcomes(io).tests)
        return res


@pytest.fixture
def calc(project: Path) -> Path:
    return write(project, {"calc.py": CALC, "test_strong.py": STRONG, "test_weak.py": WEAK})


def test_generation_is_deterministic_well_formed_and_spread() -> None:
    src = CALC.encode()
    ranges = [_lines(CALC, "clamp"), _lines(CALC, "Account")]
    first, note = generate_mutants(src, ranges, 8)
    again, _ = generate_mutants(src, ranges, 8)
    assert first == again and len(first) == 8
    assert note == ""
    assert len({m.kind for m in first}) >= 4  # spread over operator kinds
    assert len({m.line for m in first}) >= 5  # and over lines
    for m in first:
        new = m.apply(src)
        assert new != src
        assert not parse("python", new).root_node.has_error
        compile(new, "calc.py", "exec")
        assert m.description.startswith(f"line {m.line}: ")
        assert m.qualname in ("clamp", "Account.__init__", "Account.deposit")


def test_equivalent_looking_mutants_are_skipped() -> None:
    src = CALC.encode()
    everything, _ = generate_mutants(src, [(1, CALC.count("\n"))], 1000)
    descriptions = [m.description for m in everything]
    doc_line = CALC.splitlines().index('    """Keep x within [lo, hi]."""') + 1
    print_line = CALC.splitlines().index('    print("growing", n + 1)') + 1
    assert not any(m.line in (doc_line, print_line) for m in everything)  # no docstring, no print() argument
    assert not any("`return None` → `return None`" in d for d in descriptions)
    default_line = CALC.splitlines().index("    def __init__(self, balance=0):") + 1
    assert not any(m.line == default_line for m in everything)  # defaults live in __defaults__, not the code
    assert not any("`*` → `/`" in d for d in descriptions if "amount * 1" in CALC.splitlines()[int(d.split()[1][:-1]) - 1])
    # module-level code is not mutated (it cannot be swapped in a running process)
    assert all(m.qualname for m in everything)
    # the same edit is never offered twice
    assert len({(m.start, m.end, m.replacement) for m in everything}) == len(everything)


def test_strong_tests_kill_most_mutants_in_one_process(calc: Path, tmp_path: Path) -> None:
    runs = Runs(calc)
    ranges = [_lines(CALC, n) for n in ("clamp", "Account", "Savings", "fib")]
    res = mutation_score(calc, "calc.py", CALC.encode(), ranges, ["test_strong.py"], runs, limit=8, budget_s=60,
                         work_dir=tmp_path, cache_dir=tmp_path / "cache")
    assert runs.calls == 1  # every mutant in the same pytest process
    assert res.total == 8, res.note
    assert res.killed >= 6, res.survivors
    assert not res.cached
    # The mutant runs do not leak into the session's reported outcomes: all passed, as on clean code.
    assert set(runs.outcomes[0].values()) == {"passed"}
    again = mutation_score(calc, "calc.py", CALC.encode(), ranges, ["test_strong.py"], runs, limit=8, budget_s=60,
                           work_dir=tmp_path, cache_dir=tmp_path / "cache")
    assert again.cached and runs.calls == 1
    assert (again.total, again.killed, again.survivors) == (res.total, res.killed, res.survivors)
    # Another test file content is another key: the cache does not answer for it.
    (calc / "test_strong.py").write_text(STRONG + "\n\ndef test_more():\n    assert clamp(1, 0, 2) == 1\n")
    third = mutation_score(calc, "calc.py", CALC.encode(), ranges, ["test_strong.py"], runs, limit=8, budget_s=60,
                           work_dir=tmp_path, cache_dir=tmp_path / "cache")
    assert not third.cached and runs.calls == 2


def test_weak_assertion_leaves_survivors(calc: Path, tmp_path: Path) -> None:
    runs = Runs(calc)
    res = mutation_score(calc, "calc.py", CALC.encode(), [_lines(CALC, "projected_growth")], ["test_weak.py"], runs,
                         limit=8, budget_s=60, work_dir=tmp_path, cache_dir=None)
    assert res.total >= 2, res.note
    assert res.survivors, res
    assert any("`*` → `/`" in s for s in res.survivors)  # 10 / 1.1 > 0 as well


def test_a_property_setter_is_swapped_not_its_getter(calc: Path, tmp_path: Path) -> None:
    lines = CALC.splitlines()
    setter = lines.index("    @celsius.setter") + 1
    ranges = [(setter, setter + 4)]
    mutants, _ = generate_mutants(CALC.encode(), ranges, 8)
    assert mutants and all(m.qualname == "Temperature.celsius" and m.lines == (setter, setter + 1) for m in mutants)
    runs = Runs(calc)
    res = mutation_score(calc, "calc.py", CALC.encode(), ranges, ["test_strong.py::test_temperature"], runs,
                         limit=8, budget_s=60, work_dir=tmp_path)
    assert res.total == len(mutants) and "not run" not in res.note, res
    assert res.killed == res.total, res.survivors
    # A test that only reads: the setter's mutants survive it. Had the getter's code been
    # swapped for the mutated setter, reading would fail and "kill" them all.
    res = mutation_score(calc, "calc.py", CALC.encode(), ranges, ["test_strong.py::test_temperature_read"], runs,
                         limit=8, budget_s=60, work_dir=tmp_path)
    assert res.total == len(mutants) and res.killed == 0, res


def test_infinite_loop_mutant_is_killed_by_its_time_limit(calc: Path, tmp_path: Path) -> None:
    runs = Runs(calc)
    res = mutation_score(calc, "calc.py", CALC.encode(), [_lines(CALC, "spin")], ["test_strong.py::test_spin"],
                         runs, limit=8, budget_s=60, work_dir=tmp_path)
    assert res.timed_out >= 1, res  # `i += 1` -> `i -= 1` or deleted: never ends
    assert res.killed >= res.timed_out
    assert set(runs.outcomes[0].values()) == {"passed"}


@pytest.mark.slow
def test_time_limit_holds_under_pytest_timeout_and_xdist_runs_one_process(calc: Path, tmp_path: Path) -> None:
    pytest.importorskip("pytest_timeout")
    pytest.importorskip("xdist")
    # pytest-timeout's signal method re-arms and cancels SIGALRM around every test: the
    # mutant's own limit is a CPU-time timer it does not touch.
    write(calc, {"pytest.ini": "[pytest]\ntimeout = 120\ntimeout_method = signal\n"})
    runs = Runs(calc, ["-n", "2"])  # and xdist: the mutants still run in one process
    res = mutation_score(calc, "calc.py", CALC.encode(), [_lines(CALC, "spin")], ["test_strong.py"],
                         runs, limit=8, budget_s=100, work_dir=tmp_path)
    assert res.total == 8 and res.timed_out >= 1, res
    assert "not run" not in res.note
    assert set(runs.outcomes[0].values()) == {"passed"}


def test_no_covering_test_and_no_mutant_say_so(calc: Path, tmp_path: Path) -> None:
    runs = Runs(calc)
    none = mutation_score(calc, "calc.py", CALC.encode(), [_lines(CALC, "clamp")], [], runs, work_dir=tmp_path)
    assert none.total == 0 and "no test" in none.note and runs.calls == 0
    module = mutation_score(calc, "calc.py", CALC.encode(), [(1, 1)], ["test_strong.py"], runs, work_dir=tmp_path)
    assert module.total == 0 and runs.calls == 0 and module.note


def test_failing_baseline_judges_nothing(calc: Path, tmp_path: Path) -> None:
    write(calc, {"test_bad.py": "from calc import clamp\n\ndef test_bad():\n    assert clamp(1, 0, 2) == 2\n"})
    res = mutation_score(calc, "calc.py", CALC.encode(), [_lines(CALC, "clamp")], ["test_bad.py"], Runs(calc),
                         work_dir=tmp_path)
    assert res.total == 0 and "do not pass on the original" in res.note


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bisect", "heapq", "textwrap", "fnmatch", "shlex", "colorsys"])
def test_every_mutant_of_stdlib_modules_parses(name: str) -> None:
    path = Path(__import__(name).__file__ or "")
    src = path.read_bytes()
    n = src.count(b"\n") + 1
    everything, _ = generate_mutants(src, [(1, n)], 10_000)
    assert len(everything) > 20
    for m in everything:
        new = m.apply(src)
        assert new != src
        compile(new, str(path), "exec")
        compile(m.unit_source(src), str(path), "exec")
    assert generate_mutants(src, [(1, n)], 8) == generate_mutants(src, [(1, n)], 8)
