"""Auto-apply policy: every rule dimension and guardrail, each with a case that applies and one that must not."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from suggestions.decide.policy import Policy, code_matches, is_paused, path_matches, pause, resume
from suggestions.model import (
    Applicability,
    Decision,
    DecisionAction,
    Edit,
    Grade,
    Patch,
    Source,
    Span,
    Strength,
    Suggestion,
    Validation,
    ValidationStatus,
    content_hash,
    fingerprint_of,
)
from suggestions.store import Store
from tests.conftest import write

SOURCE = "def f(x):\n    if x == None:\n        return 1\n    return 2\n" + "".join(f"y{i} = {i}\n" for i in range(30))


def make(
    project: Path,
    path: str = "src/app/a.py",
    *,
    code: str = "KZ401",
    source: Source = Source.STATIC,
    applicability: Applicability = Applicability.SAFE,
    confidence: float = 0.95,
    status: ValidationStatus = ValidationStatus.PASSED,
    speedup: float | None = None,
    category: str = "simplification",
    lines: int = 1,
    stale_validation: bool = False,
    age: float = 3600.0,
    grade: Grade | None = None,
    touches: tuple[str, ...] = (),
) -> Suggestion:
    """A suggestion with a real patch against a real file (written once, made old)."""
    file = project / path
    if not file.exists():
        write(project, {path: SOURCE})
        old = time.time() - age
        os.utime(file, (old, old))
    data = file.read_bytes()
    base = content_hash(data)
    start = data.index(b"x == None")
    if lines == 1:
        edits = (Edit(start, start + len(b"x == None"), "x is None"),)
    else:  # rewrite `lines` assignment lines
        s0 = data.index(b"y0 = 0")
        e0 = data.index(f"y{lines - 1} = {lines - 1}\n".encode()) + len(f"y{lines - 1} = {lines - 1}")
        edits = (Edit(s0, e0, "\n".join(f"y{i} = {i} + 0" for i in range(lines))),)
    target = f"{code}-{path}-{lines}-{source.value}-{applicability.value}-{confidence}-{status.value}-{grade}"
    return Suggestion(
        fingerprint=fingerprint_of(code, path, target),
        code=code,
        title="Compare to None with `is`",
        rationale="identity",
        path=path,
        span=Span(2, 7, 2, 16, start, start + 9),
        patch=Patch(path, base, edits),
        applicability=applicability,
        confidence=confidence,
        source=source,
        category=category,
        validation=Validation(
            status=status,
            tests_run=("tests/test_a.py::test_f",) if status is ValidationStatus.PASSED else (),
            speedup=speedup,
            base_hash="0" * 64 if stale_validation else (base if status is not ValidationStatus.PENDING else ""),
            strength=Strength(grade=grade, touches_tests=touches) if grade is not None or touches else None,
        ),
    )


def policy_for(project: Path, toml: str, store: Store, **kw: Any) -> Policy:
    write(project, {"kaizen.toml": toml})
    return Policy.load(project, store, **kw)


RULE = '[[policy.rules]]\nname = "fixes"\n'


@pytest.fixture
def store(project: Path) -> Store:
    with Store(project) as s:
        yield s


# --- rule dimensions: (extra rule lines, suggestion that applies, suggestion that must not, words) ---

DIMENSIONS: dict[str, tuple[str, dict[str, Any], dict[str, Any], str]] = {
    "codes": ('codes = ["KZ4*"]\n', {"code": "KZ401"}, {"code": "KZ501"}, "code KZ501 is not in [KZ4*]"),
    "codes-prefix": ('codes = ["KZ40"]\n', {"code": "KZ401"}, {"code": "KZ411"}, "code KZ411 is not in"),
    "source": ('source = ["runtime"]\n', {"source": Source.RUNTIME}, {"source": Source.STATIC},
               "source static is not in [runtime]"),
    "applicability": ('applicability = ["safe"]\n', {"applicability": Applicability.SAFE},
                      {"applicability": Applicability.UNSAFE}, "applicability unsafe is not in [safe]"),
    "applicability-unsafe": ('applicability = ["safe", "unsafe"]\n', {"applicability": Applicability.UNSAFE},
                             {"applicability": Applicability.DISPLAY_ONLY}, "no fix to apply"),
    "min-confidence": ("min-confidence = 0.9\n", {"confidence": 0.9}, {"confidence": 0.89},
                       "confidence 0.89 is below 0.90"),
    "max-changed-lines": ("max-changed-lines = 3\n", {"lines": 3}, {"lines": 4}, "4 changed lines exceed 3"),
    "paths": ('paths = ["src/app/**"]\n', {"path": "src/app/deep/a.py"}, {"path": "src/lib/a.py"},
              "src/lib/a.py is outside [src/app/**]"),
    "paths-basename": ('paths = ["a.py"]\n', {"path": "src/x/a.py"}, {"path": "src/x/b.py"}, "outside"),
    "exclude": ('exclude = ["**/migrations/**"]\n', {"path": "src/app/a.py"},
                {"path": "src/app/migrations/a.py"}, "excluded by [**/migrations/**]"),
    "require-validation": ('require-validation = "passed"\n', {"status": ValidationStatus.PASSED},
                           {"status": ValidationStatus.SKIPPED}, "validation skipped, the rule requires passed"),
    "require-validation-none": ('require-validation = "none"\n', {"status": ValidationStatus.SKIPPED},
                                {"status": ValidationStatus.FAILED}, "validation failed"),
    "min-speedup": ("min-speedup = 1.5\n", {"category": "performance", "speedup": 1.6},
                    {"category": "performance", "speedup": 1.4}, "speed-up 1.40x is below 1.50x"),
    "min-speedup-missing": ("min-speedup = 1.5\n", {"category": "style"},
                            {"category": "performance"}, "no measured speed-up"),
}


@pytest.mark.parametrize("name", sorted(DIMENSIONS))
def test_rule_dimension(project: Path, store: Store, name: str) -> None:
    extra, good_kw, bad_kw, words = DIMENSIONS[name]
    policy = policy_for(project, RULE + extra, store)
    good = make(project, **good_kw)
    bad = make(project, **bad_kw)
    v = policy.evaluate(good)
    assert v.eligible, v.reasons
    assert v.rule_name == "fixes" and "rule 'fixes' allows it" in v.because
    v = policy.evaluate(bad)
    assert not v.eligible
    assert words in v.because


def test_first_matching_rule_names_the_change(project: Path, store: Store) -> None:
    toml = (
        '[[policy.rules]]\nname = "perf"\ncodes = ["KZ2*"]\n\n'
        '[[policy.rules]]\nname = "simplify"\ncodes = ["KZ4*"]\n'
    )
    policy = policy_for(project, toml, store)
    v = policy.evaluate(make(project, code="KZ401"))
    assert (v.eligible, v.rule_name) == (True, "simplify")
    v = policy.evaluate(make(project, code="KZ601"))
    assert not v.eligible
    assert "rule 'perf': code KZ601 is not in [KZ2*]" in v.reasons
    assert "rule 'simplify': code KZ601 is not in [KZ4*]" in v.reasons


# --- never ---------------------------------------------------------------------------------------


def test_never_paths_and_codes_override_every_rule(project: Path, store: Store) -> None:
    toml = RULE + '\n[policy.never]\npaths = ["src/vendor/**"]\ncodes = ["KZ45?"]\n'
    policy = policy_for(project, toml, store)
    assert policy.evaluate(make(project, path="src/app/a.py", code="KZ401")).eligible
    v = policy.evaluate(make(project, path="src/vendor/a.py"))
    assert not v.eligible and "src/vendor/a.py is in [policy.never] paths" in v.reasons
    v = policy.evaluate(make(project, code="KZ451"))
    assert not v.eligible and "KZ451 is in [policy.never] codes" in v.reasons


# --- guardrails ---------------------------------------------------------------------------------


def test_llm_suggestions_need_a_rule_naming_llm(project: Path, store: Store) -> None:
    llm = make(project, source=Source.LLM)
    v = policy_for(project, RULE, store).evaluate(llm)  # default sources: static, runtime
    assert not v.eligible and "LLM suggestions need a rule that names source 'llm'" in v.because
    v = policy_for(project, RULE + 'source = ["static", "llm"]\n', store).evaluate(llm)
    assert v.eligible, v.reasons


def test_pending_and_stale_validation_never_apply(project: Path, store: Store) -> None:
    for extra in ('require-validation = "passed"\n', 'require-validation = "none"\n'):
        policy = policy_for(project, RULE + extra, store)
        assert policy.evaluate(make(project)).eligible
        v = policy.evaluate(make(project, status=ValidationStatus.PENDING))
        assert not v.eligible
        assert "not validated yet" in v.reasons or "validation pending, the rule requires passed" in v.because
        v = policy.evaluate(make(project, stale_validation=True))
        assert not v.eligible and "validation is stale (it ran against other content)" in v.reasons
        # Choosing candidates to validate ignores validation, but nothing else.
        assert policy.evaluate(make(project, status=ValidationStatus.PENDING), assume_validated=True).eligible


def test_grades_against_require_validation(project: Path, store: Store) -> None:
    proven = make(project, grade=Grade.PROVEN)
    passed = make(project, grade=Grade.PASSED)
    legacy = make(project)  # validated before grades existed: counts as passed, never proven
    unverified = make(project, status=ValidationStatus.UNVERIFIED, grade=Grade.UNVERIFIED)
    strict = policy_for(project, RULE + 'require-validation = "proven"\n', store)
    assert strict.evaluate(proven).eligible
    assert "proven" in strict.evaluate(proven).because
    for s, words in ((passed, "validation passed, not proven, the rule requires proven"),
                     (legacy, "validation passed, not proven, the rule requires proven"),
                     (unverified, "validation unverified (no test runs this code), the rule requires proven")):
        v = strict.evaluate(s)
        assert not v.eligible and words in v.because, v.reasons
    lenient = policy_for(project, RULE + 'require-validation = "passed"\n', store)
    assert all(lenient.evaluate(s).eligible for s in (proven, passed, legacy))
    v = lenient.evaluate(unverified)
    assert not v.eligible and "the rule requires passed" in v.because
    # Unverified never applies, even under a rule that requires no validation.
    none = policy_for(project, RULE + 'require-validation = "none"\n', store)
    v = none.evaluate(unverified)
    assert not v.eligible and "no test runs this code" in v.because


def test_a_change_that_touches_the_tests_never_applies(project: Path, store: Store) -> None:
    weakened = make(project, grade=Grade.PASSED, touches=("deletes 1 assertion in tests/test_a.py",))
    for need in ("passed", "none"):
        v = policy_for(project, RULE + f'require-validation = "{need}"\n', store).evaluate(weakened)
        assert not v.eligible
        assert "touches the tests themselves (deletes 1 assertion in tests/test_a.py)" in v.because


def test_file_that_differs_from_the_patch_base(project: Path, store: Store) -> None:
    policy = policy_for(project, RULE, store)
    s = make(project)
    assert policy.evaluate(s).eligible
    f = project / s.path
    f.write_text(f.read_text() + "z = 1\n")
    old = time.time() - 3600
    os.utime(f, (old, old))
    policy.forget_files()
    v = policy.evaluate(s)
    assert not v.eligible and f"{s.path} changed since the fix was made (re-analysis pending)" in v.reasons


def test_quiet_period_after_the_user_edits(project: Path, store: Store) -> None:
    policy = policy_for(project, RULE + "", store)
    write(project, {"kaizen.toml": "[policy]\nquiet-seconds = 30\n\n" + RULE})
    policy = Policy.load(project, store)
    typing = make(project, path="src/app/typing.py", age=2.0)
    idle = make(project, path="src/app/idle.py", age=60.0)
    assert policy.evaluate(idle).eligible
    v = policy.evaluate(typing)
    assert not v.eligible and any("was edited 2s ago (quiet period 30s)" in r for r in v.reasons)


def test_pause_stops_everything_and_persists_across_a_restart(project: Path) -> None:
    with Store(project) as st:
        policy = policy_for(project, RULE, st)
        s = make(project)
        assert policy.evaluate(s).eligible
        pause(st)
        v = policy.evaluate(s)
        assert not v.eligible and "automatic changes are paused (kaizen resume)" in v.reasons
    with Store(project) as st2:  # a new process: still paused
        assert is_paused(st2)
        assert not Policy.load(project, st2).evaluate(s).eligible
        resume(st2)
    with Store(project) as st3:
        assert not is_paused(st3)
        assert Policy.load(project, st3).evaluate(s).eligible


def test_rate_limit(project: Path, store: Store) -> None:
    clock = [time.time()]
    policy = policy_for(project, "[policy]\nrate-limit = 2\n\n" + RULE, store, clock=lambda: clock[0])
    a, b, c = (make(project, path=f"src/app/{n}.py") for n in "abc")
    assert policy.reserve(a, "fixes") is not None
    assert policy.evaluate(b).eligible
    assert policy.reserve(b, "fixes") is not None
    v = policy.evaluate(c)
    assert not v.eligible and "rate limit reached (2 automatic changes in the last hour)" in v.reasons
    assert policy.reserve(c, "fixes") is None
    clock[0] += 3601  # an hour later the slots are free again
    assert policy.evaluate(c).eligible
    zero = policy_for(project, "[policy]\nrate-limit = 0\n\n" + RULE, store)
    assert not zero.evaluate(c).eligible


def test_rate_limit_holds_under_a_burst_across_processes_and_threads(project: Path) -> None:
    write(project, {"kaizen.toml": "[policy]\nrate-limit = 5\n\n" + RULE})
    s = make(project)
    Store(project).close()
    granted: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        with Store(project) as st:  # each thread its own connection, like separate processes
            policy = Policy.load(project, st)
            for _ in range(10):
                slot = policy.reserve(s, "fixes")
                if slot is not None:
                    with lock:
                        granted.append(slot)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 5
    with Store(project) as st:
        assert Policy.load(project, st).applied_last_hour() == 5


def test_broken_rules_file_applies_nothing_and_names_key_and_line(project: Path, store: Store) -> None:
    policy = policy_for(project, RULE, store)
    s = make(project)
    assert policy.evaluate(s).eligible
    broken = '[[policy.rules]]\nname = "fixes"\nmin-confidence = "high"\n'
    policy = policy_for(project, broken, store)
    v = policy.evaluate(s)
    assert not v.eligible
    assert "kaizen.toml:3" in v.because and "min-confidence" in v.because
    # An unknown key, and invalid TOML: the same, never the earlier (valid) policy.
    policy = policy_for(project, RULE + "max-lines = 3\n", store)
    assert not policy.evaluate(s).eligible and "max-lines" in policy.error
    policy = policy_for(project, RULE + "codes = [\n", store)
    assert not policy.evaluate(s).eligible and "invalid TOML" in policy.error


def test_no_rules_no_changes(project: Path, store: Store) -> None:
    v = policy_for(project, "", store).evaluate(make(project))
    assert not v.eligible and v.reasons == ("no [[policy.rules]] are configured",)


def test_undone_or_rejected_changes_never_reapply(project: Path, store: Store) -> None:
    policy = policy_for(project, RULE, store)
    s = make(project)
    t = make(project, path="src/app/t.py")
    assert policy.evaluate(s).eligible
    store.add_decision(Decision(s.fingerprint, DecisionAction.AUTO_APPLIED, "fixes", 1.0))
    store.add_decision(Decision(s.fingerprint, DecisionAction.UNDONE, "user", 2.0))
    assert "this change was undone before" in policy.evaluate(s).reasons
    store.add_decision(Decision(t.fingerprint, DecisionAction.REJECT, "user", 2.0, "not-now"))
    assert "you rejected this suggestion" in policy.evaluate(t).reasons


def test_preview_lists_eligible_first_with_reasons(project: Path, store: Store) -> None:
    policy = policy_for(project, RULE + 'paths = ["src/app/**"]\n', store)
    ok = make(project)
    out = make(project, path="lib/x.py")
    rows = policy.preview([out, ok])
    assert [(s.path, v.eligible) for s, v in rows] == [("src/app/a.py", True), ("lib/x.py", False)]
    assert "lib/x.py is outside [src/app/**]" in rows[1][1].because


def test_globs() -> None:
    assert path_matches("a/b/c.py", ["a/**"]) and path_matches("a/b/c.py", ["**/c.py"])
    assert path_matches("a/b/c.py", ["c.py"]) and path_matches("a/b/c.py", ["a/"])
    assert not path_matches("a/b/c.py", ["a/*.py"]) and path_matches("a/c.py", ["a/*.py"])
    assert not path_matches("ab/c.py", ["a/**"])
    assert code_matches("KZ205", ["KZ2*"]) and code_matches("KZ205", ["KZ2"]) and not code_matches("KZ305", ["KZ2"])


# --- the auto-applier on a real service ----------------------------------------------------------


def test_autoapplier_respects_pause_and_broken_settings_then_applies(project: Path) -> None:
    from suggestions.apply.audit import AuditLog
    from suggestions.project.autoapply import autoapply_hook
    from suggestions.project.service import ProjectService

    toml = RULE + 'paths = ["src/**"]\n\n[policy]\nquiet-seconds = 0\n\n[validation]\n' \
        'test-command = "python -m pytest -q -p no:cacheprovider"\n'
    write(project, {
        "kaizen.toml": toml,
        "src/__init__.py": "",
        "src/m.py": "import os\n\n\ndef one():\n    return 1\n",
        "tests/__init__.py": "",
        "tests/test_m.py": "from src.m import one\n\n\ndef test_one():\n    assert one() == 1\n",
    })
    messages: list[str] = []
    service = ProjectService(project, jobs=1)
    try:
        service.open()
        applier = autoapply_hook(service, report=messages.append)  # after open: driven by hand
        applier.PAUSED_POLL = 3600.0  # no look-again timer racing the calls below
        assert any(s.code == "KZ108" for s in service.suggestions())
        pause(service.store)
        assert applier.run().applied == []
        resume(service.store)
        (project / "kaizen.toml").write_text(toml.replace("min-confidence", "x") + "max-changed-lines = -1\n")
        report = applier.run()
        assert report.applied == [] and "kaizen.toml:" in report.error
        assert any("auto-apply stopped" in m and "max-changed-lines" in m for m in messages)
        assert "import os" in (project / "src/m.py").read_text()
        (project / "kaizen.toml").write_text(toml)
        report = applier.run()
        assert [(s.code, rule) for s, rule in report.applied] == [("KZ108", "fixes")]
        assert "import os" not in (project / "src/m.py").read_text()
        entries = AuditLog(service.store).entries()
        assert [(e.code, e.rule, e.actor) for e in entries] == [("KZ108", "fixes", "fixes")]
        applier.close()
    finally:
        service.close()


def test_policy_pause_resume_commands(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from main import main

    write(project, {
        "kaizen.toml": "[policy]\nquiet-seconds = 0\n\n" + RULE + 'paths = ["app/**"]\n',
        "app/a.py": "import os\n",
        "lib/b.py": "import sys\n",
    })
    assert main(["policy", str(project), "--preview"]) == 0
    out = capsys.readouterr().out
    assert "rule 'fixes'" in out
    assert "would apply once validated (1):" in out and "app/a.py:1" in out
    assert "lib/b.py is outside [app/**]" in out

    assert main(["pause", str(project)]) == 0
    assert "paused" in capsys.readouterr().out
    assert main(["policy", str(project), "--preview"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("PAUSED") and "would apply once validated (0):" in out
    assert main(["resume", str(project)]) == 0
    assert "resumed" in capsys.readouterr().out

    (project / "kaizen.toml").write_text(RULE + "min-confidence = true\n")
    assert main(["policy", str(project), "--preview"]) == 2
    err = capsys.readouterr().err
    assert "kaizen.toml:3" in err and "min-confidence" in err and "nothing is applied automatically" in err


def test_running_applier_notices_resume_from_another_process(project: Path) -> None:
    from suggestions.apply.audit import AuditLog
    from suggestions.project.autoapply import autoapply_hook
    from suggestions.project.service import ProjectService

    write(project, {
        "kaizen.toml": RULE + '\n[policy]\nquiet-seconds = 0\n\n[validation]\n'
                       'test-command = "python -m pytest -q -p no:cacheprovider"\n',
        "m.py": "import os\n",
        "test_m.py": "import m\n\n\ndef test_m():\n    assert m\n",
    })
    with Store(project) as other:
        pause(other)
    service = ProjectService(project, jobs=1)
    try:
        service.open()
        applier = autoapply_hook(service)
        applier.PAUSED_POLL = 0.2
        assert applier.run().applied == []  # paused: looks again shortly
        with Store(project) as other:  # `kaizen resume` from another process
            resume(other)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not AuditLog(service.store).entries():
            time.sleep(0.2)
        assert [(e.code, e.rule) for e in AuditLog(service.store).entries()] == [("KZ108", "fixes")]
        applier.close()
    finally:
        service.close()
