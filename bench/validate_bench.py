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

With ``--grades`` (issue #19), per project (boltons 26.2.0 and attrs from their sdists, and the
standard-library-style fixture of bench/validate_fixture.py): the SAFE and UNSAFE fixes Kaizen
finds (a sample of up to ``--sample`` each) are validated after a trace of the suite, and it
prints how many end proven / passed / unverified / failed, the extra time mutants and replay
cost per candidate as a ratio to the rest of its validation (the plain affected-test run;
target: at most 2x), the wall time of a typical validation, and checks that every fix the
project's full suite fails ends failed (the full suite is run on each fix that ended anything
else, up to ``--full-checks`` of them). ``--quick``: fewer fixes, fewer checks.

Run: .venv/bin/python bench/validate_bench.py --grades [--quick] [--projects stdlib boltons attrs]
"""

from __future__ import annotations

import argparse
import os
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
from suggestions.model import (  # noqa: E402
    Applicability,
    Edit,
    Patch,
    Span,
    Suggestion,
    Validation,
    fingerprint_of,
)
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
    ap.add_argument("--grades", action="store_true", help="the grades of the fixes Kaizen finds (issue #19)")
    ap.add_argument("--quick", action="store_true", help="with --grades: 4 fixes of each kind, 3 full-suite checks")
    ap.add_argument("--projects", nargs="+", default=["stdlib", "boltons", "attrs"],
                    choices=["stdlib", "boltons", "attrs"], help="with --grades: which projects")
    ap.add_argument("--sample", type=int, default=10, help="with --grades: fixes of each kind per project")
    ap.add_argument("--full-checks", type=int, default=6, help="with --grades: fixes run on the full suite")
    args = ap.parse_args()
    if args.grades:
        return run_grades(args.projects, 4 if args.quick else args.sample, 3 if args.quick else args.full_checks,
                          keep=args.keep)
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


# --- --grades: what the fixes Kaizen finds earn (issue #19) ------------------------------------

ATTRS_TESTS = ("test_funcs.py", "test_dunders.py", "test_validators.py", "test_converters.py", "test_filters.py",
               "test_cmp.py", "test_hooks.py", "test_setattr.py")
GRADES = ("proven", "passed", "unverified", "failed", "error", "skipped")


class PhaseTimer:
    """Time spent in the evidence steps (replay, mutants, timing a speed-up) of the validator, per candidate.

    Wraps the two methods of ``suggestions.validate.proof.EvidenceSteps`` for the bench's
    process (a measurement, not a change of behaviour); candidates are validated one at a time.
    """

    def __init__(self) -> None:
        self.spent = {"replay": 0.0, "mutants": 0.0, "timing": 0.0}
        self.available: list[str] = []
        try:
            from suggestions.validate import proof
        except ImportError:
            return
        for attr, key in (("_replay", "replay"), ("_mutate", "mutants"), ("_time", "timing")):
            original = getattr(proof.EvidenceSteps, attr, None)
            if original is None:
                continue
            self.available.append(key)

            def timed(*a: object, _original: object = original, _key: str = key, **kw: object) -> object:
                t0 = time.perf_counter()
                try:
                    return _original(*a, **kw)  # type: ignore[operator]
                finally:
                    self.spent[_key] += time.perf_counter() - t0

            setattr(proof.EvidenceSteps, attr, timed)

    def take(self) -> dict[str, float]:
        out, self.spent = self.spent, {"replay": 0.0, "mutants": 0.0, "timing": 0.0}
        return out


def stdlib_project(into: Path) -> tuple[Path, list[str]]:
    from validate_fixture import FILES

    root = into / "minilib"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root, []


def sdist_project(name: str, into: Path) -> tuple[Path, list[str]]:
    """boltons 26.2.0 or attrs (the newest sdist in bench/.cache), unpacked into ``into``."""
    cache = HERE / ".cache"
    if name == "boltons":
        sdist = fetch(cache)
    else:
        found = sorted(cache.glob("attrs-*.tar.gz"))
        if not found:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps", "attrs",
                            "-d", str(cache), "-q"], check=True)
            found = sorted(cache.glob("attrs-*.tar.gz"))
        sdist = found[-1]
    with tarfile.open(sdist) as tf:
        tf.extractall(into, filter="data")
    root = into / sdist.name.removesuffix(".tar.gz")
    if name == "attrs":
        # A part of attrs' suite (the whole one, hypothesis-heavy, takes many minutes per run).
        for test in (root / "tests").glob("test_*.py"):
            if test.name not in ATTRS_TESTS:
                test.unlink()
    return root, []


def grades_venv() -> Path:
    """The projects' interpreter: Python with pytest, hypothesis, cloudpickle and pympler."""
    venv = HERE / ".cache" / "grades-venv"
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    if subprocess.run([str(py), "-c", "import pytest, hypothesis, cloudpickle, pympler"],
                      capture_output=True).returncode:
        subprocess.run([str(py), "-m", "pip", "install", "-q", "pytest>=8", "hypothesis", "cloudpickle", "pympler"],
                       check=True)
    return venv


def pick(items: list[Suggestion], n: int) -> list[Suggestion]:
    """Up to ``n`` fixes, taken round-robin over the files (a spread, not one file's)."""
    by_file: dict[str, list[Suggestion]] = {}
    for s in sorted(items, key=lambda s: (s.path, s.line, s.fingerprint)):
        by_file.setdefault(s.path, []).append(s)
    out: list[Suggestion] = []
    while len(out) < n and any(by_file.values()):
        for path in sorted(by_file):
            if by_file[path] and len(out) < n:
                out.append(by_file[path].pop(0))
    return out


def full_suite(root: Path, python: Path, s: Suggestion | None) -> set[str]:
    """The tests the project's whole suite fails, with ``s`` applied (in a copy of the project)."""
    from analysis.inventory import decode_source, encode_source

    with tempfile.TemporaryDirectory(prefix="kaizen-full-") as tmp:
        copy = Path(tmp) / "p"
        shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns(".kaizen", "__pycache__"))
        if s is not None and s.patch is not None:
            target = copy / s.patch.path
            text, enc, _fb, bom = decode_source(target.read_bytes())
            new = s.patch.apply(text.encode("utf-8", "surrogatepass")).decode("utf-8", "surrogatepass")
            target.write_bytes(encode_source(new, enc, bom))
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env["PYTHONPATH"] = ":".join(str(p) for p in (copy / "src", copy) if p.is_dir())
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        run = subprocess.run([str(python), "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider"], cwd=copy,
                             env=env, capture_output=True, text=True, timeout=1800)
        failed = {line.split()[1] for line in run.stdout.splitlines() if line.startswith(("FAILED ", "ERROR "))}
        if run.returncode not in (0, 1) and not failed:
            failed = {f"(exit code {run.returncode})"}
        return failed


def grade_word(v: Validation) -> str:
    from suggestions.report import grade_of

    g = grade_of(v)
    return g.value if g is not None else v.status.value


def grades_for(name: str, root: Path, venv: Path, sample: int, checks: int) -> dict[str, object]:
    """One project: trace, scan, validate a sample of the fixes, check the not-failed ones."""
    from analysis.trace_store import TraceStore
    from analysis.tracing import run_traced
    from suggestions.project.actions import Project

    (root / ".venv").symlink_to(venv)
    (root / "kaizen.toml").write_text("[validation]\ntimeout = 600\nworkers = 1\n", encoding="utf-8")
    python = root / ".venv" / "bin" / "python"
    store = Store(root)
    env = {"PYTHONPATH": str(root / "src")} if (root / "src").is_dir() else None
    t0 = time.perf_counter()
    traced = run_traced(root, [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], timeout=1800,
                        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    TraceStore(store).add(traced)
    t_trace = time.perf_counter() - t0
    with Project(root, store=store, open_service=False) as project:
        project.scan(jobs=1)
    from suggestions.validate.validator import is_test_file

    every = [s for s in store.suggestions() if s.patch is not None and s.patch.edits]
    # The project's code: a fix in a test file is not judged by the tests it edits (skipped).
    fixes = [s for s in every if not is_test_file(s.path)]
    chosen = {kind: pick([s for s in fixes if s.applicability is kind], sample)
              for kind in (Applicability.SAFE, Applicability.UNSAFE)}
    print(f"\n{name}: traced the suite in {t_trace:.1f} s (per-test coverage: {traced.has_test_coverage}); "
          f"{sum(1 for s in fixes if s.applicability is Applicability.SAFE)} SAFE and "
          f"{sum(1 for s in fixes if s.applicability is Applicability.UNSAFE)} UNSAFE fixes found outside the "
          f"tests ({len(every) - len(fixes)} in test files left out); validating "
          f"{len(chosen[Applicability.SAFE])} + {len(chosen[Applicability.UNSAFE])}")
    timer = PhaseTimer()
    validator = Validator(root, load_config(root), store)
    rows: list[tuple[Suggestion, Validation, float, dict[str, float]]] = []
    try:
        for kind, items in chosen.items():
            for s in items:
                timer.take()
                t0 = time.perf_counter()
                [done] = validator.validate([s])
                wall = time.perf_counter() - t0
                rows.append((done, done.validation, wall, timer.take()))
                print(f"  {kind.value:6} {s.code} {s.path}:{s.line:<5} {grade_word(done.validation):10} "
                      f"{wall:6.1f} s  (replay {rows[-1][3]['replay']:.1f} s, mutants {rows[-1][3]['mutants']:.1f} s, "
                      f"timing {rows[-1][3]['timing']:.1f} s)")
    finally:
        validator.close()
    # The full suite on the fixes that did not end failed: it must not fail any of them.
    baseline = full_suite(root, python, None)
    survivors = [(s, v) for s, v, _w, _t in rows if grade_word(v) not in ("failed", "error", "skipped")]
    missed: list[str] = []
    for s, _v in survivors[:checks]:
        broken = full_suite(root, python, s) - baseline
        if broken:
            missed.append(f"{s.code} {s.path}:{s.line} ({', '.join(sorted(broken)[:3])})")
    store.close()
    return {"name": name, "rows": rows, "checked": min(len(survivors), checks), "missed": missed,
            "baseline_failures": len(baseline), "phases": timer.available}


def report_grades(results: list[dict[str, object]]) -> None:
    print("\n| project | fixes | " + " | ".join(GRADES) + " |")
    print("|---|---|" + "---|" * len(GRADES))
    for r in results:
        rows = r["rows"]  # type: ignore[assignment]
        for kind in (Applicability.SAFE, Applicability.UNSAFE):
            mine = [v for s, v, _w, _t in rows if s.applicability is kind]  # type: ignore[attr-defined]
            counts = [sum(1 for v in mine if grade_word(v) == g) for g in GRADES]
            print(f"| {r['name']} | {kind.value} ({len(mine)}) | " + " | ".join(str(c) for c in counts) + " |")
    print("\n| project | extra cost of mutants + replay (median, max; x of the plain run) | where mutants ran "
          "(n, median, max) | replay (median, max) | typical validation (median wall) | slowest "
          "| full suite fails a not-failed fix |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        rows = r["rows"]  # type: ignore[assignment]
        ratios, rep, walls, ran = [], [], [], []
        for _s, v, wall, t in rows:  # type: ignore[misc]
            extra = t["mutants"] + t["replay"]
            # The plain run: the rest but the timing of a performance claim (pairs of runs, not evidence).
            plain = max(wall - extra - t["timing"], 1e-6)
            ratios.append(extra / plain)
            rep.append(t["replay"] / plain)
            walls.append(wall)
            if v.strength is not None and v.strength.mutants:
                ran.append(extra / plain)
        if not rows:
            continue
        missed = r["missed"]
        verdict = (f"{len(missed)} of {r['checked']} checked" + (f": {'; '.join(missed)}" if missed else "")
                   + (f" (the unchanged suite fails {r['baseline_failures']})" if r["baseline_failures"] else ""))
        with_mutants = (f"{len(ran)}, x{statistics.median(ran):.2f}, x{max(ran):.2f}" if ran else "0")
        print(f"| {r['name']} | x{statistics.median(ratios):.2f}, x{max(ratios):.2f} | {with_mutants} | "
              f"x{statistics.median(rep):.2f}, x{max(rep):.2f} | {statistics.median(walls):.1f} s | "
              f"{max(walls):.1f} s | {verdict} |")
    print("\n(plain run: a validation's time without mutants, replay and the timing pairs of a performance "
          "claim: sandbox sync, the baseline and the affected tests)")
    print("targets: extra cost at most x2 of the plain run with the default budget; a fix the full suite "
          "fails never ends anything but failed (0 in the last column)")


def run_grades(projects: list[str], sample: int, checks: int, *, keep: bool = False) -> int:
    venv = grades_venv()
    work = Path(tempfile.mkdtemp(prefix="kaizen-grades-bench-"))
    results = []
    try:
        for name in projects:
            into = work / name
            into.mkdir()
            root, _ = stdlib_project(into) if name == "stdlib" else sdist_project(name, into)
            results.append(grades_for(name, root, venv, sample, checks))
        report_grades(results)
        return 0 if all(not r["missed"] for r in results) else 1
    finally:
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
