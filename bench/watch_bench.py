"""How fast the live analysis follows the code, and how cheap a second start is.

    python bench/watch_bench.py [--saves 50] [--sizes 100,2000,10000] [--skip-stdlib]
                                [--skip-latency] [--stdlib-limit N]

1. Save latency. For Python files of 100, 2,000 and 10,000 lines (real standard-library
   code, whole top-level definitions, concatenated to the size), a real ``ProjectService``
   watches a temporary folder on the native observer (inotify). Each save rewrites the
   file in place, changing one line in the middle (every other save also inserts two lines,
   so everything below moves). The latency is from just before the write to the moment a
   subscriber receives the service's CHANGED event for it: inotify, debounce, read,
   incremental parse, every rule, store update, delta. p50 / p95 over ``--saves`` saves
   (after 3 warm-up saves). Beside it, the service's own handling time (read → event) and,
   as a baseline, a bare ``analyze_file`` of the same content without cache (what the
   rules alone cost).
2. Warm start. The standard library's ``.py`` files are copied to a temporary folder.
   Cold: a new ``ProjectService(...).open()`` with an empty store (a full scan on every
   core, plus the store writes). Warm: a second ``open()`` of the unchanged tree, then one
   after touching 20 files (new mtime, same content) and editing 5. Target: warm ≤ 10% of
   cold.

Figures are printed, not asserted: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import sysconfig
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import suggestions.project.service as service_module  # noqa: E402
from analysis.config import load_config  # noqa: E402
from suggestions.analyze.scan import analyze_file, analyzer_for  # noqa: E402
from suggestions.project.service import EventKind, ProjectService, ServiceEvent, tune_gc  # noqa: E402

STDLIB = Path(sysconfig.get_paths()["stdlib"])
EDIT_MARK = "_kaizen_bench_value = 0\n"


def stdlib_sources() -> list[Path]:
    out = []
    for p in sorted(STDLIB.rglob("*.py")):
        rel = p.relative_to(STDLIB).parts
        if rel[0] in ("site-packages", "__pycache__"):
            continue
        out.append(p)
    return out


def python_file(lines: int) -> str:
    """About ``lines`` lines of real code: whole top-level definitions of stdlib modules."""
    chunks: list[str] = []
    total = 0
    for path in stdlib_sources():
        rel = path.relative_to(STDLIB).parts
        # Private modules (``__phello__`` holds identical copies of one file) and tests are
        # not what a project's own modules look like.
        if any(part.startswith("_") or part in ("test", "tests", "idlelib") for part in rel):
            continue
        if path.stat().st_size > 200_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        src = text.splitlines(keepends=True)
        # Cut points: lines where a new top-level statement starts.
        cut = len(src)
        if total + len(src) > lines:
            need = lines - total
            starts = [i for i, line in enumerate(src) if i <= need and line[:1] not in ("", " ", "\t", "\n", "#", ")", "]", "}")]
            cut = max(starts) if starts else 0
        chunks.append("".join(src[:cut]))
        total += cut
        if total >= lines - 5:
            break
    body = "".join(chunks).splitlines(keepends=True)
    mid = len(body) // 2
    while mid < len(body) and body[mid][:1] in (" ", "\t", ")", "]", "}"):
        mid += 1  # insert the edit mark at top level
    return "".join([*body[:mid], EDIT_MARK, *body[mid:]])


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(q * (len(values) - 1))))
    return values[k]


def latency(lines: int, saves: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="kaizen-watch-bench-") as tmp:
        root = Path(tmp) / "proj"
        root.mkdir()
        base = python_file(lines)
        target = root / "module.py"
        target.write_text(base, encoding="utf-8")
        received: list[tuple[float, ServiceEvent]] = []
        cond = threading.Condition()

        def on_event(event: ServiceEvent) -> None:
            if event.kind is EventKind.CHANGED and "module.py" in event.files_changed:
                with cond:
                    received.append((time.monotonic(), event))
                    cond.notify_all()

        svc = ProjectService(root, jobs=1)
        svc.subscribe(on_event)
        svc.open()
        tune_gc()  # as `kaizen watch` and the window do
        svc.start_watching()
        results: list[float] = []
        handling: list[float] = []
        n_suggestions = len(svc.suggestions())
        try:
            for i in range(saves + 3):
                new_line = f"_kaizen_bench_value = {i + 1} == None\n"
                if i % 2:
                    new_line += f"_kaizen_bench_extra_{i} = []\n\n"
                text = base.replace(EDIT_MARK, new_line, 1)
                with cond:
                    seen = len(received)
                t0 = time.monotonic()
                with open(target, "w", encoding="utf-8") as fh:
                    fh.write(text)
                with cond:
                    if not cond.wait_for(lambda seen=seen: len(received) > seen, 30):
                        raise RuntimeError(f"no event for save {i}")
                    t1, event = received[-1]
                if i >= 3:
                    results.append(t1 - t0)
                    handling.append(float(event.stats.get("seconds", 0.0)))
        finally:
            svc.close()
        # Baseline: the rules alone on the same content, no cache, no watcher, no store.
        analyzer = analyzer_for(load_config(root))
        bare = []
        for _ in range(5):
            t = time.perf_counter()
            analyze_file(root, "module.py", "python", analyzer)
            bare.append(time.perf_counter() - t)
        return {
            "lines": base.count("\n"),
            "suggestions": n_suggestions,
            "p50": pct(results, 0.5),
            "p95": pct(results, 0.95),
            "handle_p50": pct(handling, 0.5),
            "handle_p95": pct(handling, 0.95),
            "bare_analysis": statistics.median(bare),
        }


def copy_stdlib(dest: Path, limit: int | None) -> int:
    files = stdlib_sources()
    if limit:
        files = files[:limit]
    for p in files:
        out = dest / p.relative_to(STDLIB)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, out)
    return len(files)


def pin_signature() -> None:
    """Keep the analysis signature fixed for this run.

    The signature hashes the rules' source; in a shared work tree where rules are being
    edited while the cold scan runs, the warm start would (rightly) redo everything. The
    real signature is still computed on every open, so its cost stays in the figures.
    """
    real = service_module.analysis_signature
    pinned = real(load_config(Path(tempfile.gettempdir())))

    def signature(config: Any, analyzer: Any = None) -> str:
        real(config, analyzer)
        return pinned

    service_module.analysis_signature = signature  # type: ignore[assignment]


def warm_start(limit: int | None) -> None:
    pin_signature()
    with tempfile.TemporaryDirectory(prefix="kaizen-warm-bench-") as tmp:
        root = Path(tmp) / "stdlib"
        root.mkdir()
        n = copy_stdlib(root, limit)
        print(f"\nwarm start: the standard library ({n} .py files, {STDLIB})")
        t = time.perf_counter()
        with ProjectService(root) as svc:
            cold_stats = svc.open()
            cold = time.perf_counter() - t
            n_sugg = len(svc.store.suggestions())
        print(f"  cold open (empty store, full scan on all cores + store): {cold:8.2f} s"
              f"  ({cold_stats.analysed} files analysed, {n_sugg} suggestions)")
        t = time.perf_counter()
        with ProjectService(root) as svc:
            warm_stats = svc.open()
        warm = time.perf_counter() - t
        print(f"  warm open, unchanged tree:                               {warm:8.2f} s"
              f"  ({warm_stats.analysed} analysed, {warm_stats.reused} reused)  = {warm / cold:.1%} of cold")
        files = sorted(root.rglob("*.py"))
        for p in files[:20]:
            st = p.stat()
            os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        for p in files[100:105]:
            p.write_text(p.read_text(encoding="utf-8") + "\n_kaizen_bench = 1\n", encoding="utf-8")
        t = time.perf_counter()
        with ProjectService(root) as svc:
            warm2 = svc.open()
        warm_touched = time.perf_counter() - t
        print(f"  warm open, 20 files touched + 5 edited:                  {warm_touched:8.2f} s"
              f"  ({warm2.analysed} analysed, {warm2.hashed} hashed)  = {warm_touched / cold:.1%} of cold")
        print(f"  target: warm <= 10% of cold -> {'met' if warm <= 0.1 * cold else 'NOT met'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--saves", type=int, default=50)
    ap.add_argument("--sizes", default="100,2000,10000")
    ap.add_argument("--skip-stdlib", action="store_true")
    ap.add_argument("--skip-latency", action="store_true")
    ap.add_argument("--stdlib-limit", type=int, default=0, help="copy only the first N files")
    args = ap.parse_args()
    print(f"watch bench: python {sys.version.split()[0]}, {os.cpu_count()} cpu(s)")
    if not args.skip_latency:
        print(f"\nsave -> service event latency, {args.saves} in-place saves per size (native observer)")
        print(f"  {'lines':>6} {'sugg.':>6} {'p50 ms':>8} {'p95 ms':>8} | {'handle p50':>10} {'p95':>7} | "
              f"{'baseline: bare analyze_file':>28}")
        for size in (int(s) for s in args.sizes.split(",")):
            r = latency(size, args.saves)
            print(f"  {r['lines']:>6} {r['suggestions']:>6} {r['p50'] * 1000:>8.1f} {r['p95'] * 1000:>8.1f} | "
                  f"{r['handle_p50'] * 1000:>10.1f} {r['handle_p95'] * 1000:>7.1f} | "
                  f"{r['bare_analysis'] * 1000:>25.1f} ms", flush=True)
        print("  target: p95 <= 50 ms for the 2,000-line file")
    if not args.skip_stdlib:
        warm_start(args.stdlib_limit or None)


if __name__ == "__main__":
    main()
