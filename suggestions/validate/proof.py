"""The evidence steps of a validation, after its tests passed: which changed lines ran, replay of
recorded calls, timing of performance claims, mutants, and the grade.

A mixin of :class:`suggestions.validate.validator.Validator` (split out for size): it uses
the validator's runs (``_run``, ``_run_python``) and settings. The mutant and replay engines
are :mod:`suggestions.validate.mutants` and :mod:`suggestions.validate.replay`.
"""

from __future__ import annotations

import dataclasses
import importlib
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.store import state_dir
from analysis.trace_store import TraceStore
from suggestions.model import Strength, Validation, ValidationStatus
from suggestions.store import Store
from suggestions.validate.changeset import Change
from suggestions.validate.coverage import TraceCoverage
from suggestions.validate.evidence import MAX_LISTED, all_lines_ran, grade, line_coverage, proven
from suggestions.validate.guard import is_test_file
from suggestions.validate.runner import FAILING, Cancel, RunResult, TestCommand, log_text
from suggestions.validate.sandbox import Sandbox
from suggestions.validate.timing import time_claim

MIN_MUTANT_BUDGET_S = 2.0  # the mutants' share of a very quick run: a few in-process test re-runs

__all__ = ["Cancelled", "EvidenceSteps", "RunContext"]

_log = log_text


def _evidence_module(name: str) -> Any:
    """``suggestions.validate.<name>`` (mutants, replay), or None while it is not installed."""
    try:
        return importlib.import_module(f"suggestions.validate.{name}")
    except ImportError:
        return None


class Cancelled(Exception):
    pass


@dataclass
class RunContext:
    """What one validation works with, from its patched run on."""

    box: Sandbox
    changes: list[Change]
    selection: list[str] | None
    env: dict[str, str]
    cancel: Cancel
    notes: list[str]

    @property
    def contents(self) -> dict[str, bytes]:
        return {c.rel: c.new_raw for c in self.changes}


class EvidenceSteps:
    """The steps after the tests passed (see the module docstring)."""

    # Provided by the validator.
    root: Path
    store: Store
    command: TestCommand
    benchmark: TestCommand | None
    coverage: Any
    timeout: float
    repeats: int
    min_speedup: float
    mutants: int
    mutant_budget: float
    threshold: float
    replay_min: int
    _runtime: Path
    _traces: TraceStore | None

    def _run(self, box: Sandbox, tests: Sequence[str] | None, env: dict[str, str], cancel: Cancel,
             command: TestCommand | None = None, junit: Path | None = None, *, extra_args: Sequence[str] = (),
             extra_env: Mapping[str, str] | None = None, writable: Sequence[Path] = (), timeout: float | None = None,
             watch: Mapping[str, Sequence[int]] | None = None) -> RunResult:
        raise NotImplementedError

    def _baseline_for(self, box: Sandbox, tests: list[str] | None, env: dict[str, str],
                      cancel: Cancel) -> RunResult | None:
        raise NotImplementedError

    def _baseline_outcome(self, box: Sandbox, test: str, base: RunResult | None) -> str | None:
        raise NotImplementedError

    def _run_python(self, ctx: RunContext, argv: Sequence[str], extra_env: Mapping[str, str],
                    writable: Sequence[Path], timeout: float) -> RunResult:
        raise NotImplementedError

    # --- evidence beyond passing tests ------------------------------------------------------

    def _evidence(self, ctx: RunContext, run: RunResult, tests_run: tuple[str, ...], category: str,
                  strength: Strength) -> Validation:
        """The tests passed: which changed lines ran, replay, timing, mutants, the grade."""
        status, strength, lines_known = self._covered(ctx, run, tests_run, strength)
        t0 = time.perf_counter()
        strength = self._replay(ctx, strength)
        # Mutants may take what is left of an equal share of the plain run's time, so that the
        # evidence costs at most about as much again as the tests did (the mutants' own pytest
        # process runs the covering tests once more before it mutates anything).
        budget = min(self.mutant_budget, max(MIN_MUTANT_BUDGET_S, run.duration - (time.perf_counter() - t0)))
        if strength.mismatches:
            fixed = self._fixed_tests(ctx, tests_run)
            if not fixed:
                ctx.notes.append(f"failed by replay: the change behaves differently on a recorded real call, "
                                 f"and no test asks for that: {strength.mismatch}")
                return self._finish(Validation(ValidationStatus.FAILED, tests_run, log=_log(ctx.notes, "")),
                                    strength, lines_known)
            # A fix: the tests that failed on the unchanged code ask for the new behaviour.
            ctx.notes.append(f"behaves differently on recorded calls ({strength.mismatch}), as it should: it makes "
                             f"{len(fixed)} failing test(s) pass ({', '.join(fixed[:5])})")
        timing: dict[str, Any] = {}
        if category == "performance":
            if status is ValidationStatus.UNVERIFIED and self.benchmark is None:
                ctx.notes.append("not timed: no test runs the changed code, so timing the tests would measure nothing")
            else:
                status, strength, timing = self._time(ctx, status, strength)
        if status is ValidationStatus.PASSED:
            strength = self._mutate(ctx, strength, lines_known, budget)
        return self._finish(Validation(status, tests_run, log=_log(ctx.notes, ""), **timing), strength, lines_known)

    def _fixed_tests(self, ctx: RunContext, tests_run: tuple[str, ...]) -> list[str]:
        """The tests of this run that fail on the unchanged code (baseline run, cached)."""
        tests = None if ctx.selection is None else list(tests_run)
        base = self._baseline_for(ctx.box, tests, ctx.env, ctx.cancel)
        return [t for t in tests_run if self._baseline_outcome(ctx.box, t, base) in FAILING]

    def _finish(self, v: Validation, strength: Strength, lines_known: bool) -> Validation:
        g = grade(v.status, strength, threshold=self.threshold, replay_min=self.replay_min, lines_known=lines_known)
        return dataclasses.replace(v, strength=dataclasses.replace(strength, grade=g))

    def _covered(self, ctx: RunContext, run: RunResult, tests_run: tuple[str, ...],
                 strength: Strength) -> tuple[ValidationStatus, Strength, bool]:
        """(passed or unverified, the coverage figures, whether line coverage is known for all)."""
        notes = ctx.notes
        if not self.command.is_pytest:
            notes.append("no line coverage: the test command is not pytest, so which lines ran is unknown "
                         "(graded 'passed' at most)")
            return ValidationStatus.PASSED, strength, False
        others = [c.rel for c in ctx.changes if not c.python or c.lines is None]
        if others:
            notes.append(f"no line coverage for {', '.join(others[:5])} (not Python code): graded 'passed' at most")
        watched = {c.rel: c.lines for c in ctx.changes if c.lines}
        if not watched:
            if not others:
                notes.append("the change holds no executable line (comments, blank lines): nothing for a "
                             "test to run; graded 'passed' at most")
            return ValidationStatus.PASSED, strength, False
        hits = run.report.lines if run.report is not None else {}
        cov = line_coverage(watched, hits, [c.rel for c in ctx.changes if c.region.module_level])
        covering = cov.covering or (list(tests_run) if cov.at_import else [])
        strength = dataclasses.replace(strength, changed_lines=tuple(cov.changed), changed_lines_run=tuple(cov.ran),
                                       covering_tests=tuple(covering[:MAX_LISTED]))
        if not cov.any_test:
            notes.append(f"unverified: no test runs this code (none of the {len(cov.changed)} changed line(s) "
                         "executed in the validation run)")
            return ValidationStatus.UNVERIFIED, strength, not others
        words = f"changed lines run: {len(cov.ran)} of {len(cov.changed)}"
        words += f", by {len(cov.covering)} test(s)" if cov.covering else ", on import (module-level code)"
        if cov.not_run:
            words += "; never run: " + ", ".join(cov.not_run[:10]) + (" ..." if len(cov.not_run) > 10 else "")
        notes.append(words)
        return ValidationStatus.PASSED, strength, not others

    def _code_changes(self, ctx: RunContext) -> list[Change]:
        """The changes whose old and new code can be compared (Python, not test files)."""
        return [c for c in ctx.changes if c.python and c.lines and c.raw and not is_test_file(c.rel)]

    def _trace_store(self) -> TraceStore | None:
        if isinstance(self.coverage, TraceCoverage):
            return self.coverage.ts  # type: ignore[no-any-return]
        if self._traces is None:
            try:
                self._traces = TraceStore(self.store)
            except Exception:  # a trace store that cannot open must not stop validation
                return None
        return self._traces

    def _replay(self, ctx: RunContext, strength: Strength) -> Strength:
        """Recorded real calls of the changed functions, on the old and the new code."""
        module = _evidence_module("replay")
        changes = self._code_changes(ctx)
        traces = self._trace_store()
        if module is None or not changes or traces is None:
            return strength
        replayed = mismatches = 0
        first = ""
        work = Path(tempfile.mkdtemp(prefix="replay-", dir=self._runtime))
        try:
            for c in changes:
                try:
                    r = module.replay_change(
                        ctx.box.path, c.rel, c.raw, c.new_raw, c.ranges, traces,
                        lambda argv, env, dirs, timeout: self._run_python(ctx, argv, env, dirs, timeout),
                        timeout=self.timeout, work_dir=work)
                except Cancelled:
                    raise
                except Exception as exc:  # evidence that cannot be had is no verdict on the change
                    ctx.notes.append(f"replay of {c.rel} could not run: {type(exc).__name__}: {exc}")
                    continue
                replayed += int(r.replayed)
                mismatches += int(r.mismatches)
                first = first or str(r.first_mismatch)
                if r.note:
                    ctx.notes.append(f"replay of {c.rel}: {r.note}")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if replayed:
            ctx.notes.append(f"replayed {replayed} recorded call(s) on the old and the new code: "
                             f"{mismatches} behaved differently")
        return dataclasses.replace(strength, replayed=replayed, mismatches=mismatches, mismatch=first)

    def _mutate(self, ctx: RunContext, strength: Strength, lines_known: bool, budget: float) -> Strength:
        """Mutants of the changed code against the covering tests, when they can still make the
        change proven (every changed line ran, it does not touch the tests, replay did not
        already prove it)."""
        module = _evidence_module("mutants")
        changes = self._code_changes(ctx)
        if (module is None or not changes or self.mutants <= 0 or not strength.covering_tests
                or strength.touches_tests or not all_lines_ran(strength, lines_known)
                or proven(strength, threshold=self.threshold, replay_min=self.replay_min, lines_known=lines_known)):
            return strength
        total = killed = 0
        survivors: list[str] = []
        work = Path(tempfile.mkdtemp(prefix="mutants-", dir=self._runtime))
        cache = state_dir(self.root) / "mutants"
        try:
            for c in changes:
                try:
                    r = module.mutation_score(
                        ctx.box.path, c.rel, c.raw, c.ranges, strength.covering_tests,
                        lambda tests, args, env, dirs, timeout: self._run(
                            ctx.box, list(tests) or None, ctx.env, ctx.cancel, extra_args=args, extra_env=env,
                            writable=dirs, timeout=timeout),
                        limit=max(1, self.mutants // len(changes)), budget_s=budget / len(changes),
                        work_dir=work, cache_dir=cache, timeout=self.timeout)
                except Cancelled:
                    raise
                except Exception as exc:  # evidence that cannot be had is no verdict on the change
                    ctx.notes.append(f"mutants of {c.rel} could not run: {type(exc).__name__}: {exc}")
                    continue
                total += int(r.total)
                killed += int(r.killed)
                survivors += [f"{c.rel}: {x}" if len(changes) > 1 else str(x) for x in r.survivors]
                if r.note:
                    ctx.notes.append(f"mutants of {c.rel}: {r.note}")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if total:
            ctx.notes.append(f"mutants: the covering tests killed {killed} of {total}"
                             + (f"; survived: {'; '.join(survivors[:5])}" if survivors else ""))
        return dataclasses.replace(strength, mutants=total, mutants_killed=killed,
                                   survivors=tuple(survivors[:MAX_LISTED]))

    def _time(self, ctx: RunContext, status: ValidationStatus,
              strength: Strength) -> tuple[ValidationStatus, Strength, dict[str, Any]]:
        """Time the claim (interleaved pairs); FAILED unless the interval clears the bar."""
        cmd = self.benchmark or self.command
        # The tests that ran the changed lines measure the change best (and cost least).
        covering = list(strength.covering_tests) if len(strength.covering_tests) < MAX_LISTED else None
        tests = None if self.benchmark else (covering or ctx.selection)

        def run(patched: bool, junit: Path | None) -> RunResult:
            if not patched:
                return self._run(ctx.box, tests, ctx.env, ctx.cancel, cmd, junit=junit)
            with ctx.box.patched(ctx.contents):
                return self._run(ctx.box, tests, ctx.env, ctx.cancel, cmd, junit=junit)

        t = time_claim(run, self.repeats, benchmark=self.benchmark is not None, pytest_runs=cmd.is_pytest,
                       work=self._runtime,
                       tests=f"the {len(covering)} test(s) that run the changed lines" if covering
                       else "the affected tests")
        if t.speedup is None:
            ctx.notes.append(f"{t.what} failed while being timed")
            if t.error:
                ctx.notes.append(t.error)
            return ValidationStatus.FAILED, strength, {}
        sp = t.speedup
        ctx.notes.append(f"timed {t.what}: {sp.words()}; best {t.before_s:.3f}s before, {t.after_s:.3f}s after "
                         f"(required: interval above x{self.min_speedup:.2f})")
        strength = dataclasses.replace(strength, speedup_pairs=sp.pairs, speedup_median=round(sp.median, 3),
                                       speedup_low=round(sp.low, 3), speedup_high=round(sp.high, 3))
        figures = {"time_before_s": round(t.before_s, 4), "time_after_s": round(t.after_s, 4),
                   "speedup": round(sp.median, 3)}
        if not sp.holds(self.min_speedup):
            ctx.notes.append(f"not validated: the measured speed-up is below the requirement (the interval's "
                             f"lower bound x{sp.low:.2f} does not clear x{self.min_speedup:.2f})")
            return ValidationStatus.FAILED, strength, figures
        return status, strength, figures
