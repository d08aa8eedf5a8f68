"""The collector, run for real: real commands in temporary projects, recorded figures checked."""

from __future__ import annotations

import json
import marshal
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from analysis.trace_store import TraceStore, format_ranges, parse_ranges, tail_live
from analysis.tracing import TraceResult, collector_env, merge_dir, run_traced
from suggestions.store import Store
from tests.conftest import ROOT, write

PY = sys.executable
INTERPRETERS = [
    p for p in (
        PY,
        str(Path.home() / ".pyenv/versions/3.12.1/bin/python"),
        str(Path.home() / ".pyenv/versions/3.13.0/bin/python"),
    )
    if Path(p).exists()
]


def _fn(result: TraceResult, name: str, path: str | None = None) -> object:
    found = [f for f in result.functions if f.name == name and (path is None or f.path == path)]
    assert len(found) == 1, f"{name}: {[f.key for f in result.functions]}"
    return found[0]


def _store(project: Path, result: TraceResult) -> TraceStore:
    store = Store(project)
    traces = TraceStore(store)
    traces.add(result)
    return traces


def _line_of(path: Path, text: str) -> int:
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if text in line:
            return i
    raise AssertionError(text)


def test_ranges_round_trip() -> None:
    lines = {1, 2, 3, 7, 9, 10, 40}
    assert format_ranges(lines) == "1-3,7,9-10,40"
    assert parse_ranges(format_ranges(lines)) == lines
    assert parse_ranges("") == set()


@pytest.mark.slow
def test_pytest_suite_per_test_coverage_outcomes_and_failures(project: Path) -> None:
    write(project, {
        "calc.py": textwrap.dedent("""\
            def add(a, b):
                return a + b


            def div(a, b):
                if b == 0:
                    raise ZeroDivisionError("no")
                return a / b


            def unused(x):
                return x * 2
            """),
        "tests/test_calc.py": textwrap.dedent("""\
            import pytest
            from calc import add, div


            def test_add():
                assert add(1, 2) == 3


            def test_div():
                assert div(6, 3) == 2
                with pytest.raises(ZeroDivisionError):
                    div(1, 0)


            def test_broken():
                assert add(2, 2) == 5
            """),
        "pyproject.toml": "[tool.pytest.ini_options]\npythonpath = ['.']\n",
    })
    result = run_traced(project, [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                        stdout=subprocess.PIPE, timeout=120)
    assert result.exit_code == 1 and result.status == "failed"
    assert _fn(result, "add", "calc.py").calls == 2  # type: ignore[attr-defined]
    assert _fn(result, "div", "calc.py").calls == 2  # type: ignore[attr-defined]
    assert not [f for f in result.functions if f.name == "unused"]
    assert not [f for f in result.functions if "site-packages" in f.path or f.path.startswith("_pytest")]
    zde = [e for e in result.exceptions if e.type == "ZeroDivisionError"]
    assert len(zde) == 1 and zde[0].raised == 1 and zde[0].path == "calc.py" and zde[0].line == 7
    traces = _store(project, result)
    add_body = _line_of(project / "calc.py", "return a + b")
    raise_line = _line_of(project / "calc.py", "raise ZeroDivisionError")
    assert traces.tests_covering("calc.py", add_body, add_body) == {
        "tests/test_calc.py::test_add", "tests/test_calc.py::test_broken"}
    assert traces.tests_covering("calc.py", raise_line, raise_line) == {"tests/test_calc.py::test_div"}
    unused_body = _line_of(project / "calc.py", "return x * 2")
    assert traces.tests_covering("calc.py", unused_body, unused_body) == set()
    assert traces.tests() == {"tests/test_calc.py::test_add": "passed", "tests/test_calc.py::test_div": "passed",
                              "tests/test_calc.py::test_broken": "failed"}
    failures = traces.failures()
    assert [f["test"] for f in failures] == ["tests/test_calc.py::test_broken"]
    assert "assert 4 == 5" in failures[0]["traceback"]
    assert ("calc.py", "add", 1) in traces.executed_functions()
    ev = traces.evidence_for("calc.py", raise_line, raise_line)
    assert ev["functions"] == ["div:5"] and ev["calls"] == 2 and ev["exceptions_raised"] == 1
    assert ev["tests"] == 1
    info = traces.latest()
    assert info is not None and info.has_coverage and info.tests == 3 and info.exit_code == 1


def test_no_per_test_coverage_means_none(project: Path) -> None:
    write(project, {"prog.py": "def f():\n    return 1\n\nf()\n"})
    traces = _store(project, run_traced(project, [PY, "prog.py"], timeout=60))
    assert traces.tests_covering("prog.py", 1, 2) is None
    assert traces.covered_lines("prog.py") == {1, 2, 4}


PROCS = textwrap.dedent("""\
    import multiprocessing
    import subprocess
    import sys


    def square(x):
        return x * x


    def main(method):
        out = subprocess.run([sys.executable, "child.py"], capture_output=True, text=True, check=True)
        print("child said", out.stdout.strip())
        ctx = multiprocessing.get_context(method)
        with ctx.Pool(2) as pool:
            print(sum(pool.map(square, range(20))))


    if __name__ == "__main__":
        main(sys.argv[1])
    """)
CHILD = "def shout(s):\n    return s.upper()\n\nprint(shout('hi'))\n"


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_subprocess_and_multiprocessing_pool(project: Path, method: str) -> None:
    write(project, {"procs.py": PROCS, "child.py": CHILD})
    result = run_traced(project, [PY, "procs.py", method], stdout=subprocess.PIPE, timeout=120)
    assert result.exit_code == 0
    assert _fn(result, "square").calls == 20  # type: ignore[attr-defined]
    assert _fn(result, "shout").calls == 1  # type: ignore[attr-defined]
    assert _fn(result, "main").calls == 1  # type: ignore[attr-defined]
    assert len(result.processes) >= 3  # main, child.py, at least one pool worker
    assert len({p["pid"] for p in result.processes}) == len(result.processes)


STUCK = textwrap.dedent("""\
    import multiprocessing, signal, sys, threading, time


    def work(n):
        return n * 2


    def child(lock, ready):
        for i in range(5):
            work(i)
        # Another thread takes the SIGTERM: the C-level handler runs there and nothing wakes
        # this one, the same as when the signal lands while glibc retries a futex wait.
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        ready.set()
        with lock:  # held by the parent until the end
            pass


    if __name__ == "__main__":
        ctx = multiprocessing.get_context(sys.argv[1])
        lock, ready = ctx.Lock(), ctx.Event()
        lock.acquire()
        p = ctx.Process(target=child, args=(lock, ready), daemon=True)
        p.start()
        ready.wait(60)
        time.sleep(0.3)  # the child now waits for the lock
        p.terminate()
        p.join(30)
        with open("stuck.txt", "w") as fh:
            fh.write(f"child exit code {p.exitcode}")
    """)


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_terminate_kills_a_child_whose_sigterm_went_to_another_thread(project: Path, method: str) -> None:
    """Process.terminate() is lethal under the collector too: a SIGTERM whose Python handler
    cannot run while the main thread waits on a multiprocessing lock must not leave the
    child alive (Pool.terminate() then waits for it forever)."""
    write(project, {"stuck.py": STUCK})
    subprocess.run([PY, "stuck.py", method], cwd=project, check=True, timeout=60)
    assert (project / "stuck.txt").read_text() == "child exit code -15"
    result = run_traced(project, [PY, "stuck.py", method], timeout=60)
    assert result.exit_code == 0
    assert (project / "stuck.txt").read_text() == "child exit code -15"
    assert _fn(result, "work").calls == 5  # type: ignore[attr-defined]  # flushed on the way out


FORKS = textwrap.dedent("""\
    import os, signal, time

    lost = 0
    for _ in range(20):
        pid = os.fork()
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        os.kill(pid, signal.SIGTERM)  # most likely before the child's interpreter is ready
        deadline = time.monotonic() + 10  # long, for a loaded machine: a child that dies ends it
        while not os.waitpid(pid, os.WNOHANG)[0]:
            if time.monotonic() > deadline:
                lost += 1
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                break
            time.sleep(0.001)
    with open("forks.txt", "w") as fh:
        fh.write(f"survived SIGTERM: {lost}")
    """)


@pytest.mark.parametrize("python", INTERPRETERS)
def test_sigterm_right_after_fork_kills_the_child(project: Path, python: str) -> None:
    """A forked child drops the signals that arrive before its interpreter is ready: with our
    handler installed such a SIGTERM was lost (20 of 20 children lived on under 3.11, 19 of
    20 under 3.12, where plain Python kills them all; a pool terminated right after it
    started waited for such a worker forever)."""
    write(project, {"forks.py": FORKS})
    subprocess.run([python, "forks.py"], cwd=project, check=True, timeout=250)  # 20 x 10 s at worst
    assert (project / "forks.txt").read_text() == "survived SIGTERM: 0"
    result = run_traced(project, [python, "forks.py"], timeout=250)
    assert result.exit_code == 0
    assert (project / "forks.txt").read_text() == "survived SIGTERM: 0"


THREADS = textwrap.dedent("""\
    import threading


    def work(n):
        total = 0
        for i in range(n):
            total += i
        return total


    def worker():
        for _ in range(250):
            work(50)


    def main():
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


    main()
    """)


def test_threads_are_traced(project: Path) -> None:
    write(project, {"threads.py": THREADS})
    result = run_traced(project, [PY, "threads.py"], timeout=60)
    assert result.exit_code == 0
    assert _fn(result, "work").calls == 1000  # type: ignore[attr-defined]
    assert _fn(result, "worker").calls == 4  # type: ignore[attr-defined]
    work = _fn(result, "work")
    assert work.arg_types == {"n": {"int": work.sampled}} and work.return_types == {"int": work.sampled}  # type: ignore[attr-defined]
    assert work.callers == {"threads.py:worker:11": 1000}  # type: ignore[attr-defined]


COV = textwrap.dedent("""\
    import _kaizen_collector as kc


    def a():
        return 1


    def b(x):
        if x:
            return 2
        return 3


    kc.set_test("t1")
    a(); b(True)
    kc.set_test("t2")
    b(True); b(False)
    kc.set_test("")
    """)


RAISES = textwrap.dedent("""\
    def lookup(d, key):
        try:
            return d[key]
        except KeyError:
            return None


    def check(x):
        if x < 0:
            raise ValueError(x)
        return x


    def guarded(x):
        try:
            return check(x)
        except ValueError:
            return 0


    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)


    def main():
        d = {"a": 1}
        for i in range(3000):
            lookup(d, "a" if i % 3 else "zz")
        for i in range(-5, 5):
            guarded(i)
        fib(12)


    main()
    """)


def _check_raises(result: TraceResult) -> None:
    assert result.exit_code == 0
    by_type = {e.type: e for e in result.exceptions}
    assert by_type["KeyError"].raised == 1000 and by_type["KeyError"].caught == 1000
    assert (by_type["KeyError"].path, by_type["KeyError"].line) == ("raises.py", 3)
    # ValueError: raised 5 times in check (line 10), passes through once per raise, caught in guarded.
    assert by_type["ValueError"].raised == 5 and by_type["ValueError"].caught == 5
    assert (by_type["ValueError"].line, by_type["ValueError"].function) == (10, "check")
    assert len(result.exceptions) == 2
    assert _fn(result, "lookup").calls == 3000  # type: ignore[attr-defined]
    fib, main = _fn(result, "fib"), _fn(result, "main")
    assert fib.calls == 465  # type: ignore[attr-defined]
    # recursion is not counted twice: fib's inclusive time fits inside main's
    assert fib.total <= main.total  # type: ignore[attr-defined]
    assert main.own <= main.total  # type: ignore[attr-defined]


def test_raise_and_catch_counts(project: Path) -> None:
    write(project, {"raises.py": RAISES})
    _check_raises(run_traced(project, [PY, "raises.py"], timeout=60))


@pytest.mark.parametrize("python", INTERPRETERS, ids=lambda p: Path(p).parent.parent.name)
def test_every_interpreter(project: Path, python: str) -> None:
    """The same figures on 3.11 (probes) and 3.12/3.13 (sys.monitoring), per-test lines too."""
    write(project, {"raises.py": RAISES, "threads.py": THREADS, "cov.py": COV})
    version = subprocess.run([python, "-c", "import sys; print(sys.version_info >= (3, 12))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    result = run_traced(project, [python, "raises.py"], timeout=60)
    _check_raises(result)
    assert result.mode == ("monitoring" if version == "True" else "instrument")
    threads = run_traced(project, [python, "threads.py"], timeout=60)
    assert _fn(threads, "work").calls == 1000  # type: ignore[attr-defined]
    cov = run_traced(project, [python, "cov.py"], timeout=60)
    # module-level lines run during a "test" belong to it too (15-16, 17-18)
    assert cov.coverage["t1"]["cov.py"] == {5, 9, 10, 15, 16}
    assert cov.coverage["t2"]["cov.py"] == {9, 10, 11, 17, 18}
    assert {1, 4, 8, 14} <= cov.coverage[""]["cov.py"]
    work = _fn(threads, "work")
    assert work.arg_types == {"n": {"int": work.sampled}} and work.return_types == {"int": work.sampled}  # type: ignore[attr-defined]


ROUND_TRIP = textwrap.dedent("""\
    import json


    def hook(obj):
        if "bad" in obj:
            raise KeyError("bad")
        return obj


    def parse(text):
        try:
            return json.loads(text, object_hook=hook)
        except KeyError:
            return None


    class Lazy:
        @property
        def value(self):
            raise AttributeError("value")


    def give_up():
        raise ValueError("no")


    def numbers():
        yield 1
        yield 2


    def main():
        for text in ['{"bad": 1}'] * 10 + ['{"ok": 1}'] * 4:
            parse(text)
        getattr(Lazy(), "value", None)
        gen = numbers()
        next(gen)
        gen.close()  # GeneratorExit: not an exception worth counting
        give_up()


    main()
    """)


@pytest.mark.parametrize("python", INTERPRETERS, ids=lambda p: Path(p).parent.parent.name)
def test_caught_means_it_never_left_the_project_for_good(project: Path, python: str) -> None:
    """An exception caught after passing through library frames (json's) counts as caught; one
    swallowed by getattr (in C) too; one that ends the program does not; closing a generator
    raises nothing."""
    write(project, {"round_trip.py": ROUND_TRIP})
    for mode in ("auto", "settrace"):
        result = run_traced(project, [python, "round_trip.py"], timeout=60, mode=mode)
        assert result.exit_code == 1
        by_type = {e.type: (e.function, e.line, e.raised, e.caught) for e in result.exceptions}
        assert by_type == {"KeyError": ("hook", 6, 10, 10), "AttributeError": ("Lazy.value", 20, 1, 1),
                           "ValueError": ("give_up", 24, 1, 0)}, result.mode


@pytest.mark.parametrize("python", INTERPRETERS, ids=lambda p: Path(p).parent.parent.name)
def test_uncaught_keyboard_interrupt_still_exits_by_sigint(project: Path, python: str) -> None:
    """Recording the traceback must not import: the process would then exit with 1, not by SIGINT."""
    write(project, {"stop.py": "def main():\n    raise KeyboardInterrupt\n\nmain()\n"})
    plain = subprocess.run([python, "stop.py"], cwd=project, capture_output=True, timeout=60)
    result = run_traced(project, [python, "stop.py"], timeout=60, stderr=subprocess.PIPE)
    assert plain.returncode == -signal.SIGINT and result.exit_code == 128 + signal.SIGINT
    assert [u["type"] for u in result.uncaught] == ["KeyboardInterrupt"]
    assert 'line 2, in main' in result.uncaught[0]["traceback"]


def test_crash_keeps_data_and_exit_code(project: Path) -> None:
    write(project, {"crash.py": textwrap.dedent("""\
        def step(i):
            return i * 2


        def main():
            for i in range(10):
                step(i)
            raise RuntimeError("boom")


        main()
        """)})
    result = run_traced(project, [PY, "crash.py"], stderr=subprocess.PIPE, timeout=60)
    assert result.exit_code == 1 and result.status == "failed"
    assert _fn(result, "step").calls == 10  # type: ignore[attr-defined]
    traces = _store(project, result)
    failures = traces.failures()
    assert len(failures) == 1 and failures[0]["kind"] == "uncaught"
    assert failures[0]["type"] == "RuntimeError" and failures[0]["message"] == "boom"
    assert 'crash.py", line 8, in main' in failures[0]["traceback"]


def test_a_damaged_snapshot_is_reported_and_the_others_still_count(project: Path) -> None:
    """A process's snapshot that cannot be read costs that process's figures, nothing more."""
    write(project, {"step.py": "def step(i):\n    return i * 2\n\n\nfor i in range(10):\n    step(i)\n"})
    outdir = project / "out"
    outdir.mkdir()
    subprocess.run([PY, "step.py"], cwd=project, env=collector_env(project, outdir), check=True, timeout=60)
    [good] = outdir.glob("trace-*.marshal")
    data = good.read_bytes()
    (outdir / "trace-1.marshal").write_bytes(data[: len(data) // 2])  # cut short by a full disk
    (outdir / "trace-2.marshal").write_bytes(b"not a snapshot at all")
    (outdir / "trace-3.marshal").write_bytes(marshal.dumps({"version": 1, "functions": []}))  # an older Kaizen
    result = merge_dir(outdir, TraceResult(command=[], started=0.0, duration=0.0, exit_code=0, status="ok"))
    assert _fn(result, "step").calls == 10  # type: ignore[attr-defined]
    assert [e.split(":")[0] for e in result.errors] == ["trace-1.marshal", "trace-2.marshal", "trace-3.marshal"]
    assert "unreadable" in result.errors[0] and "format 1 not understood" in result.errors[2]


def test_hard_exit_code_preserved(project: Path) -> None:
    write(project, {"exit.py": "import sys\n\ndef f():\n    sys.exit(7)\n\nf()\n"})
    result = run_traced(project, [PY, "exit.py"], timeout=60)
    assert result.exit_code == 7 and _fn(result, "f").calls == 1  # type: ignore[attr-defined]


def test_timeout_kill_keeps_data(project: Path) -> None:
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
    # The timeout is generous only so that a slow start on a loaded machine still gets to
    # 500 calls; what is checked does not depend on how long the program ran.
    t0 = time.monotonic()
    result = run_traced(project, [PY, "loop.py"], timeout=4.0, stdout=subprocess.PIPE)
    assert time.monotonic() - t0 < 60
    assert result.status == "timeout" and result.exit_code == 124
    assert (project / "ready").exists(), "main() did not make 500 calls within the timeout"
    ran = float((project / "ready").read_text())
    tick = _fn(result, "tick")
    assert tick.calls >= 500  # type: ignore[attr-defined]
    assert _fn(result, "main").total >= ran  # type: ignore[attr-defined]  # the running frame counts


@pytest.mark.slow
def test_timeout_kills_sigterm_ignoring_program_and_children(project: Path) -> None:
    """The program replaces our SIGTERM handler: periodic flushes still keep the data."""
    write(project, {"stubborn.py": textwrap.dedent("""\
        import signal, subprocess, sys, time

        def nap():
            time.sleep(0.05)

        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        with open("child.pid", "w") as fh:
            fh.write(str(child.pid))
        while True:
            nap()
        """)})
    result = run_traced(project, [PY, "stubborn.py"], timeout=1.5, stdout=subprocess.PIPE, flush_s=0.2)
    assert result.status == "timeout" and result.exit_code == 124
    assert _fn(result, "nap").calls >= 5  # type: ignore[attr-defined]
    child = int((project / "child.pid").read_text())
    for _ in range(100):  # the sleeping grandchild went down with the process group
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"grandchild {child} survived the timeout")


OUTPUT = textwrap.dedent("""\
    import sys, warnings


    def main():
        print("out:", [i * i for i in range(5)])
        print("err line", file=sys.stderr)
        sys.stdout.write("no newline")
        return 3


    sys.exit(main())
    """)


def test_output_and_exit_code_unchanged(project: Path) -> None:
    write(project, {"out.py": OUTPUT})
    plain = subprocess.run([PY, "out.py"], cwd=project, capture_output=True)
    result = run_traced(project, [PY, "out.py"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert result.exit_code == plain.returncode == 3
    assert _fn(result, "main").calls == 1  # type: ignore[attr-defined]
    # Run again capturing bytes through the CLI path to compare output byte for byte.
    env = os.environ.copy()
    cli = subprocess.run([PY, str(ROOT / "main.py"), "trace", str(project), "-q", "--", PY, "out.py"],
                         capture_output=True, env=env)
    assert cli.returncode == 3
    assert cli.stdout == plain.stdout
    assert cli.stderr == plain.stderr


def test_existing_sitecustomize_still_runs(project: Path, tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    write(extra, {"sitecustomize.py": "import os\nos.environ['FROM_USER_SITECUSTOMIZE'] = 'yes'\n"})
    write(project, {"show.py": "import os\n\ndef f():\n    return os.environ.get('FROM_USER_SITECUSTOMIZE')\n\nprint(f())\n"})
    env = {**os.environ, "PYTHONPATH": str(extra)}
    result = run_traced(project, [PY, "show.py"], env=env, stdout=subprocess.PIPE, timeout=60)
    assert result.exit_code == 0 and _fn(result, "f").calls == 1  # type: ignore[attr-defined]
    out = subprocess.run([PY, "show.py"], cwd=project, env={**env, "PYTHONPATH": f"{ROOT / 'analysis/collector'}:{extra}",
                                                             "KAIZEN_TRACE_DIR": str(tmp_path)},
                         capture_output=True, text=True)
    assert out.stdout.strip() == "yes"


def test_virtualenv_code_is_not_project_code(project: Path) -> None:
    write(project, {
        "env/pyvenv.cfg": "home = /usr\n",
        "env/lib/helper.py": "def helped():\n    return 1\n",
        "lib/site-packages/other.py": "def other():\n    return 2\n",
        "app.py": textwrap.dedent("""\
            import sys
            sys.path[:0] = ["env/lib", "lib/site-packages"]
            import helper, other


            def mine():
                return helper.helped() + other.other()


            mine()
            """),
    })
    result = run_traced(project, [PY, "app.py"], timeout=60)
    assert {f.name for f in result.functions} == {"<module>", "mine"}
    assert {f.path for f in result.functions} == {"app.py"}


def test_live_mode_streams_deltas(project: Path) -> None:
    write(project, {"server.py": textwrap.dedent("""\
        import time


        def handle(i):
            return i


        for i in range(30):
            handle(i)
            time.sleep(0.02)
        """)})
    live = project / "live.jsonl"
    result = run_traced(project, [PY, "server.py"], live=live, timeout=60)
    assert result.exit_code == 0
    records, offset = tail_live(live)
    assert offset == live.stat().st_size and records
    assert records[-1].final
    calls = sum(f["calls"] for r in records for f in r.functions if f["name"] == "handle")
    assert calls == 30
    more, offset2 = tail_live(live, offset)
    assert more == [] and offset2 == offset
    with live.open("ab") as fh:  # a half-written line is left for later
        fh.write(b'{"pid": 1')
    assert tail_live(live, offset) == ([], offset)


def test_cli_trace_and_hotspots(project: Path) -> None:
    write(project, {"raises.py": RAISES})
    run = subprocess.run([PY, str(ROOT / "main.py"), "trace", str(project), "--", PY, "raises.py"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "trace #1 ok" in run.stderr
    hot = subprocess.run([PY, str(ROOT / "main.py"), "hotspots", str(project), "--json", "--limit", "3"],
                         capture_output=True, text=True)
    assert hot.returncode == 0, hot.stderr
    rows = json.loads(hot.stdout)
    assert len(rows) == 3 and {"path", "function", "calls", "own_share", "exceptions"} <= set(rows[0])
    lookup = [r for r in json.loads(subprocess.run(
        [PY, str(ROOT / "main.py"), "hotspots", str(project), "--json", "--limit", "50"],
        capture_output=True, text=True).stdout) if r["function"] == "lookup"]
    assert lookup[0]["calls"] == 3000 and lookup[0]["exceptions"] == 1000


def test_cli_usage_errors(project: Path) -> None:
    hot = subprocess.run([PY, str(ROOT / "main.py"), "hotspots", str(project)], capture_output=True, text=True)
    assert hot.returncode == 2 and "no trace yet" in hot.stderr
    bad = subprocess.run([PY, str(ROOT / "main.py"), "trace", str(project), "--", "no-such-program-xyz"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "cannot run no-such-program-xyz" in bad.stderr
    zero = subprocess.run([PY, str(ROOT / "main.py"), "trace", str(project), "--timeout", "0", "--", "true"],
                          capture_output=True, text=True)
    assert zero.returncode == 2 and "--timeout must be positive" in zero.stderr
