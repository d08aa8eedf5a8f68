"""Helpers for the audit, input and escape attacks: a real temporary project, with ``main.py``
run as a subprocess the way a user does.

Every test that imports ``home`` gets its own Kaizen home (``KAIZEN_HOME``: the audit key and
the head copies), so nothing touches the real ``~/.config/kaizen``; the subprocesses inherit it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from suggestions.apply.patcher import apply_suggestions
from suggestions.model import Validation, ValidationStatus
from suggestions.store import Store
from tests.conftest import write
from tests.validation_project import suggestion

ROOT = Path(__file__).resolve().parents[2]
LINES = "".join(f"n{i} = {i}\n" for i in range(1, 11))


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "kaizen-home"
    monkeypatch.setenv("KAIZEN_HOME", str(h))
    return h


def kaizen(*args: str, env: dict[str, str] | None = None,
           prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=300, env={**os.environ, **(env or {})},
    )


def assert_one_line_error(r: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2, one line on stderr starting ``kaizen: error:``, no traceback."""
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr + r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kaizen: error: "), r.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])


def apply_changes(root: Path, *numbers: int, rule: str = "") -> None:
    """Apply ``n<i> = i`` -> ``n<i> = 10*i`` for each number, one audit entry each."""
    with Store(root) as store:
        for i in numbers:
            s = suggestion(root, "m.py", f"n{i} = {i}\n", f"n{i} = {i * 10}\n", title=f"scale n{i}")
            s = s.replace(validation=Validation(ValidationStatus.PASSED, ("t",), log="1 passed",
                                                base_hash=s.patch.base_hash if s.patch else ""))
            result = apply_suggestions(root, store, [s], actor=rule or "user", rule=rule)
            assert result.ok, result.refused


@pytest.fixture
def logged(project: Path) -> Iterator[Path]:
    """A project with three changes applied through Kaizen (audit entries #1-#3)."""
    write(project, {"m.py": LINES})
    apply_changes(project, 2, 4, 6)
    yield project


def empty_database(root: Path) -> None:
    """What `: > .kaizen/kaizen.db` does (and the WAL files with it)."""
    state = root / ".kaizen"
    for name in ("kaizen.db-wal", "kaizen.db-shm"):
        (state / name).unlink(missing_ok=True)
    (state / "kaizen.db").write_bytes(b"")
