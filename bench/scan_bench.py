"""Cold ``kaizen scan`` (all rules, all cores) beside pyflakes and ruff on the same files.

Corpora: the running interpreter's standard library (copied once into ``bench/.cache``,
without site-packages, so Kaizen's ``.kaizen/`` store never lands in the interpreter) and
boltons 26.2.0, fetched as a source distribution at bench time (never committed).

Each tool runs as a fresh subprocess, one after the other, in the same run; each is
repeated and the best wall time is kept, with the CPU time (user + sys, workers included)
of that run: on a busy machine parallel workers gain less wall time, and the CPU ratio
shows the work done. Printed: times, files, and the ratios Kaizen/pyflakes (target <= 0.5)
and Kaizen/ruff (target <= 5).

Beside them, the *floor*: what a scan built on tree-sitter queries pays before any rule
runs (interpreter start, imports, compiling the queries, parsing each file once, in one
process). On a small project that floor alone is above both targets.

Usage: ``python bench/scan_bench.py [--repeat N] [--corpus stdlib|boltons|all]``
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
BOLTONS = "boltons==26.2.0"
_SKIP_DIRS = {"site-packages", "__pycache__"}


def stdlib_copy() -> Path:
    """A copy of the stdlib's .py files (made once; reused while the interpreter is the same)."""
    src = Path(sysconfig.get_paths()["stdlib"])
    dest = CACHE / f"stdlib-{sys.version_info[0]}.{sys.version_info[1]}"
    marker = dest / ".complete"
    if marker.exists():
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS]
        rel = Path(dirpath).relative_to(src)
        for name in filenames:
            if name.endswith(".py"):
                out = dest / rel / name
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(Path(dirpath) / name, out)
    marker.write_text("ok\n")
    return dest


def boltons_source() -> Path:
    """boltons' sdist, downloaded with pip and unpacked under bench/.cache."""
    dest = CACHE / "boltons-26.2.0"
    if (dest / "boltons").is_dir():
        return dest
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-binary",
            ":all:",
            "--no-deps",
            BOLTONS,
            "-d",
            str(CACHE),
        ],
        check=True,
    )
    archive = next(CACHE.glob("boltons-26.2.0.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE, filter="data")
    return dest


def _tool(name: str) -> list[str]:
    exe = Path(sys.executable).parent / name
    return [str(exe)] if exe.exists() else [name]


def timed(
    cmd: list[str], repeat: int, before: object = None
) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Best wall time, its CPU time (user + sys of the process and its workers) and its run."""
    best, best_cpu = float("inf"), 0.0
    best_proc: subprocess.CompletedProcess[str] | None = None
    for _ in range(repeat):
        if callable(before):
            before()
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if wall < best:
            best, best_proc = wall, proc
            best_cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    assert best_proc is not None
    return best, best_cpu, best_proc


def bench(label: str, corpus: Path, repeat: int) -> dict[str, float]:
    files = sum(1 for _ in corpus.rglob("*.py"))
    store = corpus / ".kaizen"

    def cold() -> None:
        shutil.rmtree(store, ignore_errors=True)  # cold: no store, no previous results

    k, kc, kp = timed([sys.executable, str(ROOT / "main.py"), "scan", str(corpus)], repeat, cold)
    if kp.returncode not in (0, 1):
        raise SystemExit(f"kaizen scan failed ({kp.returncode}):\n{kp.stderr[-2000:]}")
    p, pc, pp = timed([*_tool("pyflakes"), str(corpus)], repeat)
    r, rc, rp = timed(
        [
            *_tool("ruff"),
            "check",
            "--isolated",
            "--no-cache",
            "--exit-zero",
            "--quiet",
            str(corpus),
        ],
        repeat,
    )
    if rp.returncode != 0:
        raise SystemExit(f"ruff failed:\n{rp.stderr[-2000:]}")
    f, _, fp = timed([sys.executable, str(Path(__file__).resolve()), "--floor", str(corpus)], repeat)
    parsing = float(fp.stdout)
    fixed = f - parsing
    summary = (kp.stderr.strip().splitlines() or [""])[0]
    print(f"\n{label}: {files} .py files ({corpus})")
    print(f"  kaizen scan : {k:7.2f} s wall, {kc:7.2f} s cpu   [{summary}]")
    print(
        f"  pyflakes    : {p:7.2f} s wall, {pc:7.2f} s cpu   [{len(pp.stdout.splitlines())} messages]"
    )
    print(f"  ruff check  : {r:7.2f} s wall, {rc:7.2f} s cpu")
    print(f"  floor       : {f:7.2f} s wall   [start + imports + queries {fixed:.2f} s, parsing {parsing:.2f} s; no rule runs]")
    print(f"  kaizen/pyflakes = {k / p:5.2f} wall, {kc / pc:5.2f} cpu  (target <= 0.50)")
    print(f"  kaizen/ruff     = {k / r:5.2f} wall, {kc / rc:5.2f} cpu  (target <= 5.00)")
    print(f"  floor/pyflakes  = {f / p:5.2f} wall;  floor/ruff = {f / r:5.2f} wall")
    shutil.rmtree(store, ignore_errors=True)
    return {
        "kaizen": k,
        "pyflakes": p,
        "ruff": r,
        "kaizen_cpu": kc,
        "pyflakes_cpu": pc,
        "ruff_cpu": rc,
    }


def byte_compile() -> None:
    """Compile Kaizen's modules to ``__pycache__`` first, as installing a package does: with
    PYTHONDONTWRITEBYTECODE set, every run would otherwise compile ~130 modules (0.15 s)
    that pyflakes and ruff, installed by pip, never pay for."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "analysis", "suggestions", "main.py"], cwd=ROOT, check=True
    )


def floor(corpus: Path) -> None:
    """What any scan built on tree-sitter queries pays before its first rule runs, in one
    process: interpreter start, imports, compiling the rules' queries, parsing every file.
    Prints the seconds spent parsing; the rest of the process's wall time is fixed cost."""
    sys.path.insert(0, str(ROOT))
    from analysis.parsing import parse
    from suggestions.analyze.engine import Analyzer

    Analyzer().prepare("python")
    t0 = time.perf_counter()
    for path in corpus.rglob("*.py"):
        parse("python", path.read_bytes())
    print(f"{time.perf_counter() - t0:.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--floor", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool; the best is kept")
    parser.add_argument("--corpus", choices=("stdlib", "boltons", "all"), default="all")
    args = parser.parse_args()
    if args.floor:
        floor(args.floor)
        return 0
    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f}"
    )
    byte_compile()
    if args.corpus in ("stdlib", "all"):
        bench("standard library", stdlib_copy(), args.repeat)
    if args.corpus in ("boltons", "all"):
        bench(BOLTONS, boltons_source(), max(args.repeat, 3))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
