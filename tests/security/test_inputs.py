"""Bad input a user (or a broken disk) can produce: one clear line on stderr, exit 2, no traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from suggestions.store import Store
from tests.conftest import write
from tests.security import audit_support
from tests.security.audit_support import assert_one_line_error, kaizen

home = audit_support.home  # fixture


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "+nan"])
@pytest.mark.parametrize("command", ["config", "scan"])
def test_non_finite_numbers_are_refused(project: Path, value: str, command: str) -> None:
    write(project, {"kaizen.toml": f"[validation]\ntimeout = {value}\n", "a.py": "x = 1\n"})
    assert_one_line_error(kaizen(command, str(project)), "validation.timeout", "finite")


@pytest.mark.parametrize("rules", ["[1]", '["tidy"]', "[[1]]", "1"])
def test_policy_rules_that_are_not_tables_are_refused(project: Path, rules: str) -> None:
    write(project, {"kaizen.toml": f"[policy]\nrules = {rules}\n"})
    assert_one_line_error(kaizen("config", str(project)), "policy.rules")


@pytest.mark.parametrize("opening", ["[", "{a="])
def test_deeply_nested_toml_is_refused(project: Path, opening: str) -> None:
    closing = "]" if opening == "[" else "}"
    write(project, {"kaizen.toml": "x = " + opening * 100_000 + "1" + closing * 100_000 + "\n"})
    assert_one_line_error(kaizen("config", str(project)), "kaizen.toml", "nested too deeply")


@pytest.mark.parametrize("command", [("scan",), ("audit",), ("pause",), ("audit", "--verify"), ("suggest",)])
def test_state_folder_that_is_a_file(project: Path, command: tuple[str, ...]) -> None:
    write(project, {"a.py": "x = 1\n", ".kaizen": "not a folder\n"})
    assert_one_line_error(kaizen(command[0], str(project), *command[1:]), ".kaizen", "not a folder")


def test_database_that_is_a_folder(project: Path) -> None:
    (project / ".kaizen" / "kaizen.db").mkdir(parents=True)
    assert_one_line_error(kaizen("audit", str(project)), "kaizen.db")


@pytest.mark.parametrize("command", [("scan",), ("audit", "--verify"), ("pause",), ("undo",), ("policy", "--preview")])
def test_garbage_database(project: Path, command: tuple[str, ...]) -> None:
    write(project, {"a.py": "x = 1\n", ".kaizen/kaizen.db": os.urandom(8192)})
    assert_one_line_error(kaizen(command[0], str(project), *command[1:]), "kaizen.db", "damaged")


def test_database_damaged_after_its_header(project: Path) -> None:
    write(project, {"a.py": "x = 1\n"})
    with Store(project) as store:
        store.set_meta("k", "v" * 5000)
        store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db = project / ".kaizen" / "kaizen.db"
    data = bytearray(db.read_bytes())
    data[100:] = os.urandom(len(data) - 100)  # a valid SQLite header, garbage pages
    db.write_bytes(bytes(data))
    for command in (("audit",), ("scan",), ("pause",)):
        assert_one_line_error(kaizen(command[0], str(project), *command[1:]), "kaizen.db")


def test_database_damaged_in_its_pages(project: Path) -> None:
    """Page 1 intact, later pages garbage: found mid-use (a traceback from scan before)."""
    write(project, {"a.py": "x = 1\n"})
    with Store(project) as store:
        for i in range(200):
            store.set_meta(f"k{i}", "v" * 3000)
        store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db = project / ".kaizen" / "kaizen.db"
    data = bytearray(db.read_bytes())
    half = len(data) // 2
    data[half:] = os.urandom(len(data) - half)
    db.write_bytes(bytes(data))
    assert_one_line_error(kaizen("scan", str(project)), "kaizen.db", "damaged")
    r = kaizen("audit", str(project), "--verify")
    assert r.returncode in (1, 2) and "damaged" in r.stdout + r.stderr and "Traceback" not in r.stderr


def _bwrap_read_only(project: Path) -> tuple[str, ...]:
    """A mount namespace where the project is a read-only bind mount (root ignores mode bits)."""
    exe = shutil.which("bwrap")
    if exe is None:
        pytest.skip("bwrap is not installed")
    prefix = (exe, "--bind", "/", "/", "--ro-bind", str(project), str(project), "--dev", "/dev", "--proc", "/proc")
    probe = subprocess.run([*prefix, "touch", str(project / "probe")], capture_output=True, text=True)
    if probe.returncode == 0 or "Read-only" not in probe.stderr:
        pytest.skip(f"bwrap cannot make a read-only mount here: {probe.stderr.strip()}")
    return prefix


def test_read_only_project_without_state(project: Path) -> None:
    write(project, {"a.py": "def f(x=[]):\n    return x\n"})
    ro = _bwrap_read_only(project)
    r = kaizen("pause", str(project), prefix=ro)
    assert_one_line_error(r, "read-only")
    r = kaizen("scan", str(project), prefix=ro)  # scanning needs no state: it goes on without
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "a.py:1" in r.stdout and "read-only" in r.stderr
    assert not (project / ".kaizen").exists()


def test_read_only_project_with_state(project: Path) -> None:
    write(project, {"a.py": "def f(x=[]):\n    return x\n"})
    assert kaizen("scan", str(project)).returncode == 1
    ro = _bwrap_read_only(project)
    for command in (("pause",), ("audit", "--verify"), ("undo",)):
        r = kaizen(command[0], str(project), *command[1:], prefix=ro)
        assert r.returncode in (0, 1, 2) and "Traceback" not in r.stderr + r.stdout, (command, r.stderr)
        if r.returncode == 2:
            assert_one_line_error(r)


def test_eacces_and_erofs_become_one_line(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The code path behind the read-only tests, without a mount namespace."""
    import errno

    from analysis import store as store_mod

    def refuse(self: Path, *a: object, **k: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(store_mod.StoreError, match="read-only") as info:
        Store(project)
    assert info.value.readonly
