"""Validation: a candidate is applied in a sandbox, re-parsed and run against the tests.

For each suggestion with a patch:

1. take a synced sandbox from the pool and write the patched file into it;
2. check that it still parses (tree-sitter, and ``ast.parse`` for Python);
3. run the affected tests: those that executed the changed function according to the
   latest trace (``TraceStore.tests_covering``), or the whole suite when there is no
   per-test coverage or the change touches module-level code;
4. tell the patch's failures from tests that already fail on the unchanged code (a
   baseline run, cached per project state) and from flaky ones (a failing test is re-run
   once before it counts);
5. for performance suggestions, time the affected tests (or ``validation.benchmark-command``)
   before and after, repeated, minimum taken, and require ``validation.min-speedup``.

Test runs are confined (:mod:`suggestions.validate.confine`: bubblewrap namespaces, the sandbox copy
the only writable tree, no network, no ``$HOME``, a scrubbed environment, limits); where that
is impossible the result says ``confined=False`` and no rule applies it automatically. A
timeout or a cancel kills the whole run. Per-test outcomes come from Kaizen's own pytest
plugin (:mod:`suggestions.validate.outcomes`), never from the terminal output, which is only the log;
the plugin also tells whether each test's body actually ran. Results are stored on the
suggestion (``Validation``) in the store.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import re
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Literal

import tree_sitter

from analysis.config import Config, load_config
from analysis.environment import allowed
from analysis.inventory import decode_source, encode_source
from analysis.languages import language_for_path
from analysis.parsing import parse, syntax_issues
from suggestions.model import Suggestion, Validation, ValidationStatus
from suggestions.store import Store
from suggestions.validate.confine import Confinement, Limits, python_paths
from suggestions.validate.coverage import (
    StaleCoverage,
    TraceCoverage,
    affected_region,
    trace_coverage,
)
from suggestions.validate.outcomes import (
    ENV_DIR,
    PLUGIN_DIR,
    PLUGIN_MODULE,
)
from suggestions.validate.runner import FAILING as _FAILING
from suggestions.validate.runner import (
    Cancel,
    RunResult,
    TestCommand,
    junit_seconds,
    parse_pytest_report,
    run_command,
)
from suggestions.validate.sandbox import Sandbox, SandboxPool, default_pool_size

__all__ = [
    "Coverage",
    "RunResult",
    "TestCommand",
    "Validator",
    "affected_region",
    "parse_pytest_report",
    "run_command",
    "validate_all",
]

# (path, start_line, end_line) -> test ids, or None when there is no per-test coverage.
Coverage = Callable[[str, int, int], "set[str] | None"]

LOG_LIMIT = 6000
MAX_TESTS_KEPT = 2000
MAX_READ_ONLY = 5000  # test files bound read-only in the confinement


# --- the validator --------------------------------------------------------------------------


class Cancelled(Exception):
    pass


class Validator:
    """Validates candidate suggestions in sandboxes of ``root`` (see the module docstring)."""

    def __init__(
        self,
        root: Path | str,
        config: Config | None = None,
        store: Store | None = None,
        *,
        pool: SandboxPool | None = None,
        coverage: Coverage | Literal["trace"] | None = "trace",
    ) -> None:
        self.root = Path(root).resolve()
        self.config = config or load_config(self.root)
        self._own_store = store is None
        self.store = store or Store(self.root)
        v = self.config.section("validation")
        self.timeout = float(v["timeout"])
        self.repeats = int(v["repeats"])
        self.min_speedup = float(v["min-speedup"])
        self.command = TestCommand(self.root, str(v["test-command"]))
        bench = str(v.get("benchmark-command") or "")
        self.benchmark = TestCommand(self.root, bench) if bench else None
        workers = int(v["workers"]) or default_pool_size()
        # Not `exclude`: that keeps files out of analysis, but tests may well need them.
        self.pool = pool or SandboxPool(self.root, workers)
        # "trace": the latest trace's per-test coverage; None: always the whole suite.
        self.coverage = trace_coverage(self.store, self.root) if coverage == "trace" else coverage
        self._baseline: dict[tuple[str, str], str] = {}  # (project state, test) -> outcome
        self._suite_done: dict[str, RunResult] = {}  # project state -> whole-suite baseline run
        self._lock = threading.Lock()
        self.pass_env = tuple(str(e) for e in (v.get("pass-env") or ()))
        memory = int(v.get("memory-mb", Limits().memory_mb))
        # CPU seconds: a backstop for a run that forks around the wall-clock timeout.
        limits = Limits(memory_mb=memory, cpu_s=int(self.timeout * 4) + 60)
        programs = [self.command.argv[0], *([self.benchmark.argv[0]] if self.benchmark else [])]
        self.confinement = Confinement(self.root, programs[0], str(v.get("confine", "auto")), limits)
        for extra in programs[1:]:
            self.confinement.readable += [p for p in python_paths(extra) if p not in self.confinement.readable]
        # Kaizen's plugin, copied where the confinement can read it (Kaizen itself may live in
        # the project being validated, which the confinement hides).
        self._runtime = Path(tempfile.mkdtemp(prefix="kaizen-validate-"))
        self._plugin = self._runtime / "plugin"
        self._plugin.mkdir()
        weakref.finalize(self, shutil.rmtree, str(self._runtime), True)  # if never closed
        shutil.copy2(PLUGIN_DIR / f"{PLUGIN_MODULE}.py", self._plugin / f"{PLUGIN_MODULE}.py")

    @property
    def confined(self) -> bool:
        """Whether test runs are confined (see :mod:`suggestions.validate.confine`)."""
        return self.confinement.confined

    def close(self) -> None:
        if self._own_store:
            self.store.close()
        self.confinement.close()
        shutil.rmtree(self._runtime, ignore_errors=True)

    # --- public ----------------------------------------------------------------------------

    def validate(
        self,
        suggestions: Sequence[Suggestion],
        progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | Cancel | None = None,
    ) -> list[Suggestion]:
        """Validate every suggestion that has a patch; store and return them (same order).

        Suggestions without a patch, and ones not reached before ``cancel``, come back
        unchanged.
        """
        user_cancel = _as_cancel(cancel)
        stop = threading.Event()

        def is_cancelled() -> bool:
            return stop.is_set() or user_cancel()

        out = list(suggestions)
        todo = [i for i, s in enumerate(out) if s.patch is not None and s.patch.edits]
        total, done = len(todo), 0
        if progress:
            progress(0, total)
        if not todo:
            return out
        self.confinement.warn_once()
        ex = ThreadPoolExecutor(max_workers=min(self.pool.size, total), thread_name_prefix="kaizen-validate")
        try:
            futures = {ex.submit(self._validate_guarded, out[i], is_cancelled): i for i in todo}
            for fut in as_completed(futures):
                i = futures[fut]
                result = fut.result()
                if result is not None:
                    out[i] = result
                    self.store.put_suggestions([result])
                done += 1
                if progress:
                    progress(done, total)
        except BaseException:
            # Ctrl-C (KeyboardInterrupt) or the caller's own error: every running test run is
            # killed now, instead of the threads finishing their suites first.
            stop.set()
            ex.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            ex.shutdown(wait=True)
        return out

    # --- one candidate ---------------------------------------------------------------------

    def _validate_guarded(self, s: Suggestion, cancel: Cancel) -> Suggestion | None:
        if cancel():
            return None
        t0 = time.perf_counter()
        try:
            with self.pool.acquire(cancel) as box:
                v = self._validate_in(box, s, cancel)
        except (Cancelled, InterruptedError):
            return None
        except Exception as exc:  # a validation must never take the caller down
            v = Validation(ValidationStatus.ERROR, log=f"validation crashed: {type(exc).__name__}: {exc}")
        if not self.confined:
            v = _with(v, log=f"unconfined: {self.confinement.reason}; the tests ran with the "
                             f"user's access to files and network\n{v.log}"[:LOG_LIMIT])
        v = _with(v, duration_s=round(time.perf_counter() - t0, 3), at=time.time(),
                  base_hash=s.patch.base_hash if s.patch else "", confined=self.confined)
        return s.replace(validation=v)

    def _validate_in(self, box: Sandbox, s: Suggestion, cancel: Cancel) -> Validation:
        """The steps for one candidate: can it be judged, patch, parse, select, run, judge, time."""
        assert s.patch is not None
        rel = s.patch.path
        refused = self._refusal(box, rel, s.patch.base_hash)
        if refused is not None:
            return refused
        # 1. The patched bytes, in the file's own encoding.
        raw = (box.path / rel).read_bytes()
        try:
            text, encoding, _fb, bom = decode_source(raw)
            data = text.encode("utf-8", "surrogatepass")
            new_data = s.patch.apply(data)
            new_raw = encode_source(new_data.decode("utf-8", "surrogatepass"), encoding, bom)
        except (ValueError, UnicodeError) as exc:
            return Validation(ValidationStatus.ERROR, log=f"the patch cannot be applied to {rel}: {exc}")

        # 2. Does it still parse?
        language = language_for_path(rel)
        tree = parse(language, data) if language else None
        problem = _parse_problem(language, tree, data, new_data)
        if problem:
            return Validation(ValidationStatus.FAILED, log=f"the patched {rel} does not parse: {problem}")

        # 3. Which tests?
        selection, why = self._select(rel, language, tree, data, [(e.start, e.end) for e in s.patch.edits], box)
        notes = [why]
        env = _env(box.path, self.pass_env)
        if cancel():
            raise Cancelled

        # 4. The patched run, then the verdict on it.
        ran = self._patched_run(box, rel, new_raw, selection, env, cancel, notes)
        if isinstance(ran, Validation):
            return ran
        run, selection, failing, flaky = ran
        judged = self._judge(box, run, selection, failing, flaky, env, cancel, notes)
        if isinstance(judged, Validation):
            return judged
        tests_run = judged

        # 5. Performance claims are timed.
        if s.category == "performance":
            return self._time(box, s, rel, new_raw, selection, env, cancel, tests_run, notes)
        return Validation(ValidationStatus.PASSED, tests_run, log=_log(notes, ""))

    def _refusal(self, box: Sandbox, rel: str, base_hash: str) -> Validation | None:
        """Why this candidate cannot be judged here at all (None: it can)."""
        if box.hash_of(rel) is None:
            return Validation(ValidationStatus.SKIPPED,
                              log=f"{rel} is not part of the sandbox (missing, or ignored by .gitignore)")
        if box.hash_of(rel) != base_hash:
            return Validation(ValidationStatus.SKIPPED,
                              log=f"{rel} changed since this suggestion was made; re-scan to re-compute it")
        if not self.confinement.available:
            return Validation(ValidationStatus.ERROR, log=(
                f"validation.confine = \"require\", but the tests cannot be confined: {self.confinement.reason}"))
        if self.command.is_pytest and is_test_file(rel):
            # The tests judge the candidate: a candidate that rewrites them could pass anything.
            return Validation(ValidationStatus.SKIPPED, log=(
                f"{rel} is part of the test suite (a test file, conftest.py or under a tests folder): "
                "validation runs the project's own tests and cannot vouch for a change to them"))
        return None

    def _patched_run(
        self, box: Sandbox, rel: str, new_raw: bytes, selection: list[str] | None, env: dict[str, str],
        cancel: Cancel, notes: list[str],
    ) -> Validation | tuple[RunResult, list[str] | None, list[str], list[str]]:
        """Run the tests on the patched file; a failing test is re-run once (flaky?).

        Returns a verdict when the run itself decides (faked or unreadable outcomes), else
        (run, selection, still failing, flaky).
        """
        with box.patched({rel: new_raw}):
            run = self._run(box, selection, env, cancel)
            if run.returncode == 4 and selection:  # stale test ids in the trace: use the suite
                notes.append("the trace names tests that no longer exist; ran the whole suite")
                selection = None
                run = self._run(box, None, env, cancel)
            if run.faked:
                return Validation(ValidationStatus.FAILED, tuple(sorted(run.outcomes))[:MAX_TESTS_KEPT],
                                  tuple(run.report.not_run + run.report.failed_but_passed) if run.report else (),
                                  log=_log([*notes, run.faked], run.output))
            if run.unreadable:
                return Validation(ValidationStatus.ERROR, log=_log(
                    [*notes, f"could not read the test outcomes: {run.unreadable} (exit code {run.returncode})"],
                    run.output))
            failing = run.failed
            flaky: list[str] = []
            if failing and not run.timed_out and self.command.is_pytest:
                again = self._run(box, failing, env, cancel)
                if again.faked:
                    return Validation(ValidationStatus.FAILED, tuple(sorted(run.outcomes))[:MAX_TESTS_KEPT],
                                      tuple(failing), log=_log([*notes, "on the re-run: " + again.faked],
                                                               again.output))
                flaky = [t for t in failing if again.outcomes.get(t) == "passed" and not again.unreadable]
                failing = [t for t in failing if t not in flaky]
        return run, selection, failing, flaky

    def _judge(
        self, box: Sandbox, run: RunResult, selection: list[str] | None, failing: list[str], flaky: list[str],
        env: dict[str, str], cancel: Cancel, notes: list[str],
    ) -> Validation | tuple[str, ...]:
        """What still fails is run on the unchanged code (already failing?); the baseline is
        only needed when something fails, so a passing candidate costs one run.

        Returns the verdict, or the tests that ran when the patch passed them.
        """
        tests_run = tuple(sorted(run.outcomes))
        if len(tests_run) > MAX_TESTS_KEPT:
            # Stored on every suggestion: a huge suite would bloat the store and the warm start.
            notes.append(f"{len(tests_run)} tests ran; the first {MAX_TESTS_KEPT} are listed")
            tests_run = tests_run[:MAX_TESTS_KEPT]
        if flaky:
            notes.append("flaky (failed, then passed on a re-run; not blamed on the patch): " + ", ".join(flaky))
        command_failed = run.returncode not in (0, 5) and not run.failed and not flaky
        base: RunResult | None = None
        if run.timed_out or command_failed or (failing and not self.command.is_pytest):
            base = self._baseline_for(box, selection, env, cancel)
        elif failing:
            base = self._baseline_for(box, failing, env, cancel)
        if base is not None and base.unreadable:
            return Validation(ValidationStatus.ERROR, tests_run, log=_log(
                [*notes, f"could not read the test outcomes of the run without the patch: {base.unreadable}"],
                base.output))
        if base is not None and base.timed_out:
            return Validation(ValidationStatus.ERROR, tests_run, log=_log(
                [*notes, "the tests time out on the unchanged code too; cannot judge the patch"], base.output))
        excused = sorted(t for t in failing if self._baseline_outcome(box, t, base) in _FAILING)
        suspects = [t for t in failing if t not in excused]
        if excused:
            notes.append("already failing without the patch (not blamed on it): " + ", ".join(excused))
            passing = sum(1 for o in run.outcomes.values() if o == "passed") + len(flaky)
            if not passing and not suspects:
                notes.append("no test passes in the sandbox even without the patch (a file the tests "
                             "need may be git-ignored, or the suite is broken): cannot judge the patch")
                return Validation(ValidationStatus.ERROR, tests_run, log=_log(notes, run.output))
        return self._verdict(run, base, tests_run, suspects, command_failed, notes)

    def _verdict(
        self, run: RunResult, base: RunResult | None, tests_run: tuple[str, ...], suspects: list[str],
        command_failed: bool, notes: list[str],
    ) -> Validation | tuple[str, ...]:
        if run.timed_out:
            return Validation(ValidationStatus.FAILED, tests_run, tuple(suspects),
                              log=_log([*notes, f"the tests timed out after {self.timeout:g}s with the patch"],
                                       run.output))
        if suspects:
            notes.append("broken by the patch: " + ", ".join(suspects))
            return Validation(ValidationStatus.FAILED, tests_run, tuple(suspects), log=_log(notes, run.output))
        if command_failed:
            if base is not None and base.returncode == run.returncode:
                notes.append(f"the test command fails with exit code {run.returncode} without the patch too")
                return Validation(ValidationStatus.ERROR, tests_run, log=_log(notes, run.output))
            notes.append(f"the test command failed with exit code {run.returncode} (it passed without the patch)")
            return Validation(ValidationStatus.FAILED, tests_run, (), log=_log(notes, run.output))
        if run.returncode == 5 or (run.report is not None and run.report.exitstatus == 5) or (
                self.command.is_pytest and not tests_run):
            # Only when the plugin saw the session through (else: the error above).
            notes.append("no tests ran")
            return Validation(ValidationStatus.SKIPPED, tests_run, log=_log(notes, run.output))
        notes.append(f"{len(run.outcomes)} test(s) passed" if self.command.is_pytest else "the test command passed")
        return tests_run

    # --- pieces ----------------------------------------------------------------------------

    def _select(self, rel: str, language: str | None, tree: tree_sitter.Tree | None, data: bytes,
                edits: list[tuple[int, int]], box: Sandbox) -> tuple[list[str] | None, str]:
        if not self.command.is_pytest:
            return None, "ran the configured test command (not pytest: no test selection)"
        region = affected_region(language, tree, data, edits)
        if region.module_level:
            a, b = region.changed_lines
            return None, f"whole suite: the change touches module-level code (lines {a}-{b})"
        if self.coverage is None:
            return None, "whole suite: no per-test coverage (run `kaizen trace` to enable test selection)"
        tests: set[str] = set()
        for ranges in (region.functions, region.outer):
            tests = set()
            for a, b in ranges:
                try:
                    found = self.coverage(rel, a, b)
                except StaleCoverage as exc:
                    return None, f"whole suite: {exc} (run `kaizen trace` again to select tests)"
                except Exception as exc:  # a broken trace must not stop validation
                    return None, f"whole suite: the trace could not be read ({exc})"
                if found is None:
                    return None, "whole suite: the latest trace has no per-test coverage"
                tests |= found
            if tests:
                break
        if not tests:
            return None, "whole suite: no test in the latest trace executed the changed function"
        present = sorted(t for t in tests if (box.path / t.split("::", 1)[0]).exists())
        if not present:
            return None, "whole suite: the tests named by the trace no longer exist"
        lines = ", ".join(f"{a}-{b}" for a, b in region.functions)
        why = f"{len(present)} test(s) selected: they executed lines {lines} of {rel} in the latest trace"
        if isinstance(self.coverage, TraceCoverage):
            new, conftest = self.coverage.new_tests(box.mtimes())
            if conftest:
                return None, "whole suite: a conftest.py changed after the latest trace"
            if new:
                # The whole file: any test in it may be new since the trace.
                present = [t for t in present if t.split("::", 1)[0] not in new] + new
                why += f"; and {len(new)} test file(s) written since the trace: {', '.join(new)}"
        return present, why

    def _run(self, box: Sandbox, tests: Sequence[str] | None, env: dict[str, str], cancel: Cancel,
             command: TestCommand | None = None, junit: Path | None = None) -> RunResult:
        cmd = command or self.command
        box.sync()  # undo what an earlier run's tests did to the sandbox's files
        io = Path(tempfile.mkdtemp(prefix="run-", dir=self._runtime))
        env = dict(env)
        writable = [io]
        if cmd.is_pytest:
            env[ENV_DIR] = str(io)
            env["PYTHONPATH"] = os.pathsep.join([str(self._plugin), *(p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p)])
        if junit is not None:
            writable.append(junit.parent)
        read_only = [box.path / rel for rel in box.mtimes() if is_test_file(rel) or rel in _TEST_CONFIG]
        argv, spec = self.confinement.wrap(cmd.argv_for(tests, junit), box.path, writable=writable,
                                           readable=[self._plugin], read_only=read_only[:MAX_READ_ONLY])
        try:
            result = run_command(argv, box.path, self.timeout, cancel, env,
                                 pass_fds=[spec.fileno()] if spec else [],
                                 outcomes=io if cmd.is_pytest else None)
        finally:
            if spec is not None:
                spec.close()
            shutil.rmtree(io, ignore_errors=True)
        if result.cancelled:
            raise Cancelled
        return result

    def _baseline_for(self, box: Sandbox, tests: list[str] | None, env: dict[str, str],
                      cancel: Cancel) -> RunResult | None:
        """Outcomes on the unchanged code, run once per project state and test."""
        state = box.state
        with self._lock:
            if tests is None:
                if state in self._suite_done:
                    return self._suite_done[state]
                missing: list[str] | None = None
            else:
                if state in self._suite_done:
                    return None
                missing = [t for t in tests if (state, t) not in self._baseline]
                if not missing:
                    return None
        run = self._run(box, missing, env, cancel)
        with self._lock:
            for t, o in run.outcomes.items():
                self._baseline[(state, t)] = o
            if missing is not None:
                for t in missing:
                    # No report (an id pytest could not find, a crash): unknown, so a failure
                    # with the patch is not excused by it. Blaming wrongly only withholds a
                    # suggestion; excusing wrongly would let a breaking change through.
                    self._baseline.setdefault((state, t), "unknown")
            elif not run.timed_out:
                self._suite_done[state] = run
        return run

    def _baseline_outcome(self, box: Sandbox, test: str, base: RunResult | None) -> str | None:
        with self._lock:
            found = self._baseline.get((box.state, test))
        if found is None and base is not None:
            found = base.outcomes.get(test)
        return found

    def _time(self, box: Sandbox, s: Suggestion, rel: str, new_raw: bytes, selection: list[str] | None,
              env: dict[str, str], cancel: Cancel, tests_run: tuple[str, ...], notes: list[str]) -> Validation:
        cmd = self.benchmark or self.command
        what = "the benchmark command" if self.benchmark else "the affected tests"
        tests = None if self.benchmark else selection

        junit = Path(tempfile.mkdtemp(prefix="timing-", dir=self._runtime)) / "report.xml"

        def timed() -> tuple[float, float | None]:
            """(wall seconds, seconds inside the tests as pytest reports them, if it does)."""
            junit.unlink(missing_ok=True)
            r = self._run(box, tests, env, cancel, cmd, junit=junit if cmd.is_pytest else None)
            if r.faked or r.unreadable:
                raise RuntimeError(f"{r.faked or r.unreadable}\n{r.output[-2000:]}")
            if not r.ok and not (r.returncode == 0 and self.benchmark):
                raise RuntimeError(r.output[-2000:])
            return r.duration, junit_seconds(junit) if cmd.is_pytest else None

        try:
            self._run(box, tests, env, cancel, cmd)  # warm-up: imports, bytecode, disk cache
            befores = [timed() for _ in range(self.repeats)]
            with box.patched({rel: new_raw}):
                self._run(box, tests, env, cancel, cmd)
                afters = [timed() for _ in range(self.repeats)]
        except RuntimeError as exc:
            return Validation(ValidationStatus.FAILED, tests_run,
                              log=_log([*notes, f"{what} failed while being timed"], str(exc)))
        finally:
            shutil.rmtree(junit.parent, ignore_errors=True)
        # The tests' own time when pytest reported it for every run: interpreter start-up and
        # collection are the same before and after and would only dilute the speed-up. Else
        # the command's wall-clock time, for every run alike.
        if all(t is not None for _w, t in befores + afters):
            what += " (time in the tests, as pytest reports it)"
            # JUnit XML has millisecond resolution: a floor keeps the ratio finite.
            before = max(min(t or 0.0 for _w, t in befores), 0.001)
            after = max(min(t or 0.0 for _w, t in afters), 0.001)
        else:
            what += " (wall-clock time of the command)"
            before = min(w for w, _t in befores)
            after = min(w for w, _t in afters)
        speedup = before / after if after > 0 else 1.0
        notes.append(
            f"timed {what}: best of {self.repeats}: {before:.3f}s before, {after:.3f}s after "
            f"(speed-up x{speedup:.2f}; required x{self.min_speedup:.2f})"
        )
        status = ValidationStatus.PASSED if speedup >= self.min_speedup else ValidationStatus.FAILED
        if status is ValidationStatus.FAILED:
            notes.append("not validated: the measured speed-up is below the requirement")
        return Validation(status, tests_run, time_before_s=round(before, 4), time_after_s=round(after, 4),
                          speedup=round(speedup, 3), log=_log(notes, ""))


def _parse_problem(language: str | None, tree: tree_sitter.Tree | None, data: bytes, new_data: bytes) -> str:
    if language is None:
        return ""
    new_tree = parse(language, new_data)
    if new_tree.root_node.has_error and not (tree is not None and tree.root_node.has_error):
        issues = syntax_issues(new_tree, new_data)
        return f"line {issues[0].line}: {issues[0].message}" if issues else "syntax error"
    if language == "python":
        # One parse at a time: on 3.11, ast.parse in two threads at once can fail with
        # "SystemError: AST constructor recursion depth mismatch" (CPython gh-106905), and
        # validations run in parallel threads.
        with _AST_LOCK:
            try:
                ast.parse(data)
            except (SyntaxError, ValueError):
                return ""  # the original does not compile either; nothing to compare against
            try:
                ast.parse(new_data)
            except (SyntaxError, ValueError) as exc:
                return f"line {getattr(exc, 'lineno', '?')}: {getattr(exc, 'msg', exc)}"
    return ""


_AST_LOCK = threading.Lock()


_TEST_CONFIG = frozenset({"pyproject.toml", "pytest.ini", "tox.ini", "setup.cfg", ".pytest.ini"})
_TEST_DIRS = frozenset({"tests", "test", "testing"})


def is_test_file(rel: str) -> bool:
    """Whether a project file belongs to the test suite (Python files only)."""
    parts = rel.split("/")
    name = parts[-1]
    if not name.endswith(".py"):
        return False
    return (name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py")
            or any(p in _TEST_DIRS for p in parts[:-1]))


def _env(sandbox: Path, extra: Sequence[str] = ()) -> dict[str, str]:
    """The environment of a test run: the sandbox's code first on the import path.

    Only an allow-list of variables passes (:func:`analysis.environment.allowed`, plus
    ``validation.pass-env``): no API keys, tokens or agent sockets reach candidate code.
    A project installed in editable mode would otherwise import the real project's modules
    (``src/`` layouts especially), and the patch would not be what gets tested.
    """
    env = allowed(os.environ, extra)
    for var in ("PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER", "COV_CORE_SOURCE"):
        env.pop(var, None)
    first = [str(sandbox)]
    if (sandbox / "src").is_dir():
        first.insert(0, str(sandbox / "src"))
    old = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = os.pathsep.join([*first, *(p for p in old.split(os.pathsep) if p)])
    # The sandbox sits inside the project: without a ceiling, git run by a test would find the
    # project's own repository above it, and a `git stash` or `git clean` there would reach
    # the user's real work tree.
    ceilings = [str(sandbox.parent), *(c for c in env.get("GIT_CEILING_DIRECTORIES", "").split(":") if c)]
    env["GIT_CEILING_DIRECTORIES"] = ":".join(ceilings)
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(var, None)
    return env


def _log(notes: Sequence[str], output: str) -> str:
    """Notes first, then the part of the output that explains failures (bounded)."""
    text = "\n".join(n for n in notes if n)
    excerpt = _excerpt(output)
    if excerpt:
        text += "\n\n" + excerpt
    return text[:LOG_LIMIT]


def _excerpt(output: str) -> str:
    if not output:
        return ""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(r"^=+ (FAILURES|ERRORS) =+$", line)), None)
    summary = [line for line in lines if line.startswith(("FAILED ", "ERROR "))]
    tail = [line for line in lines[-3:] if line.strip()]
    body = lines[start:] if start is not None else lines[-40:]
    body = [line for line in body if not line.startswith("PASSED ")]
    text = "\n".join(body)
    if len(text) > LOG_LIMIT - 1500:
        text = text[: LOG_LIMIT - 2000] + "\n[…]\n" + "\n".join(summary + tail)
    return text


def _with(v: Validation, **kw: object) -> Validation:
    return dataclasses.replace(v, **kw)  # type: ignore[arg-type]


def _as_cancel(cancel: threading.Event | Cancel | None) -> Cancel:
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    return cancel


def validate_all(
    root: Path | str,
    config: Config | None,
    store: Store | None,
    suggestions: Sequence[Suggestion],
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | Cancel | None = None,
) -> list[Suggestion]:
    """One-shot: validate ``suggestions`` (results stored) and return them."""
    validator = Validator(root, config, store)
    try:
        return validator.validate(suggestions, progress=progress, cancel=cancel)
    finally:
        validator.close()
