"""What mutants and replay cost beside the plain test run they add evidence to.

    python bench/evidence_bench.py [--projects stdlib boltons] [--repeat 3]

For functions of real modules (copies of the standard library's ``heapq`` and ``bisect``
with their C accelerators switched off and a test file written here; boltons' ``strutils``,
``iterutils`` and ``mathutils`` with their own tests, from the sdist fetched into
bench/.cache/), it times, unconfined, in this interpreter:

* the plain run of the covering tests (pytest with Kaizen's outcomes plugin, the median of
  --repeat runs);
* one mutation run of the function (``validation.mutants`` = 8, the default budget), not
  cached;
* one replay of the function on the real calls a trace of those tests recorded (an
  equivalent rewrite for boltons' ``format_int_list``; elsewhere the "new" code is the
  original itself, which costs replay the same);

and prints the killed/total mutants and the ratio (mutants + replay) / plain, which issue
#19 wants at most 2x with the default budget.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from analysis.trace_store import TraceStore  # noqa: E402
from analysis.tracing import run_traced  # noqa: E402
from suggestions.store import Store  # noqa: E402
from suggestions.validate.mutants import mutation_score  # noqa: E402
from suggestions.validate.outcomes import ENV_DIR, PLUGIN_DIR  # noqa: E402
from suggestions.validate.replay import replay_change  # noqa: E402
from suggestions.validate.runner import RunResult, run_command  # noqa: E402

STDLIB_TESTS = '''
import random
import pytest
import myheapq as h
import mybisect as b


@pytest.mark.parametrize("seed", range(20))
def test_heap(seed):
    r = random.Random(seed)
    data = [r.randrange(100) for _ in range(50)]
    heap = []
    for x in data:
        h.heappush(heap, x)
    assert [h.heappop(heap) for _ in range(len(heap))] == sorted(data)
    assert h.nsmallest(5, data) == sorted(data)[:5]
    assert h.nlargest(5, data) == sorted(data, reverse=True)[:5]
    assert list(h.merge(sorted(data[:25]), sorted(data[25:]))) == sorted(data)


@pytest.mark.parametrize("seed", range(20))
def test_bisect(seed):
    r = random.Random(seed)
    data = sorted(r.randrange(50) for _ in range(40))
    for x in range(-1, 52):
        assert b.bisect_left(data, x) == sum(1 for y in data if y < x)
        assert b.bisect_right(data, x) == sum(1 for y in data if y <= x)
    a = list(data)
    b.insort(a, 25)
    assert a == sorted(data + [25])
'''

# (module, test file, functions, an equivalent edit for replay: (old text, new text) or None)
CASES = {
    "stdlib": [
        ("myheapq.py", "test_std.py", ["heappush", "heappop", "_siftdown", "merge"], None),
        ("mybisect.py", "test_std.py", ["bisect_left", "bisect_right", "insort_right"], None),
    ],
    "boltons": [
        ("boltons/strutils.py", "tests/test_strutils.py", ["strip_ansi", "bytes2human", "parse_int_list",
                                                            "format_int_list", "multi_replace"],
         ("output_str = delim.join(output)", "output_str = str(delim).join(list(output))")),
        ("boltons/iterutils.py", "tests/test_iterutils.py", ["chunked", "windowed_iter", "remap", "first"], None),
        ("boltons/mathutils.py", "tests/test_mathutils.py", ["clamp", "ceil", "floor"], None),
    ],
}


def _env(root: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "KAIZEN_"))}
    env.update(extra)
    env["PYTHONPATH"] = os.pathsep.join([str(PLUGIN_DIR), str(root)])
    return env


def pytest_runner(root: Path):  # type: ignore[no-untyped-def]
    def run(tests, extra_args, extra_env, writable, timeout) -> RunResult:  # type: ignore[no-untyped-def]
        io = Path(tempfile.mkdtemp(prefix="io-"))
        try:
            argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "_kaizen_outcomes",
                    *extra_args, *tests]
            return run_command(argv, root, timeout, env=_env(root, {**extra_env, ENV_DIR: str(io)}), outcomes=io)
        finally:
            shutil.rmtree(io, ignore_errors=True)
    return run


def python_runner(root: Path):  # type: ignore[no-untyped-def]
    def run(argv, extra_env, writable, timeout) -> RunResult:  # type: ignore[no-untyped-def]
        return run_command([sys.executable, *argv], root, timeout, env=_env(root, extra_env))
    return run


def project(name: str) -> Path:
    dest = Path(tempfile.mkdtemp(prefix=f"evidence-{name}-")) / name
    if name == "boltons":
        from trace_bench import fetch

        shutil.copytree(fetch("boltons==26.2.0"), dest)
        return dest
    dest.mkdir()
    import bisect
    import heapq

    for mod, out in ((heapq, "myheapq.py"), (bisect, "mybisect.py")):
        text = Path(mod.__file__ or "").read_text()
        text = text.replace(f"    from _{mod.__name__} import *", "    raise ImportError")  # the Python code
        (dest / out).write_text(text)
    (dest / "test_std.py").write_text(STDLIB_TESTS)
    return dest


def functions(path: Path) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.FunctionDef) and node.name not in out:
            out[node.name] = (node.lineno, node.end_lineno or node.lineno)
    return out


def bench(name: str, repeat: int) -> None:
    root = project(name)
    run = pytest_runner(root)
    traced = run_traced(root, [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               *sorted({c[1] for c in CASES[name]})], timeout=900, stdout=subprocess.DEVNULL)
    traces = TraceStore(Store(root))
    traces.add(traced)
    print(f"\n{name}: traced in {traced.duration:.1f}s, {sum(len(f.values) for f in traced.functions)} real calls kept")
    print(f"{'function':<36} {'plain s':>8} {'mutants s':>9} {'killed':>7} {'replay s':>8} {'ratio':>6}")
    ratios = []
    for rel, test, names, edit in CASES[name]:
        plain = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            res = run([test], [], {}, [], 600)
            plain.append(time.perf_counter() - t0)
            if not res.ok:
                raise SystemExit(f"{test} does not pass on the original code:\n{res.output[-2000:]}")
        base = statistics.median(plain)
        source = (root / rel).read_bytes()
        spans = functions(root / rel)
        for fn in names:
            with tempfile.TemporaryDirectory() as work:
                t0 = time.perf_counter()
                m = mutation_score(root, rel, source, [spans[fn]], [test], run, limit=8, budget_s=60.0,
                                   work_dir=Path(work))
                t_mut = time.perf_counter() - t0
                patched = source
                if edit is not None and edit[0].encode() in source:
                    patched = source.replace(edit[0].encode(), edit[1].encode(), 1)
                t0 = time.perf_counter()
                r = replay_change(root, rel, source, patched, [spans[fn]], traces, python_runner(root), timeout=120,
                                  work_dir=Path(work))
                t_rep = time.perf_counter() - t0
            ratio = (t_mut + t_rep) / base
            ratios.append(ratio)
            print(f"{rel.rsplit('/', 1)[-1] + ':' + fn:<36} {base:>8.2f} {t_mut:>9.2f} {m.killed:>3}/{m.total:<3} "
                  f"{t_rep:>8.2f} {ratio:>5.2f}x  replayed {r.replayed}, {r.mismatches} mismatches")
    print(f"{name}: (mutants + replay) / plain run: median {statistics.median(ratios):.2f}x, max {max(ratios):.2f}x")
    shutil.rmtree(root.parent, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", nargs="+", choices=sorted(CASES), default=sorted(CASES, reverse=True))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    for name in args.projects:
        bench(name, max(1, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
