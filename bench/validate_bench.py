"""Validation speed on a real project: boltons 26.2.0 from its source distribution.

Prints:
  * sandbox set-up time for the first candidate (a full copy) and for later ones
    (incremental sync: nothing changed / one file changed);
  * validation time of a one-function change with affected-test selection (from the
    per-test coverage of `kaizen trace`) next to the same validation running the whole
    suite, and the ratio (target: >= 5x);
  * the cost of confinement: the same affected-test validation with the test runs confined
    (bubblewrap) and unconfined, alternated, and the ratio of the medians (target: <= 1.15x).

Run: .venv/bin/python bench/validate_bench.py [--keep] [--confinement-only] [--rounds N]
The sdist is downloaded into bench/.cache/ (gitignored) on first use.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from analysis.config import load_config  # noqa: E402
from analysis.inventory import read_source  # noqa: E402
from analysis.parsing import parse  # noqa: E402
from suggestions.model import Applicability, Edit, Patch, Span, Suggestion, fingerprint_of  # noqa: E402
from suggestions.store import Store  # noqa: E402
from suggestions.validate.sandbox import SandboxPool  # noqa: E402
from suggestions.validate.validator import Validator  # noqa: E402

PACKAGE, VERSION = "boltons", "26.2.0"
TARGET = "boltons/strutils.py"


def fetch(cache: Path) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    sdist = cache / f"{PACKAGE}-{VERSION}.tar.gz"
    if not sdist.exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
                        f"{PACKAGE}=={VERSION}", "-d", str(cache), "-q"], check=True)
    return sdist


def project_venv(cache: Path) -> Path:
    """The project's own environment (Python + pytest only), as a real checkout would have.

    Without it the tests would run in Kaizen's environment, whose pytest plugins (Qt,
    hypothesis...) add a second to every run and blur the comparison.
    """
    venv = cache / f"{PACKAGE}-venv"
    if not (venv / "bin" / "pytest").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "pytest>=8"], check=True)
    return venv


def unpack(sdist: Path, into: Path) -> Path:
    with tarfile.open(sdist) as tf:
        tf.extractall(into, filter="data")
    return into / f"{PACKAGE}-{VERSION}"


def trace(root: Path, store: Store) -> tuple[float, bool]:
    try:
        from analysis.trace_store import TraceStore
        from analysis.tracing import run_traced
    except ImportError:
        return 0.0, False
    t0 = time.perf_counter()
    python = str(root / ".venv" / "bin" / "python")
    result = run_traced(root, [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], timeout=900,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    TraceStore(store).add(result)
    return time.perf_counter() - t0, result.has_test_coverage


def one_function_change(root: Path, store: Store, most: bool = False) -> tuple[Suggestion, str, int]:
    """A behaviour-preserving edit (``return X`` -> ``return (X)``) in the function of TARGET
    that the fewest (``most``: the most) tests executed, at least one."""
    from analysis.trace_store import TraceStore

    src = read_source(root / TARGET)
    tree = parse("python", src.data)
    ts = TraceStore(store)
    best: tuple[int, str, int, int] | None = None
    for node in tree.root_node.children:
        if node.type != "function_definition":
            continue
        name = node.child_by_field_name("name")
        body = src.data[node.start_byte:node.end_byte]
        m = re.search(rb"\n(\s+)return ([^\n\\(]+)\n", body)
        if not m:
            continue
        start = node.start_byte + m.start(2)
        ret_line = src.data.count(b"\n", 0, start) + 1
        # Tests that reached the return itself (so a breaking edit there must be caught) ...
        reach = ts.tests_covering(TARGET, ret_line, ret_line) or set()
        # ... and the tests validation selects: those that executed the function.
        tests = ts.tests_covering(TARGET, node.start_point[0] + 1, node.end_point[0] + 1) or set()
        if not reach:
            continue
        if best is None or (len(tests) > best[0] if most else len(tests) < best[0]):
            best = (len(tests), name.text.decode() if name and name.text else "?", start, start + len(m.group(2)))
    if best is None:
        raise SystemExit("no traced function with a simple return in " + TARGET)
    n, name, start, end = best
    old = src.data[start:end].decode()
    patch = Patch(TARGET, src.raw_hash, (Edit(start, end, f"({old})"),))
    line = src.data.count(b"\n", 0, start) + 1
    s = Suggestion(fingerprint_of("KZBENCH", TARGET, old), "KZBENCH", f"parenthesise the return of {name}",
                   "benchmark edit", TARGET, Span(line, 0, line, 0, start, end), patch,
                   Applicability.SAFE, 1.0)
    return s, name, n


def confinement(root: Path, store: Store, s: Suggestion, rounds: int) -> None:
    """Affected-test validation, confined vs unconfined, alternated (the machine's load drifts)."""
    from suggestions.validate.confine import probe

    ok, why = probe()
    if not ok:
        print(f"confinement unavailable here ({why}): no comparison")
        return
    times: dict[str, list[float]] = {"auto": [], "off": []}
    tests = 0
    for i in range(rounds):
        for mode in ("auto", "off") if i % 2 == 0 else ("off", "auto"):
            config = load_config(root)
            config.values["validation"]["confine"] = mode
            v = Validator(root, config, store)
            t0 = time.perf_counter()
            [r] = v.validate([s])
            times[mode].append(time.perf_counter() - t0)
            v.close()
            if r.validation.status.value != "passed" or r.validation.confined is not (mode == "auto"):
                raise SystemExit(f"{mode}: {r.validation.status.value}\n{r.validation.log}")
            tests = len(r.validation.tests_run)
    med = {m: statistics.median(t) for m, t in times.items()}
    best = {m: min(t) for m, t in times.items()}
    print(f"confinement, affected tests ({tests} test(s)), {rounds} rounds: confined median "
          f"{med['auto']:.3f} s (best {best['auto']:.3f}), unconfined median {med['off']:.3f} s "
          f"(best {best['off']:.3f})")
    # Each round's two runs are next to each other in time: their ratio suffers least from the
    # machine's changing load.
    paired = statistics.median(a / o for a, o in zip(times["auto"], times["off"], strict=True))
    print(f"cost of confinement: x{paired:.3f} (median of per-round ratios), x{med['auto'] / med['off']:.3f} "
          f"(ratio of medians), x{best['auto'] / best['off']:.3f} (best runs); target <= x1.15")
    # The fixed part: starting a process through the confinement, nothing else.
    from suggestions.validate.confine import Confinement

    c = Confinement(root, str(root / ".venv" / "bin" / "python"))
    fixed: dict[str, list[float]] = {"confined": [], "plain": []}
    box = root / ".kaizen" / "sandbox" / "0"
    for _ in range(20):
        argv, spec = c.wrap(["/bin/true"], box)
        t0 = time.perf_counter()
        subprocess.run(argv, pass_fds=[spec.fileno()] if spec else [], check=True)
        fixed["confined"].append(time.perf_counter() - t0)
        if spec:
            spec.close()
        t0 = time.perf_counter()
        subprocess.run(["/bin/true"], check=True)
        fixed["plain"].append(time.perf_counter() - t0)
    c.close()
    print(f"start-up of one confined process: {statistics.median(fixed['confined']) * 1000:.1f} ms median "
          f"(unconfined: {statistics.median(fixed['plain']) * 1000:.1f} ms)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", action="store_true", help="keep the unpacked project")
    ap.add_argument("--confinement-only", action="store_true", help="only measure the cost of confinement")
    ap.add_argument("--rounds", type=int, default=7, help="confined/unconfined pairs timed (default 7)")
    args = ap.parse_args()
    sdist = fetch(HERE / ".cache")
    work = Path(tempfile.mkdtemp(prefix="kaizen-validate-bench-"))
    try:
        root = unpack(sdist, work)
        (root / ".venv").symlink_to(project_venv(HERE / ".cache"))
        store = Store(root)
        config = load_config(root)
        n_py = sum(1 for p in root.rglob("*.py") if ".venv" not in p.parts)
        print(f"project: {PACKAGE} {VERSION} ({n_py} .py files); tests run in the project's .venv")

        # 1. Sandbox set-up.
        pool = SandboxPool(root, 1)
        t0 = time.perf_counter()
        with pool.acquire() as box:
            first = box.last_sync
        t_first = time.perf_counter() - t0
        t0 = time.perf_counter()
        with pool.acquire() as box:
            later = box.last_sync
        t_later = time.perf_counter() - t0
        (root / TARGET).write_text((root / TARGET).read_text() + "\n")
        t0 = time.perf_counter()
        with pool.acquire() as box:
            one = box.last_sync
        t_one = time.perf_counter() - t0
        (root / TARGET).write_text((root / TARGET).read_text()[:-1])
        with pool.acquire():
            pass
        assert first and later and one
        print(f"sandbox, first candidate (full copy of {first.copied} files): {t_first * 1000:8.1f} ms")
        print(f"sandbox, later candidate (nothing changed):         {t_later * 1000:8.1f} ms "
              f"({t_first / max(t_later, 1e-9):.0f}x faster than the first)")
        print(f"sandbox, later candidate (one file changed):        {t_one * 1000:8.1f} ms "
              f"({one.copied} file copied)")

        # 2. Per-test coverage from `kaizen trace`.
        t_trace, has_cov = trace(root, store)
        if not has_cov:
            print("kaizen trace recorded no per-test coverage: affected-test selection unavailable")
            return 1
        print(f"kaizen trace of the whole suite (per-test coverage):  {t_trace:8.2f} s")

        s, name, n = one_function_change(root, store)
        print(f"change: {TARGET} {name}() (executed by {n} test(s) in the trace)")
        confinement(root, store, s, args.rounds)
        s_most, name_most, n_most = one_function_change(root, store, most=True)
        print(f"change: {TARGET} {name_most}() (executed by {n_most} test(s) in the trace)")
        confinement(root, store, s_most, args.rounds)
        if args.confinement_only:
            store.close()
            return 0

        # 3. One-function change: selected tests vs the whole suite (fresh validators: the
        # baseline run is part of each figure).
        sel = Validator(root, config, store)
        t0 = time.perf_counter()
        [v_sel] = sel.validate([s])
        t_sel = time.perf_counter() - t0
        whole = Validator(root, config, store, coverage=None)
        t0 = time.perf_counter()
        [v_all] = whole.validate([s])
        t_all = time.perf_counter() - t0
        print(f"validation, affected tests: {t_sel:7.2f} s  {v_sel.validation.status.value:7} "
              f"{len(v_sel.validation.tests_run)} test(s)")
        print(f"validation, whole suite:    {t_all:7.2f} s  {v_all.validation.status.value:7} "
              f"{len(v_all.validation.tests_run)} test(s)")
        ratio = t_all / max(t_sel, 1e-9)
        print(f"affected-test selection is {ratio:.1f}x faster than the whole suite (target >= 5x)")
        # A breaking change to the same function: caught by the selected tests alone.
        broken = s.replace(
            fingerprint=s.fingerprint[::-1],
            patch=Patch(TARGET, s.patch.base_hash, (Edit(s.span.start_byte, s.span.end_byte, "1 // 0"),)),  # type: ignore[union-attr]
        )
        t0 = time.perf_counter()
        [v_b] = sel.validate([broken])
        print(f"validation, affected tests, breaking change: {time.perf_counter() - t0:6.2f} s  "
              f"{v_b.validation.status.value}: {', '.join(v_b.validation.failed_tests) or '-'}")
        # The other end: the function of the file that the most tests executed.
        s2, name2, n2 = one_function_change(root, store, most=True)
        t0 = time.perf_counter()
        [v2] = Validator(root, config, store).validate([s2])
        t_sel2 = time.perf_counter() - t0
        t0 = time.perf_counter()
        Validator(root, config, store, coverage=None).validate([s2.replace(fingerprint=s2.fingerprint[::-1])])
        t_all2 = time.perf_counter() - t0
        print(f"change: {TARGET} {name2}() (executed by {n2} test(s)): affected tests {t_sel2:.2f} s "
              f"({v2.validation.status.value}, {len(v2.validation.tests_run)} test(s)) vs whole suite "
              f"{t_all2:.2f} s: {t_all2 / max(t_sel2, 1e-9):.1f}x")
        store.close()
        return 0
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
