"""Git integration on a real repository: stage or commit only Kaizen's change."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from analysis.config import load_config
from suggestions.apply.patcher import apply_suggestions, undo
from suggestions.model import Validation, ValidationStatus
from suggestions.store import Store
from tests.conftest import write
from tests.validation_project import suggestion

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

BODY = "def f(x):\n    return x + 1\n"


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(project: Path) -> Path:
    git(project, "init", "-q", "-b", "main")
    git(project, "config", "user.email", "dev@example.com")
    git(project, "config", "user.name", "Dev")
    git(project, "config", "commit.gpgsign", "false")
    write(project, {"m.py": BODY, "other.py": "A = 1\n"})
    git(project, "add", "m.py", "other.py")
    git(project, "commit", "-q", "-m", "initial")
    # The user has work of their own staged, and more unstaged.
    write(project, {"other.py": "A = 2\n", "notes.txt": "draft\n"})
    git(project, "add", "other.py")
    return project


def passed() -> Validation:
    return Validation(ValidationStatus.PASSED, ("tests/test_m.py::test_f",), log="1 passed")


def test_commit_holds_only_the_change_and_keeps_the_users_staging(repo: Path) -> None:
    write(repo, {"kaizen.toml": '[git]\nmode = "commit"\n'})
    store = Store(repo)
    s = suggestion(repo, "m.py", "x + 1", "1 + x", code="KZ401", title="Put the constant first")
    s = s.replace(rationale="Reads better.", validation=passed())
    result = apply_suggestions(repo, store, [s], config=load_config(repo))
    assert result.ok and not result.warnings, result.warnings
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["m.py"]
    message = git(repo, "log", "-1", "--format=%B")
    assert message.startswith("Put the constant first\n\nReads better.")
    assert "Kaizen-Rule: KZ401" in message
    assert "Kaizen-Validation: passed (1 test(s))" in message
    assert f"Kaizen-Suggestion: {s.id}" in message
    # What the user staged is still staged, and not committed.
    assert git(repo, "diff", "--cached", "--name-only").split() == ["other.py"]
    assert git(repo, "show", "HEAD:other.py") == "A = 1\n"
    assert "?? notes.txt" in git(repo, "status", "--porcelain")
    # Undo is committed the same way.
    assert undo(repo, store, last=1, config=load_config(repo)).ok
    assert git(repo, "log", "-1", "--format=%s").startswith("Undo Kaizen change #1")
    assert git(repo, "show", "HEAD:m.py") == BODY
    assert git(repo, "diff", "--cached", "--name-only").split() == ["other.py"]


def test_stage_mode_stages_without_committing(repo: Path) -> None:
    write(repo, {"kaizen.toml": '[git]\nmode = "stage"\n'})
    store = Store(repo)
    head = git(repo, "rev-parse", "HEAD")
    s = suggestion(repo, "m.py", "x + 1", "1 + x")
    assert apply_suggestions(repo, store, [s], config=load_config(repo)).ok
    assert git(repo, "rev-parse", "HEAD") == head
    assert sorted(git(repo, "diff", "--cached", "--name-only").split()) == ["m.py", "other.py"]


def test_off_by_default_and_outside_a_repo_is_a_warning(project: Path) -> None:
    write(project, {"m.py": BODY})
    store = Store(project)
    assert apply_suggestions(project, store, [suggestion(project, "m.py", "x + 1", "1 + x")]).warnings == []
    write(project, {"kaizen.toml": '[git]\nmode = "commit"\n'})
    result = apply_suggestions(project, store, [suggestion(project, "m.py", "1 + x", "x + 1")],
                               config=load_config(project))
    assert result.ok  # the change itself is made
    assert any("not a git repository" in w for w in result.warnings)
