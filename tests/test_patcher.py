"""Applying and undoing changes: atomic, conflict-checked, byte-exact, logged, crash-safe."""

from __future__ import annotations

import os
import random
import signal
import stat
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import suggestions.apply.patcher as patcher
from analysis.atomic import write_atomic
from main import main
from suggestions.apply.audit import AuditLog
from suggestions.apply.patcher import apply_suggestions, merge3, recover, undo
from suggestions.model import DecisionAction, content_hash
from suggestions.store import Store
from tests.conftest import write
from tests.validation_project import suggestion

BODY = "def f(x):\n    return x + 1\n\n\ndef g(y):\n    return y * 2\n"


def test_apply_writes_logs_and_records_the_decision(project: Path) -> None:
    write(project, {"m.py": BODY})
    store = Store(project)
    s = suggestion(project, "m.py", "x + 1", "1 + x", title="swap")
    result = apply_suggestions(project, store, [s])
    assert result.ok and result.paths == ["m.py"]
    assert (project / "m.py").read_text() == BODY.replace("x + 1", "1 + x")
    [entry] = AuditLog(store).entries()
    assert entry.action == "apply" and entry.fingerprint == s.fingerprint and entry.title == "swap"
    assert entry.hash_before == content_hash(BODY.encode()) != entry.hash_after
    assert "-    return x + 1" in entry.diff and "+    return 1 + x" in entry.diff
    [d] = store.decisions(s.fingerprint)
    assert d.action is DecisionAction.ACCEPT and d.actor == "user"


def test_rule_applied_change_is_recorded_as_auto_applied(project: Path) -> None:
    write(project, {"m.py": BODY})
    store = Store(project)
    s = suggestion(project, "m.py", "x + 1", "1 + x")
    apply_suggestions(project, store, [s], actor="policy", rule="safe-fixes", reason="rule matched")
    [d] = store.decisions(s.fingerprint)
    assert d.action is DecisionAction.AUTO_APPLIED and d.actor == "safe-fixes"
    [e] = AuditLog(store).entries()
    assert e.rule == "safe-fixes" and e.actor == "policy" and e.reason == "rule matched"


def test_refuses_when_the_file_changed_since_the_suggestion(project: Path) -> None:
    write(project, {"m.py": BODY})
    store = Store(project)
    s = suggestion(project, "m.py", "x + 1", "1 + x")
    edited = BODY + "# the user typed this\n"
    (project / "m.py").write_text(edited)
    result = apply_suggestions(project, store, [s])
    assert not result.ok and result.stale_paths == ["m.py"]
    assert "changed since" in result.refused[0].reason
    assert (project / "m.py").read_text() == edited  # nothing lost
    assert AuditLog(store).entries() == []


def test_several_patches_to_one_file_are_one_write(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(project, {"m.py": BODY})
    store = Store(project)
    a = suggestion(project, "m.py", "x + 1", "1 + x")
    b = suggestion(project, "m.py", "y * 2", "2 * y")
    clash = suggestion(project, "m.py", "return x", "yield x")  # overlaps a
    writes: list[str] = []
    real = patcher._replace
    monkeypatch.setattr(patcher, "_replace", lambda t, d, m: (writes.append(t.rel), real(t, d, m)))
    result = apply_suggestions(project, store, [a, b, clash])
    assert len(writes) == 1
    assert (project / "m.py").read_text() == BODY.replace("x + 1", "1 + x").replace("y * 2", "2 * y")
    assert [r.handle for r in result.refused] == [clash.id] and "overlaps" in result.refused[0].reason
    e1, e2 = AuditLog(store).entries()
    assert e1.hash_after == e2.hash_before  # one entry per suggestion, chained through the states


VARIANTS = {
    "crlf": b"def f(x):\r\n    return x + 1\r\n",
    "latin-1": "# -*- coding: latin-1 -*-\ndef f(x):\n    return x + 1  # caf\u00e9\n".encode("latin-1"),
    "bom": b"\xef\xbb\xbfdef f(x):\n    return x + 1\n",
    "no-final-newline": b"def f(x):\n    return x + 1",
    "cp1252-fallback": "def f(x):\n    return x + 1  # \u201cquoted\u201d\n".encode("cp1252"),
}


@pytest.mark.parametrize("kind", sorted(VARIANTS))
def test_undo_restores_bytes_and_mode_exactly(project: Path, kind: str) -> None:
    original = VARIANTS[kind]
    path = project / "m.py"
    path.write_bytes(original)
    os.chmod(path, 0o755)
    store = Store(project)
    s = suggestion(project, "m.py", "x + 1", "x + 1 + 0  # \u00e9")
    result = apply_suggestions(project, store, [s])
    assert result.ok, result.refused
    changed = path.read_bytes()
    assert changed != original
    # The encoding, BOM and line endings survive the edit itself.
    assert changed.startswith(b"\xef\xbb\xbf") == original.startswith(b"\xef\xbb\xbf")
    assert changed.count(b"\r\n") == original.count(b"\r\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o755
    res = undo(project, store, last=1)
    assert res.ok, res.refused
    assert path.read_bytes() == original
    assert stat.S_IMODE(path.stat().st_mode) == 0o755
    assert store.decisions(s.fingerprint)[-1].action is DecisionAction.UNDONE


def test_unencodable_fix_is_refused(project: Path) -> None:
    (project / "m.py").write_bytes("# -*- coding: latin-1 -*-\nX = 'caf\u00e9'\n".encode("latin-1"))
    store = Store(project)
    s = suggestion(project, "m.py", "X", "\u732b")  # not representable in latin-1
    result = apply_suggestions(project, store, [s])
    assert not result.ok and "latin-1" in result.refused[0].reason
    assert (project / "m.py").read_bytes().endswith("caf\u00e9'\n".encode("latin-1"))


LINES = "".join(f"line{i} = {i}\n" for i in range(1, 21))


def test_undo_merges_when_only_other_regions_changed(project: Path) -> None:
    write(project, {"m.py": LINES})
    store = Store(project)
    apply_suggestions(project, store, [suggestion(project, "m.py", "line3 = 3", "line3 = 33")])
    text = (project / "m.py").read_text().replace("line15 = 15", "line15 = 'user'")
    (project / "m.py").write_text(text)
    res = undo(project, store, last=1)
    assert res.ok, res.refused
    assert (project / "m.py").read_text() == LINES.replace("line15 = 15", "line15 = 'user'")


def test_undo_refuses_naming_the_lines_when_the_region_changed(project: Path) -> None:
    write(project, {"m.py": LINES})
    store = Store(project)
    apply_suggestions(project, store, [suggestion(project, "m.py", "line3 = 3", "line3 = 33")])
    text = (project / "m.py").read_text().replace("line3 = 33", "line3 = 'user'")
    (project / "m.py").write_text(text)
    res = undo(project, store, last=1)
    assert not res.ok
    assert "line(s) 3" in res.refused[0].reason
    assert (project / "m.py").read_text() == text  # untouched
    assert [e.action for e in AuditLog(store).entries()] == ["apply"]


def test_undo_one_of_two_changes_in_one_write(project: Path) -> None:
    write(project, {"m.py": LINES})
    store = Store(project)
    a = suggestion(project, "m.py", "line3 = 3", "line3 = 33")
    b = suggestion(project, "m.py", "line9 = 9", "line9 = 99")
    apply_suggestions(project, store, [a, b])
    res = undo(project, store, [a.id])
    assert res.ok, res.refused
    assert (project / "m.py").read_text() == LINES.replace("line9 = 9", "line9 = 99")
    # Undoing again is refused: it was already undone.
    again = undo(project, store, [a.id])
    assert not again.ok and "already undone" in again.refused[0].reason


def test_undo_batch_is_all_or_nothing(project: Path) -> None:
    write(project, {"a.py": LINES, "b.py": LINES})
    store = Store(project)
    apply_suggestions(project, store, [suggestion(project, "a.py", "line3 = 3", "line3 = 33"),
                                       suggestion(project, "b.py", "line4 = 4", "line4 = 44")])
    (project / "b.py").write_text((project / "b.py").read_text().replace("line4 = 44", "line4 = 0"))
    a_before = (project / "a.py").read_bytes()
    res = undo(project, store, last=2)
    assert not res.ok and res.refused[0].path == "b.py"
    assert (project / "a.py").read_bytes() == a_before  # not undone either
    (project / "b.py").write_text((project / "b.py").read_text().replace("line4 = 0", "line4 = 44"))
    res = undo(project, store, last=2)
    assert res.ok and sorted(res.paths) == ["a.py", "b.py"]
    assert (project / "a.py").read_text() == LINES == (project / "b.py").read_text()
    assert AuditLog(store).verify().ok


def test_merge3() -> None:
    base = b"a\nb\nc\nd\n"
    assert merge3(base, b"a\nb\nc\nD\n", b"A\nb\nc\nd\n") == (b"A\nb\nc\nD\n", [])
    merged, conflicts = merge3(base, b"a\nB\nc\nd\n", b"a\nbb\nc\nd\n")
    assert merged is None and conflicts == [(2, 2)]
    # Both sides made the same change: no conflict.
    assert merge3(base, b"a\nB\nc\nD\n", b"a\nB\nc\nd\n") == (b"a\nB\nc\nD\n", [])
    # CRLF and a missing final newline are kept as they are.
    assert merge3(b"a\r\nb\r\nc", b"a\r\nb\r\nC", b"A\r\nb\r\nc") == (b"A\r\nb\r\nC", [])


def test_write_atomic_keeps_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    p = tmp_path / "x.py"
    p.write_text("old")
    os.chmod(p, 0o751)
    write_atomic(p, b"new")
    assert p.read_bytes() == b"new" and stat.S_IMODE(p.stat().st_mode) == 0o751
    assert os.listdir(tmp_path) == ["x.py"]


def test_write_atomic_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.py"
    real.write_text("old")
    link = tmp_path / "link.py"
    link.symlink_to(real)
    write_atomic(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_cli_apply_refuses_a_failed_validation_unless_forced(project: Path) -> None:
    from suggestions.model import Validation, ValidationStatus

    write(project, {"m.py": BODY})
    store = Store(project)
    s = suggestion(project, "m.py", "x + 1", "1 + x").replace(
        validation=Validation(ValidationStatus.FAILED, ("t.py::test_a",), ("t.py::test_a",)))
    store.put_suggestions([s])
    assert main(["apply", str(project), s.id]) == 2
    assert (project / "m.py").read_text() == BODY
    assert main(["apply", str(project), s.id, "--force"]) == 0
    assert "1 + x" in (project / "m.py").read_text()


def test_cli_apply_undo_audit(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project, {"m.py": BODY})
    store = Store(project)
    s = suggestion(project, "m.py", "x + 1", "1 + x", title="swap")
    store.put_suggestions([s])
    store.close()
    assert main(["apply", str(project), s.id]) == 0
    assert "applied" in capsys.readouterr().out
    assert "1 + x" in (project / "m.py").read_text()
    assert main(["apply", str(project), "zzzz"]) == 2
    assert main(["undo", str(project)]) == 0
    assert (project / "m.py").read_text() == BODY
    assert main(["audit", str(project), "--verify"]) == 0
    out = capsys.readouterr().out
    assert "verified: 2 entries" in out
    assert main(["undo", str(project), "--last", "1"]) == 1  # nothing left to undo


def test_cli_reject_records_a_decision(project: Path) -> None:
    write(project, {"m.py": BODY})
    store = Store(project)
    s = suggestion(project, "m.py", "x + 1", "1 + x")
    store.put_suggestions([s])
    assert main(["reject", str(project), s.id, "--reason", "not now"]) == 0
    [d] = store.decisions(s.fingerprint)
    assert d.action is DecisionAction.REJECT and d.reason == "not-now"


# --- fault injection ----------------------------------------------------------------------------

A = "".join(f"value_{i} = {i}\n" for i in range(200))
B = A.replace("value_100 = 100", "value_100 = 'changed'")


def _toggle_forever(root: Path) -> None:
    """The victim: apply A->B / B->A to three files as fast as it can, undoing now and then."""
    store = Store(root)
    rng = random.Random(os.getpid())
    names = ["f0.py", "f1.py", "f2.py"]
    while True:
        for name in names:
            if rng.random() < 0.25:
                undo(root, store, last=1)  # takes the file back to A or B as well
                continue
            current = (root / name).read_text()
            old, new = ("value_100 = 100", "value_100 = 'changed'") if current == A else (
                "value_100 = 'changed'", "value_100 = 100")
            apply_suggestions(root, store, [suggestion(root, name, old, new)])


@pytest.mark.slow
def test_sigkill_at_random_moments_never_leaves_a_half_written_file(project: Path) -> None:
    names = ["f0.py", "f1.py", "f2.py"]
    write(project, dict.fromkeys(names, A))
    with Store(project) as setup:  # schema in place before the first victim starts
        AuditLog(setup)
    rng = random.Random(1234)
    kills = 0
    deadline = time.monotonic() + 45
    while kills < 200 and time.monotonic() < deadline:
        pid = os.fork()
        if pid == 0:  # the child: never returns into pytest
            try:
                _toggle_forever(project)
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.002, 0.06))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        kills += 1
        for name in names:
            assert (project / name).read_text() in (A, B), f"{name} half-written after kill {kills}"
    assert kills >= 200, f"only {kills} kills in the time allowed"
    store = Store(project)
    recover(project, store)
    log = AuditLog(store)
    result = log.verify()
    assert result.ok, result.message()
    entries = log.entries()
    assert len(entries) >= 20, "the victim made progress between kills"
    assert any(e.action == "undo" for e in entries)
    # The log is complete: each file's last logged state is what is on disk.
    for name in names:
        mine = [e for e in entries if e.path == name]
        if mine:
            assert mine[-1].hash_after == content_hash((project / name).read_bytes())
    assert store.execute("SELECT COUNT(*) FROM audit_journal")[0][0] == 0
    # Temp files of killed writers are cleaned up by the next write to the same file.
    for name in names:
        apply_suggestions(project, store, [suggestion(project, name, "value_1 = 1", "value_1 = 1.0")])
    assert not [n for n in os.listdir(project) if n.endswith(".tmp")]


def test_interrupted_log_entry_is_completed_from_the_journal(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(project, {"m.py": BODY, "n.py": BODY})
    store = Store(project)

    def die(*_a: object, **_k: object) -> None:
        raise KeyboardInterrupt  # the process "dies" after the write, before the log entry

    monkeypatch.setattr(patcher, "_commit", die)
    s = suggestion(project, "m.py", "x + 1", "1 + x")
    with pytest.raises(KeyboardInterrupt):
        apply_suggestions(project, store, [s])
    assert "1 + x" in (project / "m.py").read_text()
    # And one that died before its write: the journal row is dropped, nothing logged.
    monkeypatch.setattr(patcher, "_replace", die)
    with pytest.raises(KeyboardInterrupt):
        apply_suggestions(project, store, [suggestion(project, "n.py", "x + 1", "2 + x")])
    assert (project / "n.py").read_text() == BODY
    monkeypatch.undo()
    assert AuditLog(store).entries() == []
    notes = patcher.finish_interrupted(project, store)
    assert notes == ["m.py: logged a change whose log entry was interrupted"]
    [e] = AuditLog(store).entries()
    assert e.fingerprint == s.fingerprint and e.hash_after == content_hash((project / "m.py").read_bytes())
    assert store.decisions(s.fingerprint)[-1].action is DecisionAction.ACCEPT
    assert store.execute("SELECT COUNT(*) FROM audit_journal")[0][0] == 0
    assert AuditLog(store).verify().ok


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(st.text(alphabet="abcé€ xyz=1", min_size=1, max_size=12), min_size=2, max_size=12),
    endings=st.lists(st.sampled_from(["\n", "\r\n"]), min_size=12, max_size=12),
    final_newline=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    pick=st.integers(min_value=0, max_value=11),
)
def test_apply_then_undo_is_byte_exact(tmp_path_factory: pytest.TempPathFactory, lines: list[str],
                                       endings: list[str], final_newline: bool, encoding: str, pick: int) -> None:
    root = tmp_path_factory.mktemp("prop")
    text = "".join(f"v{i} = '{line}'{endings[i]}" for i, line in enumerate(lines))
    if not final_newline:
        text = text.rstrip("\r\n")
    original = text.encode(encoding)
    (root / "m.py").write_bytes(original)
    i = pick % len(lines)
    with Store(root) as store:
        s = suggestion(root, "m.py", f"v{i} = ", f"v{i}_renamed = ")
        result = apply_suggestions(root, store, [s])
        assert result.ok, result.refused
        changed = (root / "m.py").read_bytes()
        assert changed == text.replace(f"v{i} = ", f"v{i}_renamed = ", 1).encode(encoding)
        assert undo(root, store, last=1).ok
        assert (root / "m.py").read_bytes() == original


def test_leftovers_of_a_dead_patcher_are_deleted_unless_they_may_hold_a_save(project: Path) -> None:
    """A temp being written is Kaizen's; one that took part in a swap may be the user's file."""
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    write(project, {"m.py": BODY})
    half = project / f".m.py.kaizen-{pid}-wdeadbeef01.tmp"
    half.write_bytes(BODY.encode()[:7])  # a write that was cut short
    known = project / f".m.py.kaizen-{pid}-xdeadbeef02.tmp"
    known.write_bytes(BODY.encode())  # the file as it was read: nothing to keep
    unknown = project / f".m.py.kaizen-{pid}-xdeadbeef03.tmp"
    unknown.write_bytes(b"# a save that landed while that patcher was swapping\n")
    with Store(project) as store:
        result = apply_suggestions(project, store, [suggestion(project, "m.py", "x + 1", "1 + x")])
    assert result.ok
    assert not half.exists() and not known.exists() and unknown.exists()
    assert any(unknown.name in w and "compare, then delete it" in w for w in result.warnings)


def test_apply_writes_through_a_link_inside_the_project_to_the_real_file(project: Path) -> None:
    write(project, {"pkg/real.py": BODY})
    (project / "link.py").symlink_to("pkg/real.py")
    with Store(project) as store:
        result = apply_suggestions(project, store, [suggestion(project, "link.py", "x + 1", "1 + x")])
        assert result.ok and result.paths == ["pkg/real.py"]
        [entry] = AuditLog(store).entries()
        assert entry.path == "pkg/real.py"  # the log names the file that changed
        assert (project / "link.py").is_symlink()
        assert "1 + x" in (project / "pkg/real.py").read_text()
        assert undo(project, store, last=1).ok
    assert (project / "pkg/real.py").read_text() == BODY
