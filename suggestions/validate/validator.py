"""Validation: a change is applied in a sandbox, re-parsed and run against the tests, and the
evidence it earned is graded.

A change is a set of patches (one per file): a suggestion is a change of one file, and
``kaizen validate --diff`` gives one per file of the diff (:meth:`Validator.validate_change`).
For each change:

1. take a synced sandbox from the pool and write the patched files into it (each still
   pinned to the content it was made for);
2. check that they still parse (tree-sitter, and ``ast.parse`` for Python);
3. select the tests: those that executed the changed functions according to the latest
   trace (``TraceStore.tests_covering``), or the whole suite when there is no per-test
   coverage or the change touches module-level code, a conftest.py or the test setup;
4. run them on the patched files, recording which changed lines (lines of the patched files
   that hold code) each test executed (Kaizen's pytest plugin, ``KAIZEN_WATCH``); tell the
   patch's failures from tests that already fail on the unchanged code (a baseline run,
   cached per project state) and from flaky ones (re-run once before they count);
5. a change whose tests pass but that no test executed is **unverified**, never passed;
6. recorded real calls of the changed functions are replayed on the old and the new code
   (:mod:`suggestions.validate.replay`): a difference fails the change, naming the input;
7. performance claims are timed in interleaved pairs (:mod:`suggestions.validate.timing`)
   and pass only when the speed-up's 95% interval clears ``validation.min-speedup``;
8. mutants of the changed code are run against the covering tests
   (:mod:`suggestions.validate.mutants`) when that can still make the change proven;
9. the grade (:mod:`suggestions.validate.evidence`): proven, passed, unverified or failed.
   A change that touches the tests themselves (:mod:`suggestions.validate.guard`) is
   flagged and graded passed at most; a suggestion that edits a test file is not judged.

Test runs are confined (:mod:`suggestions.validate.confine`: bubblewrap namespaces, the sandbox copy
the only writable tree, no network, no ``$HOME``, a scrubbed environment, limits); where that
is impossible the result says ``confined=False`` and no rule applies it automatically. A
timeout or a cancel kills the whole run. Per-test outcomes come from Kaizen's own pytest
plugin (:mod:`suggestions.validate.outcomes`), never from the terminal output, which is only the log;
the plugin also tells whether each test's body actually ran. Results are stored on the
suggestion (``Validation``) in the store.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Literal

import tree_sitter

from analysis.config import Config, load_config
from analysis.trace_store import TraceStore
from suggestions.model import (
    Patch,
    Strength,
    Suggestion,
    Validation,
    ValidationStatus,
    content_hash,
)
from suggestions.store import Store
from suggestions.validate.changeset import Change, prepare
from suggestions.validate.confine import Confinement, Limits, python_paths
from suggestions.validate.coverage import (
    StaleCoverage,
    TraceCoverage,
    affected_region,
    trace_coverage,
)
from suggestions.validate.guard import is_test_config, is_test_file, touches_tests
from suggestions.validate.outcomes import (
    ENV_DIR,
    ENV_WATCH,
    PLUGIN_DIR,
)
from suggestions.validate.proof import Cancelled, EvidenceSteps, RunContext
from suggestions.validate.runner import FAILING as _FAILING
from suggestions.validate.runner import (
    LOG_LIMIT,
    Cancel,
    RunResult,
    TestCommand,
    log_text,
    parse_pytest_report,
    run_command,
    run_env,
)
from suggestions.validate.sandbox import Sandbox, SandboxPool, default_pool_size

__all__ = [
    "Coverage",
    "RunResult",
    "TestCommand",
    "Validator",
    "affected_region",
    "is_test_file",
    "parse_pytest_report",
    "run_command",
    "validate_all",
]

# (path, start_line, end_line) -> test ids, or None when there is no per-test coverage.
Coverage = Callable[[str, int, int], "set[str] | None"]

MAX_TESTS_KEPT = 2000
MAX_READ_ONLY = 5000  # test files bound read-only in the confinement
_TEST_CONFIG = frozenset({"pyproject.toml", "pytest.ini", "tox.ini", "setup.cfg", ".pytest.ini"})
_log = log_text
_env = run_env  # the environment of a test run (tests/security imports it from here)


class Validator(EvidenceSteps):
    """Validates candidate changes in sandboxes of ``root`` (see the module docstring)."""

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
        self.mutants = int(v.get("mutants", 8))
        self.mutant_budget = float(v.get("mutant-budget", 60.0))
        self.threshold = float(v.get("mutation-threshold", 0.6))
        self.replay_min = int(v.get("replay-min", 3))
        self.command = TestCommand(self.root, str(v["test-command"]))
        bench = str(v.get("benchmark-command") or "")
        self.benchmark = TestCommand(self.root, bench) if bench else None
        self.python = TestCommand(self.root, "python")  # replays run in the project's interpreter
        workers = int(v["workers"]) or default_pool_size()
        # Not `exclude`: that keeps files out of analysis, but tests may well need them.
        self.pool = pool or SandboxPool(self.root, workers)
        # "trace": the latest trace's per-test coverage; None: always the whole suite.
        self.coverage = trace_coverage(self.store, self.root) if coverage == "trace" else coverage
        self._traces: TraceStore | None = None
        self._baseline: dict[tuple[str, str], str] = {}  # (project state, test) -> outcome
        self._suite_done: dict[str, RunResult] = {}  # project state -> whole-suite baseline run
        self._lock = threading.Lock()
        self.pass_env = tuple(str(e) for e in (v.get("pass-env") or ()))
        memory = int(v.get("memory-mb", Limits().memory_mb))
        # CPU seconds: a backstop for a run that forks around the wall-clock timeout.
        limits = Limits(memory_mb=memory, cpu_s=int(self.timeout * 4) + 60)
        programs = [self.command.argv[0], *([self.benchmark.argv[0]] if self.benchmark else []),
                    self.python.argv[0]]
        self.confinement = Confinement(self.root, programs[0], str(v.get("confine", "auto")), limits)
        for extra in programs[1:]:
            self.confinement.readable += [p for p in python_paths(extra) if p not in self.confinement.readable]
        # Kaizen's plugins, copied where the confinement can read them (Kaizen itself may live
        # in the project being validated, which the confinement hides).
        self._runtime = Path(tempfile.mkdtemp(prefix="kaizen-validate-"))
        self._plugin = self._runtime / "plugin"
        self._plugin.mkdir()
        weakref.finalize(self, shutil.rmtree, str(self._runtime), True)  # if never closed
        for plugin in sorted(PLUGIN_DIR.glob("_kaizen_*.py")):
            shutil.copy2(plugin, self._plugin / plugin.name)

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

    def validate_change(self, patches: Sequence[Patch], *, category: str = "",
                        cancel: threading.Event | Cancel | None = None) -> Validation:
        """Validate a change set of one or more files (the user's diff, another tool's patch).

        Each patch edits one file and is pinned to the file's content as the sandbox sees it:
        ``base_hash`` must be :func:`suggestions.model.content_hash` (SHA-256) of the file's
        bytes on disk, the same hash as ``read_source(path).raw_hash`` and every other
        patch's base; a patch for a file the change creates has ``base_hash=""`` (its edits
        apply to empty content). Edit offsets are into the file's decoded UTF-8 text, as for
        every :class:`~suggestions.model.Patch`. The project's files are never touched. Unlike
        a suggestion, a change that edits the tests is judged: the changed tests run, the
        result is flagged ``touches_tests`` and graded passed at most. ``category`` is
        "performance" to time it. Nothing is stored. A cancelled validation comes back
        pending. The returned ``base_hash`` is the single patch's base, or for several the
        hash of their "path NUL base" lines.
        """
        if not patches or not any(p.edits for p in patches):
            return Validation(ValidationStatus.SKIPPED, log="the change is empty: nothing to validate",
                              at=time.time())
        self.confinement.warn_once()
        v = self._guarded(list(patches), category, _as_cancel(cancel), change_set=True)
        return v if v is not None else Validation(log="cancelled")

    # --- one change ------------------------------------------------------------------------

    def _validate_guarded(self, s: Suggestion, cancel: Cancel) -> Suggestion | None:
        assert s.patch is not None
        v = self._guarded([s.patch], s.category, cancel, change_set=False)
        return s.replace(validation=v) if v is not None else None

    def _guarded(self, patches: list[Patch], category: str, cancel: Cancel, *, change_set: bool) -> Validation | None:
        if cancel():
            return None
        t0 = time.perf_counter()
        try:
            with self.pool.acquire(cancel) as box:
                v = self._validate_in(box, patches, category, cancel, change_set)
        except (Cancelled, InterruptedError):
            return None
        except Exception as exc:  # a validation must never take the caller down
            v = Validation(ValidationStatus.ERROR, log=f"validation crashed: {type(exc).__name__}: {exc}")
        if not self.confined:
            v = _with(v, log=f"unconfined: {self.confinement.reason}; the tests ran with the "
                             f"user's access to files and network\n{v.log}"[:LOG_LIMIT])
        base = patches[0].base_hash if len(patches) == 1 else content_hash(
            "".join(f"{p.path}\0{p.base_hash}\n" for p in patches).encode("utf-8", "surrogateescape"))
        return _with(v, duration_s=round(time.perf_counter() - t0, 3), at=time.time(), base_hash=base,
                     confined=self.confined)

    def _validate_in(self, box: Sandbox, patches: list[Patch], category: str, cancel: Cancel,
                     change_set: bool) -> Validation:
        """The steps for one change: can it be judged, patch, parse, select, run, judge, grade."""
        for p in patches:
            refused = self._refusal(box, p, change_set)
            if refused is not None:
                return refused
        changes: list[Change] = []
        for p in patches:
            prepared = prepare(box.path, p)
            if isinstance(prepared, Validation):
                return self._finish(prepared, Strength(), False)
            changes.append(prepared)
        touched = touches_tests([(c.rel, *c.texts()) for c in changes])
        selection, why = self._select_all(changes, box)
        notes = [why]
        if touched:
            notes.append("the tests themselves changed (" + "; ".join(touched) + "): they ran as changed, "
                         "so this validation vouches for no more than 'passed', and no rule applies it")
        strength = Strength(touches_tests=touched)
        ctx = RunContext(box, changes, selection, run_env(box.path, self.pass_env), cancel, notes)
        if cancel():
            raise Cancelled
        ran = self._patched_run(ctx)
        if isinstance(ran, Validation):
            return self._finish(ran, strength, False)
        run, failing, flaky = ran
        judged = self._judge(box, run, ctx.selection, failing, flaky, ctx.env, cancel, notes)
        if isinstance(judged, Validation):
            return self._finish(judged, strength, False)
        return self._evidence(ctx, run, judged, category, strength)


    # --- steps -----------------------------------------------------------------------------

    def _refusal(self, box: Sandbox, patch: Patch, change_set: bool) -> Validation | None:
        """Why this patch cannot be judged here at all (None: it can)."""
        rel = patch.path
        have = box.hash_of(rel)
        creates = change_set and not patch.base_hash and not (box.path / rel).exists()
        if have is None and not creates:
            return Validation(ValidationStatus.SKIPPED,
                              log=f"{rel} is not part of the sandbox (missing, or ignored by .gitignore)")
        if have is not None and have != patch.base_hash:
            made = "the diff was made" if change_set else "this suggestion was made; re-scan to re-compute it"
            return Validation(ValidationStatus.SKIPPED, log=f"{rel} changed since {made}")
        if not self.confinement.available:
            return Validation(ValidationStatus.ERROR, log=(
                f"validation.confine = \"require\", but the tests cannot be confined: {self.confinement.reason}"))
        if not change_set and self.command.is_pytest and (is_test_file(rel) or is_test_config(rel)):
            # The tests judge the candidate: a candidate that rewrites them could pass anything.
            return Validation(ValidationStatus.SKIPPED, log=(
                f"{rel} is part of the test suite (a test file, conftest.py, under a tests folder, or how the "
                "tests run): validation runs the project's own tests and cannot vouch for a change to them"),
                strength=Strength(touches_tests=(f"edits {rel}",)))
        return None

    def _patched_run(self, ctx: RunContext) -> Validation | tuple[RunResult, list[str], list[str]]:
        """Run the tests on the patched files; a failing test is re-run once (flaky?).

        Returns a verdict when the run itself decides (faked or unreadable outcomes), else
        (run, still failing, flaky); ``ctx.selection`` becomes what actually ran.
        """
        box, env, cancel, notes = ctx.box, ctx.env, ctx.cancel, ctx.notes
        watch = {c.rel: list(c.lines) for c in ctx.changes if c.lines} if self.command.is_pytest else {}
        with box.patched(ctx.contents):
            run = self._run(box, ctx.selection, env, cancel, watch=watch)
            if run.returncode == 4 and ctx.selection:  # stale test ids in the trace: use the suite
                notes.append("the trace names tests that no longer exist; ran the whole suite")
                ctx.selection = None
                run = self._run(box, None, env, cancel, watch=watch)
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
        return run, failing, flaky

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

    def _select_all(self, changes: Sequence[Change], box: Sandbox) -> tuple[list[str] | None, str]:
        """The tests for a change set: every file's selection; a changed test file runs whole."""
        if not self.command.is_pytest:
            return None, "ran the configured test command (not pytest: no test selection)"
        files: set[str] = set()
        ids: set[str] = set()
        whys: list[str] = []
        for c in changes:
            name = c.rel.rsplit("/", 1)[-1]
            if name == "conftest.py" or is_test_config(c.rel) or c.rel in _TEST_CONFIG:
                return None, f"whole suite: the change edits {c.rel}"
            if is_test_file(c.rel):
                files.add(c.rel)
                whys.append(f"the changed test file {c.rel}")
                continue
            selection, why = self._select(c.rel, c.language, c.tree, c.data,
                                          [(e.start, e.end) for e in c.patch.edits], box)
            if selection is None:
                return None, why if len(changes) == 1 else f"{c.rel}: {why}"
            ids.update(selection)
            whys.append(why)
        tests = sorted(files | {t for t in ids if t.split("::", 1)[0] not in files})
        return tests, "; ".join(whys)

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
             command: TestCommand | None = None, junit: Path | None = None, *, extra_args: Sequence[str] = (),
             extra_env: Mapping[str, str] | None = None, writable: Sequence[Path] = (), timeout: float | None = None,
             watch: Mapping[str, Sequence[int]] | None = None) -> RunResult:
        """One confined run of the tests in ``box`` (synced first). ``watch``: record which of
        these lines of these files each test executes (pytest only)."""
        cmd = command or self.command
        box.sync()  # undo what an earlier run's tests did to the sandbox's files
        io = Path(tempfile.mkdtemp(prefix="run-", dir=self._runtime))
        env = {**env, **(extra_env or {})}
        dirs = [io, *(Path(d) for d in writable)]
        if cmd.is_pytest:
            env[ENV_DIR] = str(io)
            env["PYTHONPATH"] = os.pathsep.join([str(self._plugin), *(p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p)])
            if watch:
                spec_file = io / "watch.json"
                spec_file.write_text(json.dumps({"files": {k: list(v) for k, v in watch.items()}}), encoding="utf-8")
                env[ENV_WATCH] = str(spec_file)
        if junit is not None:
            dirs.append(junit.parent)
        read_only = [box.path / rel for rel in box.mtimes() if is_test_file(rel) or rel in _TEST_CONFIG]
        argv, spec = self.confinement.wrap(cmd.argv_for(tests, junit, extra_args), box.path, writable=dirs,
                                           readable=[self._plugin], read_only=read_only[:MAX_READ_ONLY])
        try:
            result = run_command(argv, box.path, timeout or self.timeout, cancel, env,
                                 pass_fds=[spec.fileno()] if spec else [],
                                 outcomes=io if cmd.is_pytest else None)
        finally:
            if spec is not None:
                spec.close()
            shutil.rmtree(io, ignore_errors=True)
        if result.cancelled:
            raise Cancelled
        return result

    def _run_python(self, ctx: RunContext, argv: Sequence[str], extra_env: Mapping[str, str], writable: Sequence[Path],
                    timeout: float) -> RunResult:
        """``python ARGV`` confined in the (unpatched) sandbox, Kaizen's plugins importable."""
        box = ctx.box
        box.sync()
        env = {**ctx.env, **extra_env}
        paths = [str(self._plugin), *extra_env.get("PYTHONPATH", "").split(os.pathsep),
                 *ctx.env.get("PYTHONPATH", "").split(os.pathsep)]
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(p for p in paths if p))
        wrapped, spec = self.confinement.wrap([self.python.argv[0], *argv], box.path,
                                              writable=[Path(d) for d in writable], readable=[self._plugin])
        try:
            result = run_command(wrapped, box.path, timeout, ctx.cancel, env,
                                 pass_fds=[spec.fileno()] if spec else [])
        finally:
            if spec is not None:
                spec.close()
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
