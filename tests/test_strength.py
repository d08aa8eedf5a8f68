"""The strength of a validation (issue #19): the pure pieces (speed-up statistics, the
test-weakening guard, changed lines, coverage, the grade) and, on real temporary projects with
real pytest in the real sandbox, unverified / proven / failed-by-replay / touches-tests."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from analysis.config import load_config
from analysis.inventory import read_source
from suggestions.decide.policy import Policy
from suggestions.model import Edit, Grade, Patch, Strength, ValidationStatus
from suggestions.store import Store
from suggestions.validate.coverage import changed_code_lines, new_side
from suggestions.validate.evidence import grade, line_coverage
from suggestions.validate.guard import touches_tests
from suggestions.validate.stats import MIN_PAIRS, speedup_interval
from suggestions.validate.validator import Validator
from tests.conftest import ROOT, write
from tests.validation_project import FINANCE_SUITE, make_finance, suggestion

# --- speed-up statistics -----------------------------------------------------------------------


def test_speedup_interval_is_deterministic_and_brackets_the_median() -> None:
    befores = [1.0, 1.1, 0.9, 1.05, 0.95, 1.2, 1.0]
    afters = [0.5, 0.52, 0.47, 0.55, 0.5, 0.6, 0.49]
    a = speedup_interval(befores, afters)
    assert a == speedup_interval(befores, afters)  # fixed seed
    assert a.pairs == 7
    assert a.low <= a.median <= a.high
    ratios = sorted(b / x for b, x in zip(befores, afters, strict=True))
    assert a.median == ratios[3]
    assert min(ratios) <= a.low and a.high <= max(ratios)
    assert a.holds(1.5) and not a.holds(a.high)
    assert "n=7 pairs" in a.words() and "95% interval" in a.words()


def test_noisy_timings_do_not_prove_a_speedup_whose_median_clears_the_bar() -> None:
    # The median ratio is above 1.1, but two of the pairs are slower after: not proven.
    befores = [1.0] * 6
    afters = [0.8, 0.85, 0.88, 1.2, 1.3, 0.86]
    s = speedup_interval(befores, afters)
    assert s.median > 1.1
    assert s.low < 1.1 and not s.holds(1.1)


def test_speedup_needs_enough_pairs_and_matching_lengths() -> None:
    few = speedup_interval([1.0] * (MIN_PAIRS - 1), [0.1] * (MIN_PAIRS - 1))
    assert few.low > 5 and not few.holds(1.1)  # a huge ratio, but too few pairs
    one = speedup_interval([2.0], [1.0])
    assert one.median == one.low == one.high == 2.0
    with pytest.raises(ValueError):
        speedup_interval([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        speedup_interval([], [])
    # Below JUnit's resolution: a floor, not a division by zero.
    assert speedup_interval([0.0] * 5, [0.0] * 5).median == 1.0


# --- the test-weakening guard ----------------------------------------------------------------------


def test_guard_flags_edits_to_tests_and_how_they_run() -> None:
    same = "x = 1\n"
    assert touches_tests([("pkg/core.py", "def f():\n    return 1\n", "def f():\n    return 2\n")]) == ()
    assert touches_tests([("tests/test_a.py", same, same)]) == ()  # unchanged
    for path, words in [
        ("tests/test_a.py", "edits the test file tests/test_a.py"),
        ("pkg/conftest.py", "edits pkg/conftest.py (test configuration)"),
        ("pytest.ini", "how the tests are run"),
        ("tox.ini", "how the tests are run"),
        (".github/workflows/ci.yml", "how the tests are run"),
        (".gitlab-ci.yml", "how the tests are run"),
        ("noxfile.py", "how the tests are run"),
    ]:
        reasons = touches_tests([(path, same, "x = 2\n")])
        assert any(words in r for r in reasons), (path, reasons)
    py = '[project]\nname = "x"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n'
    assert any("[tool.pytest.ini_options]" in r for r in touches_tests(
        [("pyproject.toml", py, py.replace('"-q"', '"-q -k not slow"'))]))
    assert touches_tests([("pyproject.toml", py, py.replace('name = "x"', 'name = "y"'))]) == ()
    cfg = "[metadata]\nname = x\n[tool:pytest]\ntestpaths = tests\n"
    assert touches_tests([("setup.cfg", cfg, cfg.replace("tests", "nothing"))])
    assert touches_tests([("setup.cfg", cfg, cfg.replace("name = x", "name = y"))]) == ()


def test_guard_flags_deleted_loosened_and_skipped_assertions() -> None:
    old = textwrap.dedent('''\
        import pytest

        def test_a(self):
            assert f(1) == 2
            assert g(2) == 3
            self.assertEqual(h(), 4)
            assert k() == pytest.approx(1.0, rel=1e-6)
        ''')

    def why(new: str) -> str:
        return " | ".join(touches_tests([("tests/test_x.py", old, new)]))

    assert "deletes 1 assertion" in why(old.replace("    assert g(2) == 3\n", ""))
    assert "loosens an assertion" in why(old.replace("assert f(1) == 2", "assert f(1) > 0"))
    assert "loosens an assertion" in why(old.replace("self.assertEqual(h(), 4)", "self.assertTrue(h())"))
    assert "raises a tolerance" in why(old.replace("rel=1e-6", "rel=0.5"))
    assert "adds a skip or xfail" in why(old.replace("def test_a", "@pytest.mark.skip\ndef test_a"))
    assert "adds a skip or xfail" in why(old.replace("    assert f(1) == 2\n", "    pytest.xfail('later')\n"
                                                     "    assert f(1) == 2\n"))
    # Tightening is not weakening (the file is still a test file, and says so).
    tighter = why(old.replace("assert f(1) > 0", "assert f(1) == 2").replace("rel=1e-6", "rel=1e-9"))
    assert tighter == "edits the test file tests/test_x.py"


# --- changed lines, coverage, grade ------------------------------------------------------------------


SOURCE = textwrap.dedent('''\
    """Doc."""
    SCALE = 1


    def f(a):
        # a comment
        b = a + 1
        return b


    def g(a):
        """Docstring."""
        return a
    ''').encode()


def _lines(old: bytes, new_text: str, *, occurrence: bytes) -> tuple[int, ...] | None:
    start = old.index(occurrence)
    end = start + len(occurrence)
    data = old[:start] + new_text.encode() + old[end:]
    return changed_code_lines(data, "m.py", new_side([(start, end, len(new_text.encode()))]))


def test_changed_code_lines() -> None:
    assert _lines(SOURCE, "b = a + 2", occurrence=b"b = a + 1") == (7,)
    assert _lines(SOURCE, "b = a\n    b += 1", occurrence=b"b = a + 1") == (7, 8)
    # A comment edit stands for the statement it sits in: here the next code line.
    assert _lines(SOURCE, "# another comment", occurrence=b"# a comment") == (5,)
    # A deletion: the line where the code was removed.
    assert _lines(SOURCE, "", occurrence=b"    b = a + 1\n") == (7,)
    # A docstring is no code line: its function's def line stands for it.
    assert _lines(SOURCE, '"""Other."""', occurrence=b'"""Docstring."""') == (11,)
    assert _lines(SOURCE, "SCALE = 2", occurrence=b"SCALE = 1") == (2,)
    assert _lines(SOURCE, "return (", occurrence=b"return a\n") is None  # does not compile


def test_line_coverage_and_grade() -> None:
    hits = {"": {"m.py": {2}}, "t::a": {"m.py": {7}}, "t::b": {"m.py": {7, 8}}, "t::c": {"other.py": {7}}}
    cov = line_coverage({"m.py": [7, 8, 9]}, hits)
    assert cov.changed == [7, 8, 9] and cov.ran == [7, 8]
    assert cov.covering == ["t::a", "t::b"] and cov.not_run == ["m.py:9"]
    none = line_coverage({"m.py": [12]}, hits)
    assert not none.any_test and none.ran == []
    imported = line_coverage({"m.py": [2]}, hits, ["m.py"])
    assert imported.any_test and imported.at_import == ["m.py"] and imported.covering == []

    def g(status: ValidationStatus, known: bool = True, **kw: object) -> Grade | None:
        s = Strength(**{"changed_lines": (7, 8), "changed_lines_run": (7, 8), **kw})  # type: ignore[arg-type]
        return grade(status, s, threshold=0.6, replay_min=3, lines_known=known)

    assert g(ValidationStatus.PASSED, mutants=5, mutants_killed=3) is Grade.PROVEN
    assert g(ValidationStatus.PASSED, mutants=5, mutants_killed=2) is Grade.PASSED
    assert g(ValidationStatus.PASSED, replayed=3) is Grade.PROVEN
    assert g(ValidationStatus.PASSED, replayed=2) is Grade.PASSED
    assert g(ValidationStatus.PASSED, replayed=5, mismatches=1) is Grade.PASSED  # a fix: tests ask for it
    assert g(ValidationStatus.PASSED, known=False, replayed=5) is Grade.PASSED  # no line coverage
    assert g(ValidationStatus.PASSED, changed_lines_run=(7,), replayed=5) is Grade.PASSED  # a line never ran
    assert g(ValidationStatus.PASSED, replayed=5, touches_tests=("edits tests/t.py",)) is Grade.PASSED
    assert g(ValidationStatus.PASSED, mutants=0, mutants_killed=0) is Grade.PASSED
    assert g(ValidationStatus.UNVERIFIED) is Grade.UNVERIFIED
    assert g(ValidationStatus.FAILED) is Grade.FAILED
    assert g(ValidationStatus.ERROR) is None and g(ValidationStatus.SKIPPED) is None


# --- real validations ------------------------------------------------------------------------------


@pytest.fixture
def money(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # the project's tests need no plugins
    return make_finance(project)


def _validator(root: Path, store: Store, **kw: object) -> Validator:
    return Validator(root, load_config(root), store, **kw)  # type: ignore[arg-type]


RULE_PASSED = ('[policy]\nquiet-seconds = 0\n\n[[policy.rules]]\nname = "any-validated"\ncodes = ["*"]\n'
               'min-confidence = 0.5\nrequire-validation = "passed"\n')


def test_a_change_no_test_runs_is_unverified_and_never_applied(money: Path) -> None:
    store = Store(money)
    s = suggestion(money, "money/finance.py", "return x * 3", "return x * 4")
    [v] = _validator(money, store, coverage=None).validate([s])
    val = v.validation
    # The whole suite ran (no trace to select from) and passed; not one test ran the line.
    assert val.status is ValidationStatus.UNVERIFIED, val.log
    assert len(val.tests_run) == FINANCE_SUITE
    assert "no test runs this code" in val.log
    assert val.strength is not None and val.strength.grade is Grade.UNVERIFIED
    assert val.strength.changed_lines == (16,) and val.strength.changed_lines_run == ()
    assert val.strength.covering_tests == ()
    stored = store.suggestion(s.id)  # the evidence survives the store's round trip
    assert stored is not None and stored.validation.strength == val.strength
    # A rule that requires a passed validation does not apply it, and says why.
    write(money, {"kaizen.toml": RULE_PASSED})
    verdict = Policy.load(money, store).evaluate(v)
    assert not verdict.eligible
    assert any("unverified" in r for r in verdict.reasons), verdict.reasons


def test_a_change_its_tests_run_records_lines_and_tests(money: Path) -> None:
    store = Store(money)
    s = suggestion(money, "money/finance.py", "return a + b", "return b + a")
    [v] = _validator(money, store, coverage=None).validate([s])
    val = v.validation
    assert val.status is ValidationStatus.PASSED, val.log
    assert val.strength is not None
    assert val.strength.changed_lines == (7,) and val.strength.changed_lines_run == (7,)
    assert val.strength.covering_tests == ("tests/test_money.py::test_add",)
    assert "changed lines run: 1 of 1, by 1 test(s)" in val.log
    assert val.strength.grade in (Grade.PROVEN, Grade.PASSED)


def test_a_covered_well_tested_change_is_proven(money: Path) -> None:
    store = Store(money)
    s = suggestion(money, "money/finance.py", "return a + b", "return b + a")
    [v] = _validator(money, store, coverage=None).validate([s])
    val = v.validation
    assert val.status is ValidationStatus.PASSED, val.log
    st = val.strength
    assert st is not None and st.grade is Grade.PROVEN, val.log
    assert st.mutants >= 1 and st.mutants_killed / st.mutants >= 0.6
    assert "mutants: the covering tests killed" in val.log
    # A rule that requires proven applies it (as far as the validation goes).
    write(money, {"kaizen.toml": RULE_PASSED.replace('"passed"', '"proven"')})
    verdict = Policy.load(money, store).evaluate(v)
    assert verdict.eligible, verdict.reasons


def test_a_weakly_tested_change_is_only_passed(money: Path) -> None:
    # The only test of projected_growth asserts `> 0`: most mutants survive it.
    write(money, {"kaizen.toml": "[validation]\ntimeout = 60\n"})
    store = Store(money)
    s = suggestion(money, "money/finance.py", "rate = 0.05", "rate = 0.050")
    [v] = _validator(money, store, coverage=None).validate([s])
    val = v.validation
    assert val.status is ValidationStatus.PASSED, val.log
    st = val.strength
    assert st is not None and st.grade is Grade.PASSED, val.log
    assert st.mutants >= 1 and st.survivors
    write(money, {"kaizen.toml": RULE_PASSED.replace('"passed"', '"proven"')})
    verdict = Policy.load(money, store).evaluate(v)
    assert not verdict.eligible and any("requires proven" in r for r in verdict.reasons), verdict.reasons


def test_a_test_command_that_is_not_pytest_has_no_line_coverage(money: Path) -> None:
    write(money, {"kaizen.toml": "[validation]\ntimeout = 60\n"
                  "test-command = \"python -c 'import money.finance as f; assert f.add(2, 3) == 5'\"\n"})
    store = Store(money)
    [v] = _validator(money, store, coverage=None).validate(
        [suggestion(money, "money/finance.py", "return x * 3", "return x * 4")])
    val = v.validation
    assert val.status is ValidationStatus.PASSED, val.log
    assert val.strength is not None and val.strength.grade is Grade.PASSED
    assert "no line coverage: the test command is not pytest" in val.log


def _patch(root: Path, rel: str, old: str, new: str) -> Patch:
    src = read_source(root / rel)
    start = src.data.index(old.encode())
    return Patch(rel, src.raw_hash, (Edit(start, start + len(old.encode()), new),))


def test_a_change_set_that_weakens_a_test_is_flagged_and_never_applied(money: Path) -> None:
    store = Store(money)
    v = _validator(money, store, coverage=None)
    weaken = _patch(money, "tests/test_money.py", "    assert add(-1, 1) == 0\n", "")
    code = _patch(money, "money/finance.py", "return a + b", "return b + a")
    val = v.validate_change([code, weaken])
    assert val.status is ValidationStatus.PASSED, val.log
    st = val.strength
    assert st is not None and st.grade is Grade.PASSED  # never proven
    assert any("deletes 1 assertion" in r for r in st.touches_tests), st.touches_tests
    assert "the tests themselves changed" in val.log
    assert val.tests_run  # the changed tests did run
    # The same validation on a suggestion: no rule applies it.
    s = suggestion(money, "money/finance.py", "return a + b", "return b + a")
    s = s.replace(validation=dataclasses.replace(val, base_hash=s.patch.base_hash))  # type: ignore[union-attr]
    write(money, {"kaizen.toml": RULE_PASSED})
    verdict = Policy.load(money, store).evaluate(s)
    assert not verdict.eligible
    assert any("touches the tests" in r for r in verdict.reasons), verdict.reasons
    # A suggestion that edits a test file is not judged at all.
    [t] = v.validate([suggestion(money, "tests/test_money.py", "assert add(2, 3) == 5", "assert add(2, 3)")])
    assert t.validation.status is ValidationStatus.SKIPPED and "part of the test suite" in t.validation.log


def test_a_change_set_of_several_files_and_a_new_one(money: Path) -> None:
    store = Store(money)
    v = _validator(money, store, coverage=None)
    new = Patch("money/extra.py", "", (Edit(0, 0, "def triple(x):\n    return x * 3\n"),))
    code = _patch(money, "money/finance.py", "return a + b", "return b + a")
    val = v.validate_change([code, new])
    assert val.status is ValidationStatus.PASSED, val.log
    st = val.strength
    assert st is not None
    assert st.changed_lines == (7, 1, 2) and st.changed_lines_run == (7,)
    assert "money/extra.py:1" in val.log  # named as never run
    # Stale: a patch made for other content is not judged.
    stale = Patch("money/finance.py", "0" * 64, code.edits)
    assert v.validate_change([stale]).status is ValidationStatus.SKIPPED
    assert v.validate_change([]).status is ValidationStatus.SKIPPED
    # A file that is not Python: no line coverage, passed at most, and said so.
    write(money, {"data.txt": "1\n"})
    data = _patch(money, "data.txt", "1", "2")
    dv = _validator(money, store, coverage=None).validate_change([data])
    assert dv.status is ValidationStatus.PASSED, dv.log
    assert dv.strength is not None and dv.strength.grade is Grade.PASSED
    assert "no line coverage for data.txt" in dv.log


@pytest.mark.slow
def test_a_correct_memoization_is_proven_with_its_speedup_interval(money: Path) -> None:
    write(money, {"kaizen.toml": "[validation]\ntimeout = 60\nrepeats = 5\nmin-speedup = 1.1\n"})
    store = Store(money)
    # rate_for sleeps 0.05 s a call and its test calls it 20 times: cached, one call sleeps.
    s = suggestion(money, "money/finance.py", "def rate_for(n):",
                   "@functools.lru_cache(maxsize=None)\ndef rate_for(n):", category="performance")
    [v] = _validator(money, store, coverage=None).validate([s])
    val = v.validation
    st = val.strength
    assert st is not None, val.log
    # The figures exist and agree with each other, whatever the machine's noise did.
    assert st.speedup_pairs >= 5
    assert st.speedup_low is not None and st.speedup_median is not None and st.speedup_high is not None
    assert st.speedup_low <= st.speedup_median <= st.speedup_high
    assert val.speedup == st.speedup_median
    assert f"n={st.speedup_pairs} pairs" in val.log and "95% interval" in val.log
    # A 20x real speed-up against a bar of 1.1: no noise flips that.
    assert st.speedup_low > 1.1, val.log
    assert val.status is ValidationStatus.PASSED, val.log
    assert st.changed_lines_run == st.changed_lines, val.log
    assert st.grade is Grade.PROVEN, val.log


@pytest.mark.slow
def test_a_slowdown_is_not_a_speedup(money: Path) -> None:
    write(money, {"kaizen.toml": "[validation]\ntimeout = 60\nrepeats = 5\nmutants = 0\n"})
    store = Store(money)
    s = suggestion(money, "money/finance.py", "time.sleep(0.05)", "time.sleep(0.06)", category="performance")
    [v] = _validator(money, store, coverage=None).validate([s])
    val = v.validation
    assert val.status is ValidationStatus.FAILED, val.log
    assert "below the requirement" in val.log
    assert val.strength is not None and val.strength.grade is Grade.FAILED
    assert val.strength.speedup_pairs >= 5 and val.strength.speedup_low is not None


def _trace(root: Path, *, failing: bool = False) -> None:
    """A real `kaizen trace` of the project's tests: coverage and recorded argument values."""
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "trace", str(root), "--", sys.executable, "-m",
                          "pytest", "-q", "-p", "no:cacheprovider"], capture_output=True, text=True, timeout=240)
    assert (out.returncode != 0) == failing, out.stdout + out.stderr
    assert "trace #" in out.stderr


@pytest.mark.slow
def test_a_behaviour_change_behind_a_weak_assertion_fails_by_replay(money: Path) -> None:
    _trace(money)
    store = Store(money)
    # `assert projected_growth(10) > 0` passes either way; the recorded real call does not.
    s = suggestion(money, "money/finance.py", "rate = 0.05", "rate = 0.06")
    [v] = _validator(money, store).validate([s])  # tests selected from the trace
    val = v.validation
    assert val.tests_run == ("tests/test_money.py::test_growth_is_positive",), val.log
    assert val.status is ValidationStatus.FAILED, val.log
    st = val.strength
    assert st is not None and st.grade is Grade.FAILED
    assert st.replayed >= 1 and st.mismatches >= 1
    assert "projected_growth(10)" in st.mismatch and "projected_growth(10)" in val.log
    assert "failed by replay" in val.log
    assert not val.failed_tests  # no test failed: replay did
    # The same recorded call agrees with a change that keeps the behaviour: replayed, no mismatch.
    same = suggestion(money, "money/finance.py", "return round(100 * (1 + rate) ** years, 2)",
                      "return round(100.0 * (1 + rate) ** years, 2)")
    [ok] = _validator(money, store).validate([same])
    assert ok.validation.status is ValidationStatus.PASSED, ok.validation.log
    assert ok.validation.strength is not None and ok.validation.strength.replayed >= 1
    assert ok.validation.strength.mismatches == 0


@pytest.mark.slow
def test_a_fix_that_a_failing_test_asks_for_may_change_behaviour(money: Path) -> None:
    write(money, {"tests/test_exact.py": ("from money.finance import projected_growth\n\n\n"
                                          "def test_growth_exact():\n    assert projected_growth(1) == 106.0\n")})
    _trace(money, failing=True)  # test_growth_exact fails in the trace
    store = Store(money)
    s = suggestion(money, "money/finance.py", "rate = 0.05", "rate = 0.06")
    [v] = _validator(money, store).validate([s])
    val = v.validation
    assert val.status is ValidationStatus.PASSED, val.log
    assert val.strength is not None and val.strength.mismatches >= 1
    assert "as it should: it makes 1 failing test(s) pass (tests/test_exact.py::test_growth_exact)" in val.log


def test_an_unverified_suggestion_stays_open_and_flagged(money: Path) -> None:
    from suggestions.commands.suggest import status_label
    from suggestions.decide.visibility import UNVERIFIED, visibility
    from suggestions.model import Validation

    s = suggestion(money, "money/finance.py", "return x * 3", "return x * 4")
    unverified = s.replace(validation=Validation(ValidationStatus.UNVERIFIED,
                                                 strength=Strength(grade=Grade.UNVERIFIED)))
    seen = visibility(unverified, None, 0.0)
    assert seen.open and seen.flag == UNVERIFIED
    assert status_label(unverified) == "unverified (no test runs this code)"
    proven = s.replace(validation=Validation(ValidationStatus.PASSED, strength=Strength(grade=Grade.PROVEN)))
    assert status_label(proven) == "proven" and visibility(proven, None, 0.0).flag == ""
    failed = s.replace(validation=Validation(ValidationStatus.FAILED, strength=Strength(grade=Grade.FAILED)))
    assert not visibility(failed, None, 0.0).open


def _python_312() -> str | None:
    """A Python 3.12+ with pytest (sys.monitoring), if this machine has one."""
    import shutil

    candidates = [shutil.which(f"python3.{n}") for n in (14, 13, 12)]
    candidates.append(str(ROOT / "bench" / ".cache" / "venv-3.12" / "bin" / "python"))
    for c in candidates:
        if c and Path(c).exists():
            ok = subprocess.run([c, "-c", "import sys, pytest; assert sys.version_info >= (3, 12)"],
                                capture_output=True, timeout=60)
            if ok.returncode == 0:
                return c
    return None


@pytest.mark.slow
def test_changed_lines_are_recorded_with_sys_monitoring_too(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    python = _python_312()
    if python is None:
        pytest.skip("no Python 3.12+ with pytest on this machine")
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    money = make_finance(project, f'test-command = "{python} -m pytest -q"\nmutants = 0\n')
    store = Store(money)
    v = _validator(money, store, coverage=None)
    covered, uncovered = v.validate([suggestion(money, "money/finance.py", "return a + b", "return b + a"),
                                     suggestion(money, "money/finance.py", "return x * 3", "return x * 4")])
    assert covered.validation.status is ValidationStatus.PASSED, covered.validation.log
    assert covered.validation.strength is not None
    assert covered.validation.strength.covering_tests == ("tests/test_money.py::test_add",)
    assert uncovered.validation.status is ValidationStatus.UNVERIFIED, uncovered.validation.log


def test_a_whole_line_edit_at_a_functions_end_is_in_the_function() -> None:
    from analysis.parsing import parse
    from suggestions.validate.coverage import affected_region

    start = SOURCE.index(b"    return a\n")
    end = start + len(b"    return a\n")  # a diff's edit: the whole line, newline included
    region = affected_region("python", parse("python", SOURCE), SOURCE, [(start, end)])
    assert not region.module_level and region.functions == ((11, 13),)
    gap = SOURCE.index(b"\n\n\ndef g")  # the blank lines between two functions are nobody's
    assert affected_region("python", parse("python", SOURCE), SOURCE, [(gap + 1, gap + 3)]).module_level


PLUGIN_PROJECT = {
    "pkg/__init__.py": "",
    "pkg/m.py": "def f(x):\n    y = x + 1\n    return y\n\n\ndef g(x):\n    return x * 2\n\n\nK = 3\n",
    "tests/test_m.py": ("from pkg.m import f, g\n\n\ndef test_f():\n    assert f(1) == 2\n\n\n"
                        "def test_g():\n    assert g(2) == 4\n\n\ndef test_both():\n    assert f(g(1)) == 3\n"
                        "    assert f(0) == 1\n\n\ndef test_none():\n    assert True\n"),
}


@pytest.mark.parametrize("which", ["this", "3.12+"])
def test_the_plugin_attributes_changed_lines_to_each_test(tmp_path: Path, which: str) -> None:
    import json
    import os

    from suggestions.validate.outcomes import ENV_DIR, ENV_WATCH, PLUGIN_DIR, read_outcomes

    python = sys.executable if which == "this" else _python_312()
    if python is None:
        pytest.skip("no Python 3.12+ with pytest on this machine")
    root = write(tmp_path / "p", PLUGIN_PROJECT)
    io = tmp_path / "io"
    io.mkdir()
    watch = tmp_path / "watch.json"
    watch.write_text(json.dumps({"files": {"pkg/m.py": [1, 2, 3, 6, 7, 10]}}))
    env = {**os.environ, ENV_DIR: str(io), ENV_WATCH: str(watch), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
           "PYTHONPATH": os.pathsep.join([str(PLUGIN_DIR), str(root)])}
    env.pop("PYTEST_ADDOPTS", None)
    out = subprocess.run([python, "-m", "pytest", "-q", "-p", "_kaizen_outcomes", "-p", "no:cacheprovider"],
                         cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = read_outcomes(io).lines
    # Entering a function counts for its def line; the module's own lines ran on import.
    assert lines["tests/test_m.py::test_f"] == {"pkg/m.py": {1, 2, 3}}
    assert lines["tests/test_m.py::test_g"] == {"pkg/m.py": {6, 7}}
    assert lines["tests/test_m.py::test_both"] == {"pkg/m.py": {1, 2, 3, 6, 7}}
    assert "tests/test_m.py::test_none" not in lines
    assert lines[""]["pkg/m.py"] >= {1, 6, 10}
    # Only f watched: test_f runs all of it (3.11 stops tracing for the rest of that test),
    # and the next tests are recorded all the same.
    watch.write_text(json.dumps({"files": {"pkg/m.py": [2, 3]}}))
    for f in io.iterdir():
        f.unlink()
    out = subprocess.run([python, "-m", "pytest", "-q", "-p", "_kaizen_outcomes", "-p", "no:cacheprovider"],
                         cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = read_outcomes(io).lines
    assert lines["tests/test_m.py::test_f"] == {"pkg/m.py": {2, 3}}
    assert lines["tests/test_m.py::test_both"] == {"pkg/m.py": {2, 3}}
    assert "tests/test_m.py::test_g" not in lines
