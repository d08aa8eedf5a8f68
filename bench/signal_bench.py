"""Signal over noise (issue #21): what the list puts first, what a trace adds, how fast the safe
fixes converge.

    python bench/signal_bench.py [--projects boltons attrs stdlib] [--no-trace] [--no-apply]

For each project, on a fresh copy (no ``.kaizen/``): the findings by category, the share of
correctness findings in the top 20, whether every correctness finding ranks above every
style/structure/modernization one (the band order says it must), the list length before and
after ``kaizen trace`` of the project's tests (boltons and attrs, in the venv
bench/trace_bench.py makes: pytest, hypothesis...), and the rounds ``kaizen apply --all-safe``
took on another copy. boltons 26.2.0 and attrs come as sdists into bench/.cache (as
bench/trace_bench.py fetches them); the standard library is the running interpreter's (no
trace: its test suite is not a project's tests).

Target (issue #21): every correctness finding above every style finding; after a trace the
list grows by at most 10% plus grouped rows (runtime rows are counted apart).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from scan_bench import stdlib_copy  # noqa: E402
from trace_bench import PROJECTS, fetch, venv  # noqa: E402

from suggestions.analyze.runtime import hidden_by_default  # noqa: E402
from suggestions.project.actions import Project  # noqa: E402
from suggestions.rank.ranking import BANDS  # noqa: E402

LOW = {"style", "structure", "modernization", ""}
GROUPED = {"KZ802", "KZ804"}  # one row per module: annotations, never-ran notes


def _copy(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".kaizen", "__pycache__", ".pytest_cache", ".git"))
    return dest


def _listing(root: Path) -> list:
    with Project(root) as project:
        project.scan()
        return project.listing()


def describe(label: str, ranked: list) -> dict[str, object]:
    cats = Counter(s.category or "uncategorised" for s in ranked)
    order = [*BANDS, "style", "structure", "uncategorised"]
    print(f"\n== {label}: {len(ranked)} suggestions in the list")
    print("  by category: " + ", ".join(f"{c} {cats[c]}" for c in order if cats.get(c)))
    top = ranked[:20]
    share = sum(1 for s in top if s.category == "correctness") / max(1, len(top))
    print(f"  correctness in the top 20: {share:.0%} ({sum(1 for s in top if s.category == 'correctness')})")
    correct = [i for i, s in enumerate(ranked) if s.category == "correctness"]
    low = [i for i, s in enumerate(ranked) if s.category in LOW]
    above = not correct or not low or max(correct) < min(low)
    print(f"  every correctness finding above every style/structure/modernization one: {'yes' if above else 'NO'}")
    for i, s in enumerate(top[:10], start=1):
        print(f"   {i:2d}. {s.code} {s.category:<14} {s.path}:{s.line}  {s.title[:70]}")
    return {"n": len(ranked), "share": share, "above": above}


def trace(label: str, root: Path, before: int) -> None:
    _spec, tests, extra_env = PROJECTS[label]
    py = venv(f"{sys.version_info[0]}.{sys.version_info[1]}")
    env = {**os.environ, **extra_env}
    t0 = time.perf_counter()
    with Project(root) as project:
        try:
            traced = project.trace([str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests], env=env,
                                   timeout=1800, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except Exception as exc:  # a bench reports, it does not stop
            print(f"  trace failed: {exc}")
            return
        listed = project.listing()
    # The default list, as `kaizen suggest` and the window show it: never-ran notes are behind
    # a filter. Runtime rows are one per module (annotations, never-ran) or per function.
    after = [s for s in listed if not hidden_by_default(s)]
    runtime = [s for s in after if s.source.value == "runtime"]
    grouped = sum(1 for s in runtime if s.code in GROUPED)
    growth = (len(after) - before) / max(1, before)
    print(f"  after `kaizen trace` ({time.perf_counter() - t0:.0f}s, exit {traced.result.exit_code}): "
          f"{before} -> {len(after)} in the default list ({growth:+.1%}); {len(runtime)} runtime rows "
          f"({Counter(s.code for s in runtime).most_common()}), {grouped} of them grouped per module; "
          f"{len(listed) - len(after)} never-ran notes behind the filter")
    limit = int(before * 1.1) + grouped
    print(f"  target (at most +10% plus grouped rows = {limit}): {'met' if len(after) <= limit else 'MISSED'}")


def all_safe(label: str, src: Path, tmp: Path) -> None:
    root = _copy(src, tmp / f"{label}-apply")
    t0 = time.perf_counter()
    with Project(root) as project:
        project.scan()
        done = project.apply_all_safe()
        left = sum(1 for s in project.listing() if s.applicability.value == "safe" and s.patch is not None)
    print(f"  --all-safe: {len(done.applied)} fixes in {done.rounds} round(s)"
          f"{' (round bound hit)' if done.bound_hit else ''}, {len(done.refused)} refused, "
          f"{left} safe fixes left, {time.perf_counter() - t0:.0f}s; by rule: "
          f"{dict(Counter(s.code for s in done.applied).most_common())}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", nargs="+", default=["boltons", "attrs", "stdlib"],
                        choices=["boltons", "attrs", "stdlib"])
    parser.add_argument("--no-trace", action="store_true")
    parser.add_argument("--no-apply", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("KAIZEN_HOME", tempfile.mkdtemp(prefix="kaizen-home-"))
    with tempfile.TemporaryDirectory(prefix="signal-bench-") as tmp_name:
        tmp = Path(tmp_name)
        for label in args.projects:
            src = stdlib_copy() if label == "stdlib" else fetch(PROJECTS[label][0])
            root = _copy(src, tmp / label)
            ranked = _listing(root)
            facts = describe(label, ranked)
            if label != "stdlib" and not args.no_trace:
                trace(label, root, int(facts["n"]))  # type: ignore[call-overload]
            if not args.no_apply:
                all_safe(label, src, tmp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
