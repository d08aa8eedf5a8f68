"""``kaizen apply PATH --all-safe``: safe fixes applied in rounds until none is left, as one
audited batch that one undo takes back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from main import main
from suggestions.apply.audit import AuditLog
from suggestions.model import Applicability
from suggestions.project.actions import Project
from suggestions.project.converge import safe_round
from suggestions.store import Store
from tests.conftest import write

# Two safe fixes on overlapping text (KZ403 rewrites the whole `if`, KZ406 the `dict()` in
# it) and two that stand alone: one round cannot take both of the first two.
SOURCE = (
    "import os\n"
    "\n"
    "\n"
    "def f(x):\n"
    "    if x in dict():\n"
    "        return True\n"
    "    else:\n"
    "        return False\n"
    "\n"
    "\n"
    "def g():\n"
    "    return list()\n"
)
OTHER = "import sys\n\n\ndef h():\n    return dict()\n"


def _safe_left(root: Path, path: str | None = None) -> list[str]:
    with Project(root) as project:
        return [s.code for s in safe_round(project.listing(), path)]


def test_all_safe_converges_in_rounds_as_one_batch_and_one_undo(project: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    write(project, {"app/a.py": SOURCE, "app/b.py": OTHER})
    before = {p: (project / p).read_bytes() for p in ("app/a.py", "app/b.py")}
    assert main(["apply", str(project), "--all-safe", "--json"]) == 0  # overlaps are no failure
    done = json.loads(capsys.readouterr().out)
    assert done["rounds"] >= 2 and not done["bound_hit"] and not done["refused"]
    codes = sorted(a["code"] for a in done["applied"])
    assert codes.count("KZ108") == 2 and "KZ403" in codes and codes.count("KZ406") >= 2
    text = (project / "app/a.py").read_text()
    assert "return x in {}" in text and "import os" not in text and "if " not in text
    compile(text, "a.py", "exec")
    assert _safe_left(project) == []  # converged: a re-scan finds no safe fix left
    # One batch in the log, undone as one.
    with Store(project) as st:
        entries = [e for e in AuditLog(st).entries() if e.action == "apply"]
    assert len(entries) == len(done["applied"]) and len({e.batch for e in entries}) == 1
    assert main(["undo", str(project)]) == 0
    out = capsys.readouterr().out
    assert out.count("undid #") == len(entries)
    assert {p: (project / p).read_bytes() for p in before} == before


def test_all_safe_of_one_file_and_the_round_bound(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project, {"app/a.py": SOURCE, "app/b.py": OTHER})
    assert main(["apply", str(project), "--all-safe", "--file", str(project / "app/b.py")]) == 0
    out = capsys.readouterr().out
    assert "in app/b.py in 1 round(s)" in out
    assert (project / "app/a.py").read_text() == SOURCE
    b = (project / "app/b.py").read_text()
    assert "dict()" not in b and "import sys" not in b and "return {}" in b
    with Project(project) as p:
        one = p.apply_all_safe("app/a.py", rounds=1)
    assert one.rounds == 1 and one.bound_hit  # the overlapping fix waits for a round not given
    assert _safe_left(project, "app/a.py")
    assert main(["apply", str(project), "--all-safe", "--file", "app/a.py"]) == 0
    assert _safe_left(project) == []
    capsys.readouterr()
    assert main(["apply", str(project), "--all-safe"]) == 0
    assert "no safe fix to apply" in capsys.readouterr().out
    # The earlier runs are separate batches: undo takes back the latest only.
    assert main(["undo", str(project)]) == 0
    assert "dict()" not in (project / "app/b.py").read_text()


def test_all_safe_skips_failed_validation_and_unsafe_and_bad_arguments(project: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    write(project, {"app/a.py": "def f(x):\n    if x == None:\n        return 1\n    return 2\n"})
    with Project(project) as p:
        listed = p.listing()
        assert listed and all(s.applicability is not Applicability.SAFE for s in listed)
        assert p.apply_all_safe().applied == []
    assert main(["apply", str(project), "abcd", "--all-safe"]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["apply", str(project), "--file", "app/a.py"]) == 2
    assert main(["apply", str(project), "--all-safe", "--file", "nope.py"]) == 2
    assert "no file nope.py" in capsys.readouterr().err
