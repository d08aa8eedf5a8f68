"""Overhead of `kaizen trace` on real test suites, beside `coverage run` and cProfile.

    python bench/trace_bench.py [--python 3.11 3.12] [--projects boltons attrs] [--repeat 1] [--bytecode]

Fetches the sdists of boltons==26.2.0 and attrs (latest) into bench/.cache/, makes one venv
per interpreter there (pytest, hypothesis, coverage, pympler, cloudpickle), then runs each
project's tests, in one run, four ways: plain, under `kaizen trace` (everything on: timing,
callers, exceptions, types, per-test line coverage), under `coverage run` and under
`python -m cProfile`. It prints wall time and CPU time (of the child processes) and the
ratios to the plain run. The machine is shared, so CPU time is the steadier figure; each
mode takes the minimum of --repeat runs, interleaved.

On Python 3.11 the collector compiles the project's modules with probes and caches that code
in the project's Kaizen store: ``kaizen`` is a run with that cache warm (the usual case: the
same suite traced again), ``kaizen-cold`` a run that first empties it (an untimed kaizen run
comes first). By default the project's ``__pycache__`` folders are removed and every mode runs
with PYTHONDONTWRITEBYTECODE=1, so every plain run compiles the project from source and pytest
rewrites every test module again (as the figures in the notes so far were measured).
``kaizen-script`` (not run by default) starts the same pytest run from a project script
(``python _kaizen_bench_script.py -q tests``), which 3.11 re-executes to instrument it.
``--bytecode`` lets every mode use and write ``__pycache__`` instead (after an untimed plain
run), as a developer's own runs do: the comparison least favourable to Kaizen, whose project
code never comes from ``__pycache__``, and to fixed costs in general (the plain runs are
shorter).

``--instructions`` runs each mode under valgrind's cachegrind instead and compares the
instructions the test process executed (PYTHONHASHSEED=0; Kaizen's periodic flush is off,
since valgrind stretches a 2 s run to minutes): on a shared machine whose CPU times swing by
15% or more, the figure that can tell a 3% change. Instructions are not time (a callback's
are dearer than the interpreter's own loop), and threaded tests still vary a little.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
sys.path.insert(0, str(ROOT))

from analysis.tracing import instrument_cache, run_traced  # noqa: E402

PYTHONS = {
    "3.11": Path.home() / ".pyenv/versions/3.11.7/bin/python",
    "3.12": Path.home() / ".pyenv/versions/3.12.1/bin/python",
    "3.13": Path.home() / ".pyenv/versions/3.13.0/bin/python",
}
ATTRS_TESTS = [
    "tests/test_funcs.py", "tests/test_dunders.py", "tests/test_validators.py", "tests/test_converters.py",
    "tests/test_setattr.py", "tests/test_slots.py", "tests/test_next_gen.py", "tests/test_filters.py",
    "tests/test_cmp.py", "tests/test_hooks.py", "tests/test_annotations.py",
]
PROJECTS = {
    "boltons": ("boltons==26.2.0", ["tests"], {}),
    "attrs": ("attrs", ATTRS_TESTS, {"PYTHONPATH": "src"}),
}
PIP_PACKAGES = ["pytest", "hypothesis", "coverage", "pympler", "cloudpickle"]


def fetch(spec: str) -> Path:
    """Download and unpack an sdist (once); returns its source folder."""
    sdists = CACHE / "sdists"
    name = spec.split("==")[0]
    found = sorted(sdists.glob(f"{name}-*.tar.gz")) if sdists.exists() else []
    if "==" in spec:
        found = [p for p in found if p.name == f"{name}-{spec.split('==')[1]}.tar.gz"]
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps", spec,
                        "-d", str(sdists)], check=True, stdout=subprocess.DEVNULL)
        found = sorted(sdists.glob(f"{name}-*.tar.gz"))
        if "==" in spec:
            found = [p for p in found if p.name == f"{name}-{spec.split('==')[1]}.tar.gz"]
    archive = found[-1]
    dest = CACHE / "src" / archive.name.removesuffix(".tar.gz")
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:
            tar.extractall(dest.parent, filter="data")
    return dest


def venv(version: str) -> Path:
    """A venv for one interpreter with what the test suites need."""
    env = CACHE / f"venv-{version}"
    py = env / "bin" / "python"
    if not py.exists():
        subprocess.run([str(PYTHONS[version]), "-m", "venv", str(env)], check=True)
    probe = subprocess.run([str(py), "-c", "import pytest, hypothesis, coverage, pympler"], capture_output=True)
    if probe.returncode:
        subprocess.run([str(py), "-m", "pip", "install", "-q", *PIP_PACKAGES], check=True)
    return py


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_mode(mode: str, py: Path, src: Path, tests: list[str], extra_env: dict[str, str],
             bytecode: bool = False, instructions: bool = False) -> tuple[float, float, str]:
    """One run: wall seconds, CPU seconds of the children (or instructions, in G) and a note."""
    env = {**os.environ, **extra_env}
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("COVERAGE_CORE", None)
    if mode == "kaizen-cold":
        shutil.rmtree(instrument_cache(src), ignore_errors=True)
    pytest_args = ["-m", "pytest", "-q", "-p", "no:cacheprovider", *tests]
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "cachegrind.log"
        pre = []
        if instructions:
            env["PYTHONHASHSEED"] = "0"
            pre = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                   f"--log-file={log}"]
        cpu0, t0 = _cpu(), time.perf_counter()
        note = ""
        if mode in ("kaizen", "kaizen-cold", "kaizen-script"):
            argv = [*pre, str(py), *pytest_args]
            if mode == "kaizen-script":  # started as `python script.py`, a project script
                script = src / "_kaizen_bench_script.py"
                script.write_text("import sys\nimport pytest\n\nsys.exit(pytest.main(sys.argv[1:]))\n")
                argv = [*pre, str(py), script.name, *pytest_args[2:]]
            try:
                result = run_traced(src, argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    timeout=None if instructions else 1800, flush_s=1e6 if instructions else 5.0)
            finally:
                (src / "_kaizen_bench_script.py").unlink(missing_ok=True)
            code = result.exit_code
            per_test = sum(1 for t in result.coverage if t)
            note = (f"{result.mode}: {len(result.functions)} functions, "
                    f"{sum(f.calls for f in result.functions)} calls, {len(result.tests)} tests, "
                    f"{per_test} with coverage, {sum(e.raised for e in result.exceptions)} raises")
        else:
            cmd = {
                "plain": [str(py), *pytest_args],
                "coverage": [str(py), "-m", "coverage", "run", f"--data-file={tmp}/.coverage", *pytest_args],
                "cprofile": [str(py), "-m", "cProfile", "-o", f"{tmp}/prof.out", *pytest_args],
            }[mode]
            code = subprocess.run([*pre, *cmd], cwd=src, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL).returncode
        wall, cpu = time.perf_counter() - t0, _cpu() - cpu0
        if instructions:
            found = re.search(r"I\s+refs:\s+([\d,]+)", log.read_text())
            if found is None:
                raise SystemExit(f"valgrind printed no instruction count: {log.read_text()[-500:]}")
            cpu = int(found.group(1).replace(",", "")) / 1e9
    if code not in (0, 1):
        note = f"exit {code} " + note
    return wall, cpu, note


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", nargs="+", default=["3.11", "3.12"], choices=sorted(PYTHONS))
    ap.add_argument("--projects", nargs="+", default=list(PROJECTS), choices=list(PROJECTS))
    ap.add_argument("--modes", nargs="+", default=["plain", "kaizen", "kaizen-cold", "coverage", "cprofile"],
                    choices=["plain", "kaizen", "kaizen-cold", "kaizen-script", "coverage", "cprofile"])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--bytecode", action="store_true",
                    help="let every mode use and write __pycache__ (default: none, every run compiles the project)")
    ap.add_argument("--instructions", action="store_true",
                    help="count the test process's instructions under valgrind instead of timing it")
    args = ap.parse_args()
    if args.instructions and shutil.which("valgrind") is None:
        ap.error("--instructions needs valgrind (apt-get install valgrind)")
    if args.instructions and "kaizen-script" in args.modes and "3.11" in args.python:
        ap.error("--instructions cannot follow 3.11's re-exec of a script (kaizen-script)")
    CACHE.mkdir(parents=True, exist_ok=True)
    unit = "instr G" if args.instructions else "cpu s"
    rows = []
    for version in args.python:
        py = venv(version)
        for name in args.projects:
            spec, tests, extra = PROJECTS[name]
            src = fetch(spec)
            shutil.rmtree(src / ".kaizen", ignore_errors=True)
            if not args.bytecode:
                for cache in list(src.rglob("__pycache__")):
                    shutil.rmtree(cache, ignore_errors=True)
            # Untimed warm-up: __pycache__ (unless --no-bytecode) and Kaizen's instrument cache.
            for mode in ("plain", "kaizen"):
                if mode in args.modes and (mode == "kaizen" or args.bytecode):
                    run_mode(mode, py, src, tests, extra, args.bytecode)  # not under valgrind: only fills caches
            best: dict[str, tuple[float, float, str]] = {}
            for _ in range(args.repeat):
                for mode in args.modes:
                    wall, cpu, note = run_mode(mode, py, src, tests, extra, args.bytecode, args.instructions)
                    old = best.get(mode)
                    if old is None or cpu < old[1]:
                        best[mode] = (wall, cpu, note or (old[2] if old else ""))
                    print(f"  {version} {name:8} {mode:9} wall {wall:7.2f}s {unit} {cpu:7.2f} {note}", flush=True)
            base_wall, base_cpu, _ = best["plain"]
            for mode in args.modes:
                wall, cpu, note = best[mode]
                rows.append((version, name, mode, wall, cpu, wall / base_wall, cpu / base_cpu, note))
    print()
    print(f"{'python':7} {'project':8} {'mode':9} {'wall s':>8} {unit:>8} {'wall x':>7} {unit[:3] + ' x':>7}")
    for version, name, mode, wall, cpu, rw, rc, note in rows:
        print(f"{version:7} {name:8} {mode:9} {wall:8.2f} {cpu:8.2f} {rw:7.2f} {rc:7.2f}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
