"""The sys.monitoring collector (Python 3.12+), run for real on every such interpreter here.

While a process runs one thread, project functions are counted and timed in C by
``_lsprof``; while other threads run, Python tracks every thread and times a sample of
calls. These tests run programs that cross between the two and check that counts and callers
stay exact, and that times stay consistent, across the hand-overs.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from analysis.store import Store
from analysis.trace_store import TraceStore
from analysis.tracing import FunctionStats, TraceResult, run_traced
from tests.conftest import write

MONITORING = [
    str(p) for p in (
        Path.home() / ".pyenv/versions/3.12.1/bin/python",
        Path.home() / ".pyenv/versions/3.13.0/bin/python",
    )
    if p.exists()
]

pytestmark = pytest.mark.skipif(not MONITORING, reason="no Python 3.12+ interpreter on this machine")
interpreters = pytest.mark.parametrize("python", MONITORING, ids=lambda p: Path(p).parent.parent.name)


def _at(source: str, name: str) -> str:
    """The collector's key of a function: ``file:qualname:first line``."""
    line = next(i for i, text in enumerate(source.splitlines(), 1) if text.startswith(f"def {name}("))
    return f"{name}:{line}"


def _fn(result: TraceResult, name: str) -> FunctionStats:
    found = [f for f in result.functions if f.name == name]
    assert len(found) == 1, f"{name}: {[f.key for f in result.functions]}"
    return found[0]


PHASES = textwrap.dedent("""\
    import sys
    import threading


    def work(n):
        total = 0
        for i in range(n):
            total += i
        return total


    def fails(n):
        if n % 2:
            raise ValueError(n)
        return n


    def deep(n):
        return fails(n)


    def safe(n):
        try:
            return deep(n)
        except ValueError:
            return -1


    def gen(n):
        for i in range(n):
            yield work(i)


    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)


    def phase(k):
        for i in range(k):
            work(10)
            safe(i)
        fib(10)
        return sum(gen(5))


    def worker():
        phase(100)


    def main():
        phase(300)  # one thread: _lsprof
        threads = [threading.Thread(target=worker) for _ in range(3)]
        for t in threads:
            t.start()
        phase(50)  # beside the workers: Python
        for t in threads:
            t.join()
        phase(200)  # one thread again: _lsprof
        print("done")


    main()
    """)


@interpreters
def test_counts_and_callers_stay_exact_across_thread_hand_overs(project: Path, python: str) -> None:
    write(project, {"phases.py": PHASES})
    result = run_traced(project, [python, "phases.py"], stdout=subprocess.PIPE, timeout=60)
    assert result.exit_code == 0 and result.mode == "monitoring"
    assert not result.errors
    k = 300 + 3 * 100 + 50 + 200  # loop turns of phase() over its 6 calls
    assert _fn(result, "main").calls == 1 and _fn(result, "main").callers == {"phases.py:<module>:1": 1}
    phase = _fn(result, "phase")
    assert phase.calls == 6 and phase.callers == {"phases.py:" + _at(PHASES, "main"): 3, "phases.py:" + _at(PHASES, "worker"): 3}
    assert _fn(result, "worker").calls == 3 and _fn(result, "worker").callers == {"<external>": 3}
    work = _fn(result, "work")
    # the generator's calls count for its consumer, as its time does
    assert work.calls == k + 6 * 5 and work.callers == {"phases.py:" + _at(PHASES, "phase"): k + 6 * 5}
    assert _fn(result, "gen").calls == 6 and _fn(result, "gen").time_exact  # not timed, not estimated
    assert _fn(result, "safe").calls == k and _fn(result, "deep").callers == {"phases.py:" + _at(PHASES, "safe"): k}
    assert _fn(result, "fails").callers == {"phases.py:" + _at(PHASES, "deep"): k}
    fib = _fn(result, "fib")
    assert fib.calls == 6 * 177 and fib.callers == {"phases.py:" + _at(PHASES, "phase"): 6, "phases.py:" + _at(PHASES, "fib"): 6 * 176}
    odd = 150 + 3 * 50 + 25 + 100
    by_type = {e.type: e for e in result.exceptions}
    assert by_type["ValueError"].raised == odd and by_type["ValueError"].caught == odd
    assert (by_type["ValueError"].function, by_type["ValueError"].line) == ("fails", 14)
    for f in result.functions:
        assert 0 <= f.own <= f.total + 1e-6, f.key
    # Inclusive times nest: an exception unwinding through deep and fails closes them both.
    # Every call of these was timed (no thread called one 128 times), so this is exact.
    assert all(_fn(result, n).timed == _fn(result, n).calls for n in ("fails", "deep", "safe", "phase"))
    assert _fn(result, "fails").total <= _fn(result, "deep").total + 1e-6 <= _fn(result, "safe").total + 2e-6
    # phase() runs in main() and in each worker(), threads whose times add up (their spans
    # overlap): its total is within theirs summed, not within main's alone.
    assert phase.total <= _fn(result, "main").total + _fn(result, "worker").total + 1e-6
    # No thread ran beside these: every call was timed (by _lsprof, in C).
    assert fib.time_exact and work.time_exact and work.timed == work.calls


LOOP = textwrap.dedent("""\
    def step(i):
        return i * 2


    def main():
        for i in range(20000):
            step(i)


    main()
    """)


@interpreters
def test_hot_function_is_timed_every_call_with_one_thread(project: Path, python: str) -> None:
    write(project, {"loop.py": LOOP})
    result = run_traced(project, [python, "loop.py"], timeout=60)
    step = _fn(result, "step")
    assert step.calls == 20000 and step.timed == 20000 and step.callers == {"loop.py:main:5": 20000}
    assert 0 < step.total <= _fn(result, "main").total
    # types are sampled on the first calls only (Python sees no other call)
    assert step.arg_types == {"i": {"int": step.sampled}} and 0 < step.sampled <= 32


THREADED_HOT = textwrap.dedent("""\
    import threading


    def step(i):
        return i * 2


    def worker():
        for i in range(5000):
            step(i)


    def main():
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


    main()
    """)


@interpreters
def test_threads_time_a_sample_and_count_every_call(project: Path, python: str) -> None:
    write(project, {"hot.py": THREADED_HOT})
    result = run_traced(project, [python, "hot.py"], timeout=60)
    step = _fn(result, "step")
    assert step.calls == 10000 and step.callers == {"hot.py:worker:8": 10000}
    # each thread times its first 128 calls, then one in 32: the rest is estimated from them
    assert 2 * 128 < step.timed < 2 * (128 + 5000 // 32 + 1) and not step.time_exact
    assert 0 < step.own <= step.total


HANDOVER_RACE = textwrap.dedent("""\
    import threading
    import time

    _enumerate = threading.enumerate


    def slow_enumerate():
        # An ending thread that looks for the others (as the collector does, to hand the
        # timing back to _lsprof) takes long: the next thread starts in between.
        found = _enumerate()
        yield from found
        if threading.current_thread() is not threading.main_thread():
            time.sleep(0.05)


    threading.enumerate = slow_enumerate


    def step(i):
        return i * 2


    def worker(n):
        for i in range(n):
            step(i)


    def main():
        first = threading.Thread(target=worker, args=(10,))
        first.start()
        time.sleep(0.01)
        second = threading.Thread(target=worker, args=(199990,))
        second.start()
        first.join()
        second.join()


    main()
    """)


@interpreters
def test_a_thread_starting_while_the_last_one_ends_is_still_told_apart(project: Path, python: str) -> None:
    # Once, a thread that started while the previous one was switching back to _lsprof ran
    # under _lsprof beside the main thread: _lsprof gave its calls to main().
    write(project, {"race.py": HANDOVER_RACE})
    result = run_traced(project, [python, "race.py"], timeout=60)
    step = _fn(result, "step")
    assert step.calls == 200000 and step.callers == {f"race.py:{_at(HANDOVER_RACE, 'worker')}": 200000}


HANDBACK_RACE = textwrap.dedent("""\
    import sys
    import threading
    import time

    ending = threading.Event()


    def slowed(real):
        # In the worker that is ending, these take long: the collector calls them there (to
        # find the threads left and their running calls) when it hands the timing back to
        # _lsprof, while the main thread goes on calling project functions.
        def slow(*args):
            found = real(*args)
            if ending.is_set() and threading.current_thread() is not threading.main_thread():
                time.sleep(0.1)
            return found
        return slow


    threading.enumerate = slowed(threading.enumerate)
    sys._current_frames = slowed(sys._current_frames)


    def step(i):
        return i * 2


    def after(i):
        return i + 1


    def worker():
        for i in range(100):
            step(i)
        ending.set()


    def spin(t):
        # calls step() until the worker has ended (hand-over included), and a while after
        n = 0
        while t.is_alive() or n < 1000:
            n += 1
            step(n)
        return n


    def main():
        t = threading.Thread(target=worker)
        t.start()
        n = spin(t)
        t.join()
        for i in range(500):  # one thread again: _lsprof's
            after(i)
        with open("spun", "w") as f:
            f.write(str(n))


    main()
    """)


@interpreters
def test_the_thread_left_keeps_running_while_the_last_other_one_ends(project: Path, python: str) -> None:
    # The thread that ended last used to switch the timing back to _lsprof itself, while the
    # main thread was still calling functions: those calls went to _lsprof before it knew of
    # the main thread's running calls (their caller came out as <external>), and the main
    # thread's Python stack was emptied under it.
    write(project, {"handback.py": HANDBACK_RACE})
    result = run_traced(project, [python, "handback.py"], timeout=60)
    assert result.exit_code == 0 and result.mode == "monitoring" and not result.errors
    n = int((project / "spun").read_text())
    step = _fn(result, "step")
    at = {name: f"handback.py:{_at(HANDBACK_RACE, name)}" for name in ("worker", "spin", "main")}
    assert step.calls == 100 + n and step.callers == {at["worker"]: 100, at["spin"]: n}
    spin, main = _fn(result, "spin"), _fn(result, "main")
    assert spin.calls == 1 and spin.callers == {at["main"]: 1}
    assert main.calls == 1 and main.callers == {"handback.py:<module>:1": 1}
    # _lsprof has the timing back: every call after the worker ended is timed
    after = _fn(result, "after")
    assert after.calls == 500 and after.callers == {at["main"]: 500} and after.timed == 500
    for f in result.functions:
        assert 0 <= f.own <= f.total + 1e-6, f.key
    assert spin.total <= main.total + 1e-6


TIMEOUT = textwrap.dedent("""\
    import time


    def tick():
        return 1


    def main():
        start = time.perf_counter()
        for _ in range(100):
            tick()
        time.sleep(0.2)
        with open("ready", "w") as f:  # main() has run this long so far
            f.write(repr(time.perf_counter() - start))
        while True:
            time.sleep(0.01)


    main()
    """)


@interpreters
def test_timeout_keeps_the_running_call(project: Path, python: str) -> None:
    # The program says how long main() had run when it started waiting; the timeout kills it
    # later (the generous timeout only bounds a very slow start on a loaded machine).
    write(project, {"forever.py": TIMEOUT})
    result = run_traced(project, [python, "forever.py"], timeout=4)
    assert result.status == "timeout"
    assert (project / "ready").exists(), "main() did not get going within the timeout"
    ran = float((project / "ready").read_text())
    main = _fn(result, "main")
    # still running when killed: _lsprof closes the call with the time it had run
    assert main.calls == 1 and main.total >= ran >= 0.2
    assert _fn(result, "tick").calls == 100


FORKS = textwrap.dedent("""\
    import multiprocessing as mp
    import sys


    def square(x):
        return x * x


    def main():
        square(1)
        with mp.get_context(sys.argv[1]).Pool(2) as pool:
            print(sum(pool.map(square, range(20))))
        square(2)


    if __name__ == "__main__":
        main()
    """)


@interpreters
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_pool_workers_start_their_own_figures(project: Path, python: str, method: str) -> None:
    write(project, {"forks.py": FORKS})
    result = run_traced(project, [python, "forks.py", method], stdout=subprocess.PIPE, timeout=120)
    assert result.exit_code == 0
    assert _fn(result, "square").calls == 22 and _fn(result, "main").calls == 1
    assert len(result.processes) >= 2  # the parent and the workers that got work


@interpreters
def test_python_timing_alone_counts_exactly_and_estimates_time(project: Path, python: str) -> None:
    """With no tool id to spare for _lsprof (forced here), Python tracks every call."""
    write(project, {"phases.py": PHASES})
    result = run_traced(project, [python, "phases.py"], stdout=subprocess.PIPE, timeout=60, mode="monitoring-python")
    assert result.exit_code == 0 and not result.errors
    k = 300 + 3 * 100 + 50 + 200
    work, fib = _fn(result, "work"), _fn(result, "fib")
    assert work.calls == k + 30 and work.callers == {"phases.py:" + _at(PHASES, "phase"): k + 30}
    assert fib.calls == 6 * 177 and sum(fib.callers.values()) == fib.calls
    assert set(fib.callers) == {"phases.py:" + _at(PHASES, "phase"), "phases.py:" + _at(PHASES, "fib")}
    assert not fib.time_exact and 0 < fib.timed < fib.calls
    assert _fn(result, "main").calls == 1 and _fn(result, "phase").calls == 6
    for f in result.functions:
        assert 0 <= f.own <= f.total + 1e-6, f.key
    # the store and `kaizen hotspots` say which times were estimated
    with Store(project) as store:
        traces = TraceStore(store)
        traces.add(result)
        assert {f.name: f.timed for f in traces.functions()}["fib"] == fib.timed
        rows = {r["function"]: r for r in traces.hotspots(limit=50)}
        assert rows["fib"]["time_exact"] is False and rows["main"]["time_exact"] is True


@interpreters
def test_traced_program_can_still_use_cprofile(project: Path, python: str) -> None:
    write(project, {"prof.py": textwrap.dedent("""\
        import cProfile


        def work():
            return sum(range(100))


        cProfile.run("work()", "out.prof")
        print("profiled")
        """)})
    result = run_traced(project, [python, "prof.py"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert result.exit_code == 0 and (project / "out.prof").exists()


CHURN = textwrap.dedent("""\
    import threading


    def step(i):
        return i + 1


    def job():
        for i in range(20):
            step(i)


    def main():
        for _ in range(60):  # one thread at a time: _lsprof and Python take turns, then Python stays
            t = threading.Thread(target=job)
            t.start()
            t.join()
            step(0)


    main()
    """)


@interpreters
def test_many_short_threads_keep_exact_counts(project: Path, python: str) -> None:
    write(project, {"churn.py": CHURN})
    result = run_traced(project, [python, "churn.py"], timeout=60)
    assert result.exit_code == 0 and not result.errors
    step, job = _fn(result, "step"), _fn(result, "job")
    assert step.calls == 60 * 21 and job.calls == 60 and _fn(result, "main").calls == 1
    assert step.callers == {"churn.py:" + _at(CHURN, "job"): 1200, "churn.py:" + _at(CHURN, "main"): 60}
    assert 0 < step.own <= step.total
