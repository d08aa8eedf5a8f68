"""The audit log: hash chain, tamper detection, export."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from main import main
from suggestions.apply.audit import AuditEntry, AuditLog, export_json, export_markdown
from suggestions.apply.patcher import apply_suggestions
from suggestions.model import Validation, ValidationStatus
from suggestions.store import Store
from tests.conftest import write
from tests.validation_project import suggestion

LINES = "".join(f"n{i} = {i}\n" for i in range(1, 11))


@pytest.fixture
def logged(project: Path) -> tuple[Path, Store]:
    """A project with four applied changes in the log."""
    write(project, {"m.py": LINES})
    store = Store(project)
    for i in (2, 4, 6, 8):
        s = suggestion(project, "m.py", f"n{i} = {i}", f"n{i} = {i * 10}", title=f"scale n{i}")
        s = s.replace(validation=Validation(ValidationStatus.PASSED, ("tests/test_m.py::test_n",), log="1 passed"))
        assert apply_suggestions(project, store, [s]).ok
    return project, store


def test_entries_are_chained(logged: tuple[Path, Store]) -> None:
    _root, store = logged
    log = AuditLog(store)
    entries = log.entries()
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert entries[0].prev_hash == "0" * 64
    for a, b in itertools.pairwise(entries):
        assert b.prev_hash == a.entry_hash
        assert b.hash_before == a.hash_after
    assert all(e.compute_hash() == e.entry_hash for e in entries)
    assert entries[0].validation["status"] == "passed"
    assert log.verify().ok


def test_edited_entry_is_detected(logged: tuple[Path, Store]) -> None:
    _root, store = logged
    store.execute("UPDATE audit SET rationale='nothing to see' WHERE seq=2")
    result = AuditLog(store).verify()
    assert not result.ok and result.first_bad == 2 and "edited" in result.problem


def test_rehashed_edit_is_still_detected_by_the_next_entry(logged: tuple[Path, Store]) -> None:
    _root, store = logged
    log = AuditLog(store)
    e = log.entry(2)
    assert e is not None
    forged = AuditEntry(**{**e.to_dict(), "actor": "someone else", "entry_hash": ""})
    store.execute("UPDATE audit SET actor=?, entry_hash=? WHERE seq=2", ("someone else", forged.compute_hash()))
    result = log.verify()
    # The head record kept outside the database names #2 itself (before: the next entry, #3).
    assert not result.ok and result.first_bad == 2 and "rewritten" in result.problem


def test_deleted_entry_is_detected(logged: tuple[Path, Store]) -> None:
    _root, store = logged
    store.execute("DELETE FROM audit WHERE seq=2")
    result = AuditLog(store).verify()
    assert not result.ok and result.first_bad == 2 and "entry #2 is missing" in result.problem


def test_deleted_newest_entry_is_detected(logged: tuple[Path, Store]) -> None:
    _root, store = logged
    store.execute("DELETE FROM audit WHERE seq=4")
    result = AuditLog(store).verify()
    assert not result.ok and result.first_bad == 4 and "the newest entry #4 is missing" in result.problem


def test_reordered_entries_are_detected(logged: tuple[Path, Store]) -> None:
    _root, store = logged
    store.execute("UPDATE audit SET seq=100 WHERE seq=2")
    store.execute("UPDATE audit SET seq=2 WHERE seq=3")
    store.execute("UPDATE audit SET seq=3 WHERE seq=100")
    result = AuditLog(store).verify()
    assert not result.ok and result.first_bad == 2


def test_export_json_and_markdown(logged: tuple[Path, Store], tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    root, store = logged
    log = AuditLog(store)
    data = json.loads(export_json(log))
    assert data["verified"] is True and len(data["entries"]) == 4
    assert data["entries"][0]["title"] == "scale n2" and "+n2 = 20" in data["entries"][0]["diff"]
    md = export_markdown(log)
    assert md.startswith("# Kaizen audit log") and "## #1 Applied `KZ999` in `m.py` — scale n2" in md
    assert "```diff" in md and "**Validation:** passed (1 test(s))" in md
    out = tmp_path / "audit.md"
    assert main(["audit", str(root), "--export", "md", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == md
    assert main(["audit", str(root), "--export", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["verified"] is True


def test_cli_verify_fails_with_exit_1_naming_the_entry(logged: tuple[Path, Store],
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    root, store = logged
    assert main(["audit", str(root), "--verify"]) == 0
    store.execute("UPDATE audit SET diff='' WHERE seq=3")
    assert main(["audit", str(root), "--verify"]) == 1
    assert "entry #3" in capsys.readouterr().out


def test_listing(logged: tuple[Path, Store], capsys: pytest.CaptureFixture[str]) -> None:
    root, _store = logged
    assert main(["audit", str(root)]) == 0
    out = capsys.readouterr().out
    assert out.count("apply") == 4 and "scale n8" in out


def test_an_llm_candidates_attempts_are_in_its_audit_entry(project: Path) -> None:
    """Issue 20: the audit entry of an applied LLM change names every attempt (hashes, outcome)."""
    write(project, {"m.py": LINES})
    store = Store(project)
    attempts = [
        {"target": "t", "candidate": 1, "attempt": 1, "prompt_hash": "aa11", "reply_hash": "bb22",
         "outcome": "parse", "reason": "no edit in the reply", "tokens": 90},
        {"target": "t", "candidate": 1, "attempt": 2, "prompt_hash": "cc33", "reply_hash": "dd44",
         "outcome": "passed", "reason": "", "tokens": 120},
    ]
    s = suggestion(project, "m.py", "n2 = 2", "n2 = 20", title="scale n2")
    s = s.replace(evidence={"llm_attempts": attempts},
                  validation=Validation(ValidationStatus.PASSED, ("tests/test_m.py::test_n",), log="1 passed"))
    assert apply_suggestions(project, store, [s]).ok
    log = AuditLog(store)
    (entry,) = log.entries()
    assert [(a["attempt"], a["prompt_hash"], a["reply_hash"], a["outcome"]) for a in entry.validation["llm_attempts"]] \
        == [(1, "aa11", "bb22", "parse"), (2, "cc33", "dd44", "passed")]
    assert log.verify().ok  # signed with the rest
    store.close()
