"""Differential replay: real argument values recorded by the real collector, replayed on the old
and the new code in a real subprocess."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from analysis.trace_store import TraceStore
from analysis.tracing import run_traced
from suggestions.store import Store
from suggestions.validate.outcomes import PLUGIN_DIR
from suggestions.validate.replay import changed_functions, module_name, replay_change
from suggestions.validate.runner import RunResult, run_command
from tests.conftest import write

PY = sys.executable
INTERPRETERS = [p for p in (PY, str(Path(__file__).resolve().parent.parent / "bench/.cache/venv-3.12/bin/python"))
                if Path(p).exists() and subprocess.run([p, "-c", "import pytest"], capture_output=True).returncode == 0]

CALC = '''\
import threading


class Account:
    def __init__(self, balance):
        self.balance = balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        self.balance += amount
        return self.balance


def projected_growth(n, rate=1.1):
    return n * rate


def normalize(items):
    items.sort()
    return len(items)


def parse_age(text):
    return int(text)


def spin(n):
    return n


def check_password(user, pw):
    return pw == "hunter2"


def sign_request(body, api_key):
    return len(body)


def pick(items, key=None):
    return sorted(items, key=key)[0]


def size(data):
    return len(data)


def locked(lock):
    return lock.locked()


def ident(value):
    return value


def tally(counts):
    return sum(counts.values())


def doubled(n):
    return map(lambda i: i * 2, range(n))
'''

VAULT = '''\
def store(item):
    return item
'''

TESTS = '''\
import threading
from calc import *
from vault.box import store


def test_calls():
    a = Account(10)
    for amount in (1, 2, 3):
        a.deposit(amount)
    for n in (10, 20, 30):
        assert projected_growth(n) > 0
    assert normalize([3, 1, 2]) == 3
    assert parse_age("41") == 41
    assert spin(3) == 3
    assert check_password("u", "nope") is False
    assert sign_request("body", "k-123") == 4
    assert size(list(range(5000))) == 5000
    assert size([1, 2]) == 2
    assert locked(threading.Lock()) is False
    assert ident("ghp_" + "a" * 36)
    assert ident("plain") == "plain"
    assert store(5) == 5
    assert tally({f"word{i}": i for i in range(40)}) == 780
    assert pick([3, 1]) == 1
    assert list(doubled(4)) == [0, 2, 4, 6]
'''


def _trace(root: Path, python: str = PY, **options: object) -> TraceStore:
    result = run_traced(root, [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], timeout=120,
                        stdout=subprocess.DEVNULL, **options)  # type: ignore[arg-type]
    assert result.status == "ok", result.errors
    traces = TraceStore(Store(root))
    traces.add(result)
    return traces


def _calls(traces: TraceStore, name: str) -> list[tuple[tuple[object, ...], dict[str, object]]]:
    """The recorded calls, unpickled (instances of the project's classes: its calc module, for now)."""
    sys.path.insert(0, str(traces.store.root))
    try:
        return [pickle.loads(c) for c in traces.call_samples("calc.py", name)]
    finally:
        sys.path.remove(str(traces.store.root))
        sys.modules.pop("calc", None)


class Python:
    """``run`` for replay_change: the interpreter in the project, unconfined, Kaizen's plugins importable."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __call__(self, argv: Sequence[str], env: dict[str, str], writable: Sequence[Path], timeout: float) -> RunResult:
        full = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "KAIZEN_"))}
        full.update(env)
        full["PYTHONPATH"] = os.pathsep.join([str(PLUGIN_DIR), str(self.root)])
        return run_command([PY, *argv], self.root, timeout, env=full)


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TraceStore]:
    """One traced project for the replay tests (replay changes nothing in it)."""
    project = tmp_path_factory.mktemp("replay") / "proj"
    write(project, {"calc.py": CALC, "vault/__init__.py": "", "vault/box.py": VAULT, "test_calc.py": TESTS})
    return project, _trace(project, no_values=["vault/*"])


@pytest.mark.parametrize("python", [pytest.param(p, marks=[pytest.mark.slow] if p != PY else [])
                                    for p in INTERPRETERS])
def test_trace_records_small_picklable_values_and_no_secrets(project: Path, python: str) -> None:
    write(project, {"calc.py": CALC, "vault/__init__.py": "", "vault/box.py": VAULT, "test_calc.py": TESTS})
    traces = _trace(project, python, no_values=["vault/*"])
    # Defaults are values of the call (the frame holds them): recorded as passed.
    assert sorted(_calls(traces, "projected_growth")) == [((10, 1.1), {}), ((20, 1.1), {}), ((30, 1.1), {})]
    deposits = _calls(traces, "Account.deposit")
    assert [args[1:] for args, _ in deposits] == [(1,), (2,), (3,)]
    assert [args[0].balance for args, _ in deposits] == [10, 11, 13]  # the recorded self, as it was then
    assert _calls(traces, "normalize") == [(([3, 1, 2],), {})]  # before the call sorted it
    assert _calls(traces, "check_password") == []  # a secret-looking name
    assert _calls(traces, "sign_request") == []  # a secret-looking parameter
    assert _calls(traces, "pick") == [(([3, 1], None), {})]  # a sort key is not a secret
    assert _calls(traces, "ident") == [(("plain",), {})]  # a token-shaped value is never kept
    assert _calls(traces, "size") == [(([1, 2],), {})]  # too big to keep
    assert _calls(traces, "locked") == []  # a lock does not pickle
    assert traces.call_samples("vault/box.py", "store") == []  # trace.no-values
    assert traces.call_samples("test_calc.py", "test_calls") == []  # tests are not replayed
    for data in (c for n in ("projected_growth", "Account.deposit") for c in traces.call_samples("calc.py", n)):
        assert len(data) <= 2048


@pytest.mark.slow
def test_value_samples_zero_records_none_and_the_cap_holds(project: Path) -> None:
    write(project, {"calc.py": CALC, "vault/__init__.py": "", "vault/box.py": VAULT, "test_calc.py": TESTS})
    assert _calls(_trace(project, value_samples=0), "projected_growth") == []
    assert len(_calls(_trace(project, value_samples=2), "projected_growth")) == 2
    assert len(_calls(_trace(project), "tally")) == 1
    assert _calls(_trace(project, value_max_bytes=128), "tally") == []  # its pickle is ~400 bytes


def test_changed_functions_and_module_names() -> None:
    src = CALC.encode()
    deposit = CALC.splitlines().index("    def deposit(self, amount):") + 1
    assert changed_functions(src, [(deposit + 2, deposit + 2)]) == ["Account.deposit"]
    assert changed_functions(src, [(1, 1)]) == []
    prop = b"class T:\n    @property\n    def c(self):\n        return 1\n\n    @c.setter\n    def c(self, v):\n        pass\n"
    assert changed_functions(prop, [(7, 8)]) == []  # getter and setter share the name: not told apart
    assert module_name("src/pkg/calc.py") == "pkg.calc"
    assert module_name("pkg/__init__.py") == "pkg"


def _replay(root: Path, traces: TraceStore, new: str, names: Sequence[str], tmp: Path, timeout: float = 60):
    lines = CALC.splitlines()
    ranges = []
    for name in names:
        start = next(i for i, ln in enumerate(lines, 1) if ln.lstrip().startswith(f"def {name}("))
        ranges.append((start, start + 1))
    return replay_change(root, "calc.py", CALC.encode(), new.encode(), ranges, traces, Python(root),
                         timeout=timeout, work_dir=tmp)


def test_equivalent_refactor_replays_without_mismatch(traced: tuple[Path, TraceStore], tmp_path: Path) -> None:
    root, traces = traced
    new = CALC.replace("    return n * rate", "    result = rate * n\n    return result").replace(
        "        self.balance += amount\n        return self.balance",
        "        self.balance = self.balance + amount\n        return self.balance")
    res = _replay(root, traces, new, ["projected_growth", "deposit"], tmp_path)
    assert (res.replayed, res.mismatches) == (6, 0), res
    assert res.first_mismatch == ""


def test_behaviour_change_names_the_input(traced: tuple[Path, TraceStore], tmp_path: Path) -> None:
    root, traces = traced
    new = CALC.replace("    return n * rate", "    return n * rate * rate")
    res = _replay(root, traces, new, ["projected_growth"], tmp_path)
    assert res.replayed == 3 and res.mismatches == 3
    assert res.first_mismatch.startswith("projected_growth(")
    assert "before and" in res.first_mismatch and "after" in res.first_mismatch
    n = int(res.first_mismatch.split("(", 1)[1].split(",", 1)[0])
    assert f"returned {n * 1.1!r} before and returned {n * 1.1 * 1.1!r} after" in res.first_mismatch


def test_argument_mutation_difference_is_detected(traced: tuple[Path, TraceStore], tmp_path: Path) -> None:
    root, traces = traced
    new = CALC.replace("    items.sort()\n    return len(items)", "    return len(sorted(items))")
    res = _replay(root, traces, new, ["normalize"], tmp_path)
    assert (res.replayed, res.mismatches) == (1, 1), res
    assert "arguments" in res.first_mismatch
    # A method that stops updating its object: same return value on the first call, different self.
    new = CALC.replace("        self.balance += amount\n        return self.balance",
                       "        return self.balance + amount")
    res = _replay(root, traces, new, ["deposit"], tmp_path)
    assert res.mismatches == 3 and "Account.deposit(" in res.first_mismatch


def test_exception_type_difference_is_detected(traced: tuple[Path, TraceStore], tmp_path: Path) -> None:
    root, traces = traced
    new = CALC.replace("    return int(text)", "    raise TypeError(text)")
    res = _replay(root, traces, new, ["parse_age"], tmp_path)
    assert (res.replayed, res.mismatches) == (1, 1)
    assert res.first_mismatch == "parse_age('41') returned 41 before and raised TypeError (41) after"


def test_hanging_new_version_times_out_cleanly(traced: tuple[Path, TraceStore], tmp_path: Path) -> None:
    root, traces = traced
    new = CALC.replace("def spin(n):\n    return n", "def spin(n):\n    while True:\n        n += 1")
    res = _replay(root, traces, new, ["spin"], tmp_path)
    assert (res.replayed, res.mismatches) == (1, 1), res
    assert "spin(3) returned 3 before and did not finish within" in res.first_mismatch


def test_returned_iterators_are_compared_by_their_items(traced: tuple[Path, TraceStore], tmp_path: Path) -> None:
    root, traces = traced
    same = CALC.replace("    return map(lambda i: i * 2, range(n))", "    return (i + i for i in range(n))")
    res = _replay(root, traces, same, ["doubled"], tmp_path)
    assert (res.replayed, res.mismatches) == (1, 0), res
    other = CALC.replace("    return map(lambda i: i * 2, range(n))", "    return map(lambda i: i * 2, range(n + 1))")
    res = _replay(root, traces, other, ["doubled"], tmp_path)
    assert (res.replayed, res.mismatches) == (1, 1), res
    assert res.first_mismatch == "doubled(4) returned [0, 2, 4, 6] before and returned [0, 2, 4, 6, 8] after"


def test_no_recorded_calls_and_a_broken_module_say_so(traced: tuple[Path, TraceStore], tmp_path: Path) -> None:
    root, traces = traced
    res = _replay(root, traces, CALC, ["check_password"], tmp_path)
    assert res.replayed == 0 and "no recorded calls" in res.note
    res = _replay(root, traces, CALC + "\nraise RuntimeError('boom at import')\n", ["spin"], tmp_path)
    assert res.replayed == 0 and "cannot load the module" in res.note and "RuntimeError" in res.note


def test_secret_words_are_whole_words_and_camel_case_humps() -> None:
    import importlib.util

    from analysis.collector import COLLECTOR_DIR

    spec = importlib.util.spec_from_file_location("_kz_collector_words", COLLECTOR_DIR / "_kaizen_collector.py")
    assert spec is not None and spec.loader is not None
    kc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kc)  # not installed: nothing is traced
    assert kc._words("getAuthToken") == ["get", "auth", "token"]
    assert kc._words("APIKey_store") == ["apikey", "store"]
    assert kc._words("src/keyboard/tokenize.py") == ["src", "keyboard", "tokenize", "py"]
    secret = [w for w in ("password", "api_key", "authenticate", "privateKey", "session_token")
              if any(x in kc._SECRET_WORDS or x.startswith(kc._SECRET_STEMS) for x in kc._words(w))]
    assert len(secret) == 5
    plain = [w for w in ("keyboard", "tokenize", "monkey", "hotkeys", "author_name")
             if any(x in kc._SECRET_WORDS or x.startswith(kc._SECRET_STEMS) for x in kc._words(w))]
    assert plain == []  # whole words: "keyboard" holds no key, "author" is not "authorize"
    assert kc._looks_secret(b"AKIA" + b"ABCDEFGHIJKLMNOP") and kc._looks_secret(b"postgres://u:hunter2@db/x")
    assert not kc._looks_secret(b"\x80\x04plain words, 12345")
