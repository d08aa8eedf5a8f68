"""Paths stay inside: symbolic links never lead Kaizen's reads, walks or writes out of the project.

Real symlinks on a real temporary project; ``main.py`` runs as a subprocess where a user
would run it. A link swapped in "just before the write" is swapped from inside a wrapped
step of the patcher, so no test depends on timing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import suggestions.apply.patcher as patcher
from analysis.inventory import scan_inventory
from suggestions.apply.patcher import apply_suggestions, undo
from suggestions.decide.policy import Policy
from suggestions.model import Suggestion, Validation, ValidationStatus
from suggestions.project.autoapply import autoapply_hook
from suggestions.store import Store
from tests.conftest import ROOT, write
from tests.validation_project import suggestion

BODY = "import os\n\n\ndef one():\n    return 1\n"  # KZ108: an unused import, fixable
AUTO = ('[policy]\nquiet-seconds = 0\n\n[[policy.rules]]\nname = "fixes"\npaths = ["**"]\n\n'
        '[policy.never]\npaths = ["migrations/**"]\n')


def kaizen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the project, with a file Kaizen must never read as the project's or write."""
    out = tmp_path / "outside"
    write(out, {"m.py": BODY})
    return out


def validated(s: Suggestion) -> Suggestion:
    assert s.patch is not None
    return s.replace(validation=Validation(ValidationStatus.PASSED, ("t",), log="1 passed",
                                           base_hash=s.patch.base_hash))


class PassingValidator:
    """Stands in for the sandbox: every candidate passes (what is tested here is the path)."""

    def validate(self, suggestions: list[Suggestion]) -> list[Suggestion]:
        return [validated(s) for s in suggestions]


def auto_apply(project: Path) -> tuple[list[tuple[Suggestion, str]], list[str]]:
    from suggestions.project.service import ProjectService

    messages: list[str] = []
    service = ProjectService(project, jobs=1)
    try:
        service.open()
        applier = autoapply_hook(service, report=messages.append, validator_factory=PassingValidator)
        applier.PAUSED_POLL = applier.RATE_LIMIT_POLL = 3600.0
        report = applier.run()
        applier.close()
        return report.applied, messages
    finally:
        service.close()


# --- scan and watch: links are not walked -----------------------------------------------------


def test_scan_does_not_walk_a_link_to_the_filesystem_root(project: Path) -> None:
    write(project, {"a.py": BODY})
    os.symlink("/", project / "everything")
    r = kaizen("scan", str(project), "--jobs", "1")
    assert r.returncode in (0, 1), r.stderr
    assert "skipped everything: symbolic link to outside the project (/)" in r.stderr
    with Store(project) as store:
        assert set(store.file_hashes()) == {"a.py"}


def test_scan_skips_a_folder_linked_outside_with_a_reason(project: Path, outside: Path) -> None:
    write(project, {"a.py": BODY})
    os.symlink(outside, project / "ext")
    r = kaizen("scan", str(project), "--jobs", "1", "--format", "json")
    assert r.returncode in (0, 1), r.stderr
    assert '"ext/m.py"' not in r.stdout
    with Store(project) as store:
        assert set(store.file_hashes()) == {"a.py"}
        assert store.skipped()["ext"] == f"symbolic link to outside the project ({outside})"


def test_inventory_analyses_a_linked_file_under_its_real_path_only(project: Path, outside: Path) -> None:
    write(project, {"pkg/real.py": BODY})
    os.symlink("pkg", project / "alias")
    os.symlink("pkg/real.py", project / "same.py")
    os.symlink(outside / "m.py", project / "secret.py")
    inv = scan_inventory(project)
    assert [f.path for f in inv.files] == ["pkg/real.py"]
    reasons = {s.path: s.reason for s in inv.skipped}
    assert reasons == {
        "alias": "symbolic link to pkg (analysed there)",
        "same.py": "symbolic link to pkg/real.py (analysed there)",
        "secret.py": f"symbolic link to outside the project ({outside / 'm.py'})",
    }


def test_watch_events_under_a_link_to_outside_are_skipped(project: Path, outside: Path) -> None:
    from suggestions.project.service import ProjectService

    write(project, {"a.py": BODY})
    service = ProjectService(project, jobs=1)
    try:
        service.open()
        os.symlink(outside, project / "ext")
        os.symlink(outside / "m.py", project / "b.py")
        service.handle_paths(["ext", "ext/m.py", "b.py"])
        assert not [s for s in service.suggestions() if s.path != "a.py"]
        assert set(service.files()) == {"a.py"}
        skipped = service.skipped()
        assert skipped["ext"] == f"symbolic link to outside the project ({outside})"
        assert skipped["b.py"] == f"symbolic link to outside the project ({outside / 'm.py'})"
    finally:
        service.close()


def test_polling_watcher_does_not_follow_a_link_outside(project: Path, outside: Path) -> None:
    from analysis.watcher import Watcher
    from tests.test_watcher import Collector

    write(project, {"a.py": "x = 1\n"})
    os.symlink(outside, project / "ext")
    col = Collector()
    with Watcher(project, col, on_status=col.status, polling=True, poll_interval=0.05) as w:
        assert w.mode == "polling"
        col.sentinel(project, "zz_first.py")  # the first snapshot is taken
        (outside / "m.py").write_text(BODY + "# changed outside, a longer file now\n")
        col.sentinel(project, "zz_second.py")  # every change before it has been seen
    assert not [p for p in col.paths if p.startswith("ext")], col.paths


# --- apply and auto-apply: nothing is written outside ------------------------------------------


def test_kaizen_apply_refuses_to_write_through_a_folder_link_to_outside(project: Path, outside: Path) -> None:
    write(project, {"a.py": BODY})
    os.symlink(outside, project / "ext")
    with Store(project) as store:
        s = suggestion(project, "ext/m.py", "import os\n", "")  # e.g. stored before the link changed
        store.put_suggestions([s])
    r = kaizen("apply", str(project), s.id)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert f"ext/m.py leads outside the project (to {outside / 'm.py'})" in r.stderr
    assert (outside / "m.py").read_text() == BODY


def test_auto_apply_leaves_files_behind_a_folder_link_to_outside(project: Path, outside: Path) -> None:
    write(project, {"kaizen.toml": AUTO, "a.py": "x = 1\n"})
    os.symlink(outside, project / "ext")
    applied, messages = auto_apply(project)
    assert applied == [], messages
    assert (outside / "m.py").read_text() == BODY
    with Store(project) as store:
        # A suggestion for the link's path (from anywhere) is refused by the policy and the patcher.
        s = validated(suggestion(project, "ext/m.py", "import os\n", ""))
        verdict = Policy.load(project, store).evaluate(s)
        assert not verdict.eligible and any("leads outside the project" in r for r in verdict.reasons)
        result = apply_suggestions(project, store, [s], actor="fixes", rule="fixes")
        assert not result.applied and "leads outside the project" in result.refused[0].reason
    assert (outside / "m.py").read_text() == BODY


def test_never_list_holds_through_an_alias_inside_the_project(project: Path) -> None:
    write(project, {"kaizen.toml": AUTO, "migrations/0001.py": BODY})
    os.symlink("migrations", project / "m2")  # sorts before "migrations": walked first, before
    os.symlink("migrations/0001.py", project / "alias.py")
    applied, messages = auto_apply(project)
    assert applied == [], messages
    assert (project / "migrations/0001.py").read_text() == BODY
    with Store(project) as store:
        policy = Policy.load(project, store)
        for alias in ("m2/0001.py", "alias.py"):
            v = policy.evaluate(validated(suggestion(project, alias, "import os\n", "")))
            assert not v.eligible
            assert f"migrations/0001.py is in [policy.never] paths (through the symbolic link {alias})" in v.reasons


# --- a link swapped in just before the write ----------------------------------------------------


@pytest.fixture
def swap_before_write(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Run the queued actions right after the patcher has read the file and journaled the
    change: the last step before it writes."""
    actions: list[Any] = []
    real = patcher._journal

    def journal(*a: Any, **k: Any) -> int:
        out = real(*a, **k)
        while actions:
            actions.pop(0)()
        return out

    monkeypatch.setattr(patcher, "_journal", journal)
    yield actions


def link_folder_away(project: Path, outside: Path) -> None:
    os.rename(project / "pkg", project / "pkg.moved")
    os.symlink(outside, project / "pkg")


def test_apply_does_not_follow_a_folder_swapped_for_a_link(project: Path, outside: Path,
                                                          swap_before_write: list[Any]) -> None:
    write(project, {"pkg/m.py": BODY})
    swap_before_write.append(lambda: link_folder_away(project, outside))
    with Store(project) as store:
        apply_suggestions(project, store, [suggestion(project, "pkg/m.py", "import os\n", "")])
    assert (outside / "m.py").read_text() == BODY
    # The change went to the file that was read, in the folder that was checked.
    assert (project / "pkg.moved/m.py").read_text() == BODY.replace("import os\n", "")


def test_apply_does_not_follow_a_file_swapped_for_a_link(project: Path, outside: Path,
                                                        swap_before_write: list[Any]) -> None:
    write(project, {"pkg/m.py": BODY})

    def swap() -> None:
        os.unlink(project / "pkg/m.py")
        os.symlink(outside / "m.py", project / "pkg/m.py")

    swap_before_write.append(swap)
    with Store(project) as store:
        result = apply_suggestions(project, store, [suggestion(project, "pkg/m.py", "import os\n", "")])
    assert not result.applied and "became a symbolic link" in result.refused[0].reason
    assert (outside / "m.py").read_text() == BODY
    assert os.readlink(project / "pkg/m.py") == str(outside / "m.py")


def test_kaizen_undo_refuses_a_path_that_now_leads_outside(project: Path, outside: Path) -> None:
    write(project, {"pkg/m.py": BODY})
    with Store(project) as store:
        assert apply_suggestions(project, store, [suggestion(project, "pkg/m.py", "import os\n", "")]).ok
    (outside / "m.py").write_text(BODY.replace("import os\n", ""))  # what undo would take back
    link_folder_away(project, outside)
    r = kaizen("undo", str(project))
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "pkg/m.py leads outside the project" in r.stderr
    assert (outside / "m.py").read_text() == BODY.replace("import os\n", "")


def test_undo_does_not_follow_a_folder_swapped_for_a_link(project: Path, outside: Path,
                                                         swap_before_write: list[Any]) -> None:
    write(project, {"pkg/m.py": BODY})
    with Store(project) as store:
        assert apply_suggestions(project, store, [suggestion(project, "pkg/m.py", "import os\n", "")]).ok
        (outside / "m.py").write_text(BODY.replace("import os\n", ""))
        swap_before_write.append(lambda: link_folder_away(project, outside))
        undo(project, store, last=1)
    assert (outside / "m.py").read_text() == BODY.replace("import os\n", "")
    assert (project / "pkg.moved/m.py").read_text() == BODY
