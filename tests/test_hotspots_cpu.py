"""Hotspots tell computing from waiting: a real traced program in which threads block on a lock
while the main thread sleeps, and one function burns CPU.

Deterministic by construction, not by timing: each waiter says it is in (an Event) before it
blocks, and the main thread holds the lock until after that, so a waiter's own time is spent
blocked whatever the machine's load, and its CPU time is a few microseconds; the computing
function burns the same CPU however long the machine makes it wait for a core.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from analysis.store import Store
from analysis.trace_store import TraceStore
from analysis.tracing import run_traced
from tests.conftest import write

ROOT = Path(__file__).resolve().parent.parent
PYTHONS = [sys.executable, *(
    str(p) for p in (Path.home() / ".pyenv/versions/3.12.1/bin/python", Path.home() / ".pyenv/versions/3.13.0/bin/python")
    if p.exists()
)]

PROG = textwrap.dedent('''\
    import threading
    import time

    lock = threading.Lock()
    inside = [threading.Event() for _ in range(3)]


    def waiter(i):
        inside[i].set()
        with lock:  # blocks: main holds it until every waiter is in, and a while more
            pass


    def compute(n):
        total = 0
        for i in range(n):
            total += i * i
        return total


    def main():
        lock.acquire()
        threads = [threading.Thread(target=waiter, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for e in inside:
            e.wait()
        time.sleep(0.2)
        lock.release()
        for t in threads:
            t.join()
        return compute(1_000_000)


    main()
    ''')


def _rows(root: Path) -> dict[str, dict]:
    with Store(root) as store:
        return {r["function"]: {**r, "rank": i} for i, r in enumerate(TraceStore(store).hotspots(50))}


@pytest.mark.parametrize("python", PYTHONS, ids=lambda p: "py" + subprocess.run(
    [p, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True).stdout.strip())
@pytest.mark.parametrize("mode", ["auto", "settrace"])
def test_computing_ranks_first_and_waiting_is_labelled(project: Path, python: str, mode: str) -> None:
    if mode == "settrace" and python != sys.executable:
        pytest.skip("settrace is the 3.11 fallback")
    write(project, {"prog.py": PROG})
    result = run_traced(project, [python, "prog.py"], mode=mode, timeout=120)
    assert result.exit_code == 0, result.errors
    with Store(project) as store:
        TraceStore(store).add(result)
    rows = _rows(project)
    compute, waiter = rows["compute"], rows["waiter"]
    assert compute["cpu_s"] is not None and waiter["cpu_s"] is not None
    assert compute["cpu_s"] > waiter["cpu_s"]  # microseconds against a million iterations
    assert compute["rank"] == 0  # first of all: the waiters, main (it sleeps), the module body
    assert waiter["waiting"]  # under a tenth of its own time on the CPU: it was blocked
    assert waiter["wait_s"] > waiter["cpu_s"]


def test_kaizen_hotspots_shows_cpu_and_waiting(project: Path) -> None:
    write(project, {"prog.py": PROG})
    traced = subprocess.run([sys.executable, str(ROOT / "main.py"), "trace", str(project), "--", sys.executable, "prog.py"],
                            capture_output=True, text=True, timeout=180)
    assert traced.returncode == 0, traced.stderr
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "hotspots", str(project)],
                         capture_output=True, text=True, timeout=60).stdout
    lines = out.splitlines()
    assert lines[1].split()[:3] == ["cpu%", "own%", "wait%"]
    body = [ln for ln in lines[2:] if "prog.py:" in ln]
    assert body[0].split()[-1] == "compute"
    assert [ln for ln in body if ln.rstrip().endswith("waiter  (waiting)")]
    data = json.loads(subprocess.run([sys.executable, str(ROOT / "main.py"), "hotspots", str(project), "--json"],
                                     capture_output=True, text=True, timeout=60).stdout)
    assert data[0]["function"] == "compute" and {"cpu_s", "wait_s", "own_s", "waiting"} <= set(data[0])


@pytest.mark.gui
def test_hotspots_view_ranks_by_cpu_and_labels_waiting(project: Path, qtbot) -> None:
    pytest.importorskip("pytestqt")
    from ui.hotspots import HotspotsView

    write(project, {"prog.py": PROG})
    result = run_traced(project, [sys.executable, "prog.py"], timeout=120)
    assert result.exit_code == 0, result.errors
    with Store(project) as store:
        traces = TraceStore(store)
        traces.add(result)
        data = (traces.latest(), traces.hotspots(200), [])
    view = HotspotsView()
    qtbot.addWidget(view)
    view._show(data)
    names = [view.table.topLevelItem(i).text(0) for i in range(view.table.topLevelItemCount())]
    assert names[0] == "compute"
    assert "waiter  (waiting)" in names
    header = view.table.headerItem()
    assert [header.text(c) for c in (4, 5, 6)] == ["CPU time", "Own time", "Waiting"]


def test_llm_hotspot_targets_skip_waiting_functions(project: Path) -> None:
    """A function blocked on a lock is no target for "make it faster": no algorithm helps it."""
    from analysis.config import load_config
    from suggestions.llm.engine import LLMEngine

    write(project, {"prog.py": PROG})
    result = run_traced(project, [sys.executable, "prog.py"], timeout=120)
    assert result.exit_code == 0, result.errors
    with Store(project) as store:
        TraceStore(store).add(result)
        assert _rows(project)["waiter"]["waiting"]
        engine = LLMEngine(project, load_config(project), store, environ={})
        names = [t.evidence.get("function") for t in engine.hotspot_targets(limit=10)]
    assert "compute" in names
    assert "waiter" not in names
