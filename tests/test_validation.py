"""Validation against a real temporary project with a real pytest suite (real subprocesses)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from analysis.config import load_config
from suggestions.model import ValidationStatus
from suggestions.store import Store
from suggestions.validate.sandbox import Sandbox, SandboxPool
from suggestions.validate.validator import (
    Validator,
    affected_region,
    parse_pytest_report,
    run_command,
)
from tests.conftest import write
from tests.validation_project import (
    SUITE_SIZE,
    make_project,
    record_coverage,
    suggestion,
)


@pytest.fixture
def proj(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The project's tests need no plugins; not loading the ones installed in Kaizen's own
    # environment (Qt, hypothesis...) makes each test run several times faster.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return make_project(project)


UNCONFINED = '[validation]\nconfine = "off"\npass-env = ["KZ_*"]\n'


def snapshot(root: Path) -> dict[str, bytes]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and not rel.startswith(".kaizen") and "__pycache__" not in rel:
            out[rel] = p.read_bytes()
    return out


def validator(root: Path, store: Store, **kw: object) -> Validator:
    return Validator(root, load_config(root), store, **kw)  # type: ignore[arg-type]


# --- sandbox --------------------------------------------------------------------------------


def test_sandbox_syncs_incrementally_and_repairs_what_tests_did(proj: Path) -> None:
    write(proj, {".gitignore": "ignored/\n", "ignored/big.bin": b"x" * 100})
    box = Sandbox(proj, proj / ".kaizen" / "sandbox" / "t")
    first = box.sync()
    assert first.copied == len(snapshot(proj)) - 1  # all but the ignored file
    assert not (box.path / "ignored").exists()
    assert (box.path / "data" / "values.txt").read_text() == "1 2 3\n"  # non-source files too
    assert box.sync().copied == 0
    # Touched but identical: hashed, not copied.
    os.utime(proj / "calc" / "ops.py", ns=(time.time_ns(), time.time_ns()))
    assert box.sync().copied == 0
    # The project changed; a test run deleted and created files in the sandbox.
    (proj / "calc" / "ops.py").write_text("X = 1\n")
    (proj / "tests" / "test_mul.py").unlink()
    (box.path / "data" / "values.txt").unlink()
    (box.path / "stray.txt").write_text("made by a test")
    stats = box.sync()
    assert stats.copied == 2 and stats.removed == 2
    assert snapshot(box.path) == {k: v for k, v in snapshot(proj).items() if not k.startswith("ignored")}
    # A new Sandbox object over the same folder reuses the copy (the manifest persists).
    assert Sandbox(proj, box.path).sync().copied == 0


def test_sandbox_follows_gitignore_changes(proj: Path) -> None:
    write(proj, {"logs/run.log": "x", "notes/keep.txt": "y"})
    box = Sandbox(proj, proj / ".kaizen" / "sandbox" / "t")
    box.sync()
    assert (box.path / "logs" / "run.log").exists()
    time.sleep(0.01)
    write(proj, {".gitignore": "logs/\n"})
    box.sync()
    assert not (box.path / "logs" / "run.log").exists()  # newly ignored: gone from the copy
    write(proj, {"notes/.gitignore": "*.txt\n"})
    box.sync()
    assert not (box.path / "notes" / "keep.txt").exists()
    (proj / ".gitignore").unlink()
    (proj / "notes" / ".gitignore").write_text("# nothing ignored any more\n")
    box.sync()
    assert (box.path / "logs" / "run.log").exists() and (box.path / "notes" / "keep.txt").exists()


def test_patched_restores_original_bytes(proj: Path) -> None:
    box = Sandbox(proj, proj / ".kaizen" / "sandbox" / "t")
    box.sync()
    before = (box.path / "calc" / "ops.py").stat()
    with box.patched({"calc/ops.py": b"BROKEN\n", "calc/new.py": b"N = 1\n"}):
        assert (box.path / "calc" / "ops.py").read_bytes() == b"BROKEN\n"
    assert (box.path / "calc" / "ops.py").read_bytes() == (proj / "calc" / "ops.py").read_bytes()
    assert (box.path / "calc" / "ops.py").stat().st_mtime_ns == before.st_mtime_ns
    assert not (box.path / "calc" / "new.py").exists()
    assert box.sync().copied == 0


def test_pool_hands_out_distinct_sandboxes(proj: Path) -> None:
    pool = SandboxPool(proj, 2)
    with pool.acquire() as a, pool.acquire() as b:
        assert a.path != b.path
        # A third caller must wait; with a cancel it gives up instead of blocking.
        with pytest.raises(InterruptedError), pool.acquire(lambda: True):
            pass


# --- test running ---------------------------------------------------------------------------


def test_parse_pytest_report() -> None:
    out = (
        "PASSED tests/test_a.py::test_ok\n"
        "FAILED tests/test_a.py::test_bad - AssertionError: assert 1 == 2\n"
        "ERROR tests/test_b.py - ImportError: nope\n"
        "SKIPPED [1] tests/test_c.py:3: no reason\n"
        "XFAIL tests/test_c.py::test_x[a - b]\n"
    )
    assert parse_pytest_report(out) == {
        "tests/test_a.py::test_ok": "passed",
        "tests/test_a.py::test_bad": "failed",
        "tests/test_b.py": "error",
        "tests/test_c.py::test_x[a": "xfail",
    }


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    script = (
        "import subprocess, sys, time\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pidfile)!r}, 'w').write(str(p.pid))\n"
        "time.sleep(600)\n"
    )
    import sys

    result = run_command([sys.executable, "-c", script], tmp_path, timeout=2.0)
    assert result.timed_out
    assert "timed out" in result.output
    assert _gone(int(pidfile.read_text()))


def _gone(pid: int) -> bool:
    for _ in range(100):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().split(") ", 1)[1].startswith("Z"):
                    return True  # a zombie waiting for init: it no longer runs
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


# --- validation -----------------------------------------------------------------------------


def test_good_patch_passes_and_is_stored(proj: Path) -> None:
    store = Store(proj)
    s = suggestion(proj, "calc/ops.py", "return a + b", "return b + a")
    before = snapshot(proj)
    [v] = validator(proj, store, coverage=None).validate([s])
    assert v.validation.status is ValidationStatus.PASSED, v.validation.log
    assert len(v.validation.tests_run) == SUITE_SIZE  # no coverage: the whole suite
    assert "whole suite" in v.validation.log
    assert v.validation.base_hash == s.patch.base_hash  # type: ignore[union-attr]
    assert v.validation.duration_s is not None
    assert store.suggestion(s.id).validation.status is ValidationStatus.PASSED  # type: ignore[union-attr]
    # The test suite deletes data/values.txt and writes junk.txt, and the flaky test writes a
    # counter: all of it happened in the sandbox, none of it here.
    assert snapshot(proj) == before


def test_tests_that_delete_and_write_files_touch_only_the_sandbox(proj: Path) -> None:
    write(proj, {"tests/test_vandal.py": (
        "import os, shutil\n"
        "from pathlib import Path\n\n"
        "def test_vandal():\n"
        "    root = Path(__file__).resolve().parent.parent\n"
        "    shutil.rmtree(root / 'data')\n"
        "    os.remove(root / 'calc' / '__init__.py')\n"
        "    Path('written_by_a_test.txt').write_text('cwd')\n"
        "    (root / 'calc' / 'ops.py').write_text('garbage')\n"
    )})
    before = snapshot(proj)
    store = Store(proj)
    s = suggestion(proj, "calc/ops.py", "return a * b", "return b * a")
    v = validator(proj, store, coverage=None)
    [first] = v.validate([s])
    assert first.validation.status is ValidationStatus.PASSED, first.validation.log
    assert snapshot(proj) == before
    # The sandbox is repaired before each run, so the next candidate sees intact files.
    [second] = v.validate([suggestion(proj, "calc/ops.py", "return a + b", "return b + a")])
    assert second.validation.status is ValidationStatus.PASSED, second.validation.log
    assert snapshot(proj) == before


def test_git_run_by_a_test_cannot_reach_the_projects_repository(proj: Path) -> None:
    import shutil

    if shutil.which("git") is None:
        pytest.skip("git is not installed")

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=proj, check=True, capture_output=True, text=True).stdout

    git("init", "-q")
    git("-c", "user.email=a@b", "-c", "user.name=a", "add", "calc", "tests", "data")
    git("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q", "-m", "init")
    write(proj, {"tests/test_git.py": (
        "import subprocess\n\n"
        "def test_stash_everything():\n"
        "    subprocess.run(['git', 'stash', '-u'], capture_output=True)\n"
        "    subprocess.run(['git', 'clean', '-fdx'], capture_output=True)\n"
    )})
    (proj / "data" / "values.txt").write_text("1 2 3\n")
    (proj / "calc" / "uncommitted.py").write_text("WORK = 'in progress'\n")
    # `git status` refreshes the index's stat cache, so it runs before the snapshot.
    status = git("status", "--porcelain")
    before = snapshot(proj)
    store = Store(proj)
    [v] = validator(proj, store, coverage=None).validate([suggestion(proj, "calc/ops.py", "return -a", "return 0 - a")])
    assert v.validation.status is ValidationStatus.PASSED, v.validation.log
    assert snapshot(proj) == before
    assert git("status", "--porcelain") == status
    assert git("stash", "list") == ""


def test_breaking_patch_fails_naming_the_test(proj: Path) -> None:
    store = Store(proj)
    s = suggestion(proj, "calc/ops.py", "return a + b", "return a - b")
    [v] = validator(proj, store, coverage=None).validate([s])
    assert v.validation.status is ValidationStatus.FAILED
    assert v.validation.failed_tests == ("tests/test_add.py::test_add", "tests/test_add.py::test_add_negative")
    assert "broken by the patch: tests/test_add.py::test_add" in v.validation.log
    assert "assert" in v.validation.log  # the excerpt shows why
    assert (proj / "calc" / "ops.py").read_text().count("return a + b") == 1


def test_flaky_test_is_not_blamed_on_the_patch(proj: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    counter = tmp_path / "counter.txt"
    monkeypatch.setenv("KZ_FLAKY_COUNTER", str(counter))
    # The counter must outlive each run and be seen from outside: no confinement here (the
    # confinement's own tests are in tests/security/).
    # No mutants: their run would call the flaky test again.
    write(proj, {"kaizen.toml": UNCONFINED + "mutants = 0\n"})
    counter.write_text("1")  # so the next run (the one with the patch) is a failing one
    store = Store(proj)
    # mul() is what the flaky test calls; the change is harmless.
    s = suggestion(proj, "calc/ops.py", "return a * b", "return b * a")
    [v] = validator(proj, store, coverage=None).validate([s])
    assert v.validation.status is ValidationStatus.PASSED, v.validation.log
    assert "flaky" in v.validation.log and "test_flaky_mul" in v.validation.log
    assert counter.read_text() == "3"  # with the patch (failed), then the re-run (passed)


def test_already_failing_test_is_not_blamed(proj: Path) -> None:
    write(proj, {"tests/test_broken.py": "def test_always_fails():\n    assert False\n"})
    store = Store(proj)
    s = suggestion(proj, "calc/ops.py", "return -a", "return 0 - a")
    [v] = validator(proj, store, coverage=None).validate([s])
    assert v.validation.status is ValidationStatus.PASSED, v.validation.log
    assert "already failing without the patch" in v.validation.log


def test_suite_broken_without_the_patch_is_an_error_not_a_pass(proj: Path) -> None:
    # A module the tests import is git-ignored (generated, say): the sandbox lacks it.
    write(proj, {".gitignore": "calc/_generated.py\n", "calc/_generated.py": "X = 1\n",
                 "calc/__init__.py": "from calc._generated import X\n"})
    store = Store(proj)
    s = suggestion(proj, "calc/ops.py", "return -a", "return 0 - a")
    [v] = validator(proj, store, coverage=None).validate([s])
    assert v.validation.status is ValidationStatus.ERROR, v.validation.log
    assert "cannot judge" in v.validation.log


def test_patch_that_does_not_parse_fails_without_running_tests(proj: Path) -> None:
    store = Store(proj)
    s = suggestion(proj, "calc/ops.py", "return a + b", "return a +")
    [v] = validator(proj, store, coverage=None).validate([s])
    assert v.validation.status is ValidationStatus.FAILED
    assert "does not parse" in v.validation.log and v.validation.tests_run == ()


@pytest.mark.slow
def test_hung_test_times_out_and_its_process_group_dies(proj: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # A pid file read from outside: unconfined (tests/security/ kill confined runs).
    write(proj, {"kaizen.toml": UNCONFINED + "timeout = 8\n"})
    pidfile = tmp_path / "grandchild.pid"
    monkeypatch.setenv("KZ_PIDFILE", str(pidfile))
    hang = (
        "import os, subprocess, sys, time\n"
        "    p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "    open(os.environ['KZ_PIDFILE'], 'w').write(str(p.pid))\n"
        "    time.sleep(600)\n"
        "    return x + 1"
    )
    s = suggestion(proj, "calc/ops.py", "return x + 1", hang)
    store = Store(proj)
    t0 = time.monotonic()
    [v] = validator(proj, store, coverage=None).validate([s])
    # The test sleeps 600 s: anything well under that is the timeout at work, however loaded
    # the machine (a tight bound here failed under load, not because the timeout did).
    assert time.monotonic() - t0 < 300
    assert v.validation.status is ValidationStatus.FAILED
    assert "timed out" in v.validation.log
    assert _gone(int(pidfile.read_text()))


def record_trace(proj: Path, store: Store, tmp_path: Path) -> None:
    """Per-test coverage in the trace store: from `kaizen trace` (the real collector)."""
    import sys

    from analysis.trace_store import TraceStore
    from analysis.tracing import run_traced

    result = run_traced(proj, [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], timeout=120,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not result.has_test_coverage:  # the collector recorded none: use the minimal recorder
        cov = record_coverage(proj, tmp_path / "cover")
        by_test: dict[str, dict[str, set[int]]] = {}
        for path, lines in cov.items():
            for line, tests in lines.items():
                for t in tests:
                    by_test.setdefault(t, {}).setdefault(path, set()).add(line)
        result.coverage = by_test
    TraceStore(store).add(result)


@pytest.mark.slow
def test_affected_tests_only_and_still_catches_a_break(proj: Path, tmp_path: Path) -> None:
    store = Store(proj)
    record_trace(proj, store, tmp_path)
    v = validator(proj, store)  # coverage from the trace store
    good = suggestion(proj, "calc/ops.py", "return a + b", "return b + a")
    bad = suggestion(proj, "calc/ops.py", "return -a", "return a")
    good_v, bad_v = v.validate([good, bad])
    assert good_v.validation.status is ValidationStatus.PASSED, good_v.validation.log
    assert set(good_v.validation.tests_run) == {"tests/test_add.py::test_add", "tests/test_add.py::test_add_negative"}
    assert len(good_v.validation.tests_run) < SUITE_SIZE
    assert "selected" in good_v.validation.log
    assert bad_v.validation.status is ValidationStatus.FAILED
    assert bad_v.validation.failed_tests == ("tests/test_mul.py::test_neg",)
    assert len(bad_v.validation.tests_run) < SUITE_SIZE
    # A module-level change runs the whole suite whatever the trace says.
    mod = suggestion(proj, "calc/ops.py", "SCALE = 1", "SCALE = 2")
    [mod_v] = v.validate([mod])
    assert len(mod_v.validation.tests_run) == SUITE_SIZE
    assert "module-level" in mod_v.validation.log
    # A test file written after the trace runs too: the trace cannot know its tests.
    time.sleep(0.01)
    write(proj, {"tests/test_new.py": "from calc.ops import add\n\n\ndef test_new():\n    assert add(1, 1) == 2\n"})
    [new_v] = v.validate([suggestion(proj, "calc/ops.py", "return a + b", "return a+b")])
    assert "tests/test_new.py::test_new" in new_v.validation.tests_run
    assert len(new_v.validation.tests_run) == 3 and "written since the trace" in new_v.validation.log
    # After the file is edited the trace's line numbers may be off: the whole suite runs.
    ops = proj / "calc" / "ops.py"
    ops.write_text("# a new first line moves every line down\n" + ops.read_text())
    later = suggestion(proj, "calc/ops.py", "return a + b", "return b + a")
    [later_v] = v.validate([later])
    assert len(later_v.validation.tests_run) == SUITE_SIZE + 1
    assert "changed after the latest trace" in later_v.validation.log


def test_affected_region(proj: Path) -> None:
    from analysis.parsing import parse

    data = (proj / "calc" / "ops.py").read_bytes()
    tree = parse("python", data)
    inside = data.index(b"a * b")
    region = affected_region("python", tree, data, [(inside, inside + 5)])
    assert not region.module_level and region.functions == ((10, 11),)
    top = data.index(b"SCALE")
    assert affected_region("python", tree, data, [(top, top + 5)]).module_level


@pytest.mark.slow
def test_performance_claim_is_timed(proj: Path) -> None:
    write(proj, {"kaizen.toml": "[validation]\nrepeats = 2\n"
                 "benchmark-command = \"python -c 'import calc.ops as o; o.slow_total(10)'\"\n"})
    store = Store(proj)
    faster = suggestion(proj, "calc/ops.py", "time.sleep(0.4)", "pass", category="performance")
    [v] = validator(proj, store, coverage=None).validate([faster])
    val = v.validation
    assert val.time_before_s and val.time_after_s and val.speedup
    assert val.time_before_s > val.time_after_s  # 0.4 s of sleep removed
    assert val.status is ValidationStatus.PASSED, val.log
    assert "speed-up" in val.log


@pytest.mark.slow
def test_performance_claim_timed_by_the_tests_own_time(proj: Path) -> None:
    store = Store(proj)
    faster = suggestion(proj, "calc/ops.py", "time.sleep(0.4)", "pass", category="performance")
    [v] = validator(proj, store, coverage=None).validate([faster])
    val = v.validation
    assert val.status is ValidationStatus.PASSED, val.log
    assert "time in the tests, as pytest reports it" in val.log
    # pytest start-up is not in the figures: the 0.4 s sleep dominates "before".
    assert val.time_before_s is not None and val.time_before_s >= 0.4
    assert val.speedup is not None and val.speedup > 2


def test_performance_claim_without_speedup_is_not_validated(proj: Path) -> None:
    write(proj, {"kaizen.toml": "[validation]\nrepeats = 2\nmin-speedup = 3.0\n"
                 "benchmark-command = \"python -c 'import calc.ops as o; o.neg(1)'\"\n"})
    store = Store(proj)
    same = suggestion(proj, "calc/ops.py", "return -a", "return (-a)", category="performance")
    [v] = validator(proj, store, coverage=None).validate([same])
    assert v.validation.status is ValidationStatus.FAILED
    assert "below the requirement" in v.validation.log
    assert v.validation.speedup is not None and v.validation.speedup < 3.0


def test_stale_suggestion_is_skipped(proj: Path) -> None:
    store = Store(proj)
    s = suggestion(proj, "calc/ops.py", "return a + b", "return b + a")
    (proj / "calc" / "ops.py").write_text((proj / "calc" / "ops.py").read_text() + "\n# edited\n")
    [v] = validator(proj, store, coverage=None).validate([s])
    assert v.validation.status is ValidationStatus.SKIPPED
    assert "changed since" in v.validation.log


def test_cancel_stops_a_running_validation(proj: Path, tmp_path: Path) -> None:
    hang = "import time\n    time.sleep(600)\n    return x + 1"
    s = suggestion(proj, "calc/ops.py", "return x + 1", hang)
    store = Store(proj)
    cancel = threading.Event()
    threading.Timer(3.0, cancel.set).start()
    t0 = time.monotonic()
    [v] = validator(proj, store, coverage=None).validate([s], cancel=cancel)
    assert time.monotonic() - t0 < 300  # the test sleeps 600 s: the cancel stopped it
    assert v.validation.status is ValidationStatus.PENDING  # unchanged, not stored as a verdict


def test_parallel_validations(proj: Path) -> None:
    store = Store(proj)
    good = [
        suggestion(proj, "calc/ops.py", "return a + b", "return b + a"),
        suggestion(proj, "calc/ops.py", "return a * b", "return b * a"),
    ]
    seen: list[tuple[int, int]] = []
    out = validator(proj, store, coverage=None).validate(good, progress=lambda d, t: seen.append((d, t)))
    assert [s.validation.status for s in out] == [ValidationStatus.PASSED] * 2
    assert seen[0] == (0, 2) and seen[-1] == (2, 2)


def test_test_command_uses_the_projects_own_interpreter(proj: Path, tmp_path: Path) -> None:
    import sys

    from suggestions.validate.validator import TestCommand

    assert TestCommand(proj, "python -m pytest -q").argv[0] == sys.executable  # no .venv: Kaizen's
    marker = tmp_path / "used"
    write(proj, {"kaizen.toml": UNCONFINED})  # the marker is written outside the project
    venv_python = proj / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text(f'#!/bin/sh\necho yes > "{marker}"\nexec "{sys.executable}" "$@"\n')
    venv_python.chmod(0o755)
    cmd = TestCommand(proj, "python -m pytest -q")
    assert cmd.argv[0] == str(venv_python) and cmd.is_pytest
    assert not TestCommand(proj, "make test").is_pytest
    store = Store(proj)
    [v] = validator(proj, store, coverage=None).validate([suggestion(proj, "calc/ops.py", "return -a", "return 0 - a")])
    assert v.validation.status is ValidationStatus.PASSED, v.validation.log
    assert marker.read_text().strip() == "yes"
    assert not (store.root / ".kaizen" / "sandbox" / "0" / ".venv").exists()  # never copied


# --- outcomes from a machine channel (issue 22) ------------------------------------------------

# Project settings that restyle pytest's terminal output; the outcomes must not change.
STYLES = {
    "color": ('[tool.pytest.ini_options]\naddopts = "--color=yes"\n', {}),
    "no-terminal": ('[tool.pytest.ini_options]\naddopts = "-p no:terminal"\n', {}),
    "quiet": ('[tool.pytest.ini_options]\naddopts = "-q -q"\n', {}),
    "verbose": ('[tool.pytest.ini_options]\naddopts = "-v --tb=line"\n', {}),
    "force-color": ("", {"FORCE_COLOR": "1", "PY_COLORS": "1"}),
    # Plugins installed in the interpreter the tests run in, loaded the usual way (entry points).
    # (pytest-sugar only takes over a terminal; --force-sugar makes it do so here.)
    "sugar": ('[tool.pytest.ini_options]\naddopts = "--force-sugar"\n', {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": None}),
    "xdist": ('[tool.pytest.ini_options]\naddopts = "-n 2 --color=yes"\n', {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": None}),
}


def outcomes_of(proj: Path) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    # Autoloaded plugins (Qt, hypothesis...) make each run slow on a loaded machine: the
    # timeout is only a hang guard here.
    write(proj, {"kaizen.toml": "[validation]\ntimeout = 600\n"})
    store = Store(proj)
    v = validator(proj, store, coverage=None)
    good = suggestion(proj, "calc/ops.py", "return a + b", "return b + a")
    bad = suggestion(proj, "calc/ops.py", "return a + b", "return a - b")
    try:
        out = v.validate([good, bad])
    finally:
        v.close()
        store.close()
    return [(s.validation.status.value, s.validation.tests_run, s.validation.failed_tests) for s in out]


@pytest.fixture(scope="module")
def plain_outcomes(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        return outcomes_of(make_project(tmp_path_factory.mktemp("plain") / "proj"))


@pytest.mark.parametrize("style", sorted(STYLES))
def test_outcomes_do_not_depend_on_the_terminal_output(
        style: str, proj: Path, monkeypatch: pytest.MonkeyPatch,
        plain_outcomes: list[tuple[str, tuple[str, ...], tuple[str, ...]]]) -> None:
    if style in ("sugar", "xdist"):
        pytest.importorskip("pytest_sugar" if style == "sugar" else "xdist")
    toml, env = STYLES[style]
    if toml:
        write(proj, {"pyproject.toml": toml})
    for k, val in env.items():
        if val is None:
            monkeypatch.delenv(k, raising=False)
        else:
            monkeypatch.setenv(k, val)
    assert plain_outcomes[0][0] == "passed" and len(plain_outcomes[0][1]) == SUITE_SIZE
    assert plain_outcomes[1][0] == "failed" and plain_outcomes[1][2] == (
        "tests/test_add.py::test_add", "tests/test_add.py::test_add_negative")
    assert outcomes_of(proj) == plain_outcomes


def test_unreadable_outcomes_are_an_error_not_no_tests_ran(proj: Path) -> None:
    # The run ends (exit code 0) before pytest finishes: nothing says how the tests went.
    store = Store(proj)
    s = suggestion(proj, "calc/ops.py", "SCALE = 1", "import os\nos._exit(0)\nSCALE = 1")
    [v] = validator(proj, store, coverage=None).validate([s])
    assert v.validation.status is ValidationStatus.ERROR, v.validation.log
    assert "could not read the test outcomes" in v.validation.log
    assert "no tests ran" not in v.validation.log


def test_a_project_without_tests_still_says_no_tests_ran(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    write(project, {"calc/__init__.py": "", "calc/ops.py": "def f(a):\n    return a\n"})
    store = Store(project)
    [v] = validator(project, store, coverage=None).validate([suggestion(project, "calc/ops.py", "return a", "return (a)")])
    assert v.validation.status is ValidationStatus.SKIPPED, v.validation.log
    assert "no tests ran" in v.validation.log
