"""`kaizen validate --diff`: the strict diff reader, and validating any diff without touching the project.

The reader's tests round-trip real `git diff` output: the diff of the working tree, read
against the committed files, must give patches that produce the working tree's exact bytes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.inventory import decode_source, encode_source
from suggestions.validate.diffparse import DiffError, parse_diff, read_diff
from tests.conftest import write

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def git_bytes(root: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True).stdout


def init_repo(root: Path) -> Path:
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    git(root, "config", "commit.gpgsign", "false")
    git(root, "config", "core.autocrlf", "false")
    return root


def commit_all(root: Path, message: str = "base") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def round_trip(project: Path, old: dict[str, bytes], new: dict[str, bytes]) -> list[object]:
    """Commit ``old``, write ``new``, take `git diff`, put ``old`` back and read the diff:
    every patch must produce ``new``'s bytes exactly."""
    init_repo(project)
    write(project, dict(old))
    commit_all(project)
    write(project, dict(new))
    diff = git_bytes(project, "diff", "--no-color", "HEAD")
    write(project, dict(old))
    changes = read_diff(project, diff)
    for ch in changes:
        raw = old[ch.path]
        _text, enc, _fb, bom = decode_source(raw)
        assert encode_source(ch.new_text, enc, bom) == new[ch.path], ch.path
        # The patch itself, applied the way the validator applies it.
        data = decode_source(raw)[0].encode("utf-8")
        out = ch.patch.apply(data).decode("utf-8")
        assert encode_source(out, enc, bom) == new[ch.path]
    assert {c.path for c in changes} == set(new)
    return list(changes)


BASE = b"".join(b"line %d\n" % i for i in range(1, 21))


@needs_git
def test_several_hunks_give_one_edit_per_run_of_changed_lines(project: Path) -> None:
    new = BASE.replace(b"line 2\n", b"line two\n").replace(b"line 15\n", b"").replace(
        b"line 18\n", b"line 18\nadded a\nadded b\n")
    [ch] = round_trip(project, {"m.py": BASE}, {"m.py": new})
    assert ch.kind == "modify"  # type: ignore[attr-defined]
    assert len(ch.patch.edits) == 3  # type: ignore[attr-defined]
    assert (ch.added, ch.removed) == (3, 2)  # type: ignore[attr-defined]
    # No context line is part of an edit: the validator counts exactly the changed lines.
    first = ch.patch.edits[0]  # type: ignore[attr-defined]
    assert BASE[first.start:first.end] == b"line 2\n" and first.replacement == "line two\n"


@needs_git
@pytest.mark.parametrize("name, old, new", [
    ("no newline at the end, added", b"a\nb\n", b"a\nb\nc"),
    ("no newline at the end, kept", b"a\nb", b"x\nb"),
    ("no newline at the end, fixed", b"a\nb", b"a\nb\n"),
    ("CRLF file", b"a\r\nb\r\nc\r\n", b"a\r\nB\r\nc\r\n"),
    ("CRLF without a final newline", b"a\r\nb\r\nc", b"a\r\nb\r\nC"),
    ("cp1252 file", "# coding: cp1252\nname = 'caf\u00e9'\n".encode("cp1252"),
     "# coding: cp1252\nname = 'th\u00e9'\n".encode("cp1252")),
    ("undeclared latin-1 bytes", b"x = '\xe9'\ny = 1\n", b"x = '\xe9'\ny = 2\n"),
    ("BOM, first line changed", b"\xef\xbb\xbfa = 1\nb = 2\n", b"\xef\xbb\xbfa = 3\nb = 2\n"),
    ("non-ASCII UTF-8", "s = '\u00e4\u00f6\u00fc'\n".encode(), "s = '\u00e4\u00f6\u00fc\u2603'\n".encode()),
    ("everything replaced", b"a\nb\n", b"c\nd\n"),
    ("form feed and vertical tab inside lines", b"a\x0cb\nc\x0bd\n", b"a\x0cb\nc\x0bD\n"),
])
def test_round_trips_keep_the_file_bytes(project: Path, name: str, old: bytes, new: bytes) -> None:
    round_trip(project, {"m.py": old}, {"m.py": new})


@needs_git
def test_a_path_with_spaces_and_non_ascii_characters(project: Path) -> None:
    rel = "pkg dir/\u00e9t\u00e9 file.py"
    round_trip(project, {rel: b"a = 1\n"}, {rel: b"a = 2\n"})


@needs_git
def test_new_and_deleted_files_are_read_as_such(project: Path) -> None:
    init_repo(project)
    write(project, {"old.py": "x = 1\ny = 2\n", "keep.py": "k = 1\n"})
    commit_all(project)
    (project / "old.py").unlink()
    write(project, {"fresh.py": "z = 3\n"})
    git(project, "add", "-A")
    diff = git(project, "diff", "--no-renames", "HEAD")
    git(project, "reset", "-q", "--hard")
    by_path = {c.path: c for c in read_diff(project, diff)}
    assert by_path["fresh.py"].kind == "new" and by_path["fresh.py"].new_text == "z = 3\n"
    assert by_path["old.py"].kind == "delete" and by_path["old.py"].removed == 2


@needs_git
def test_a_rename_is_refused_with_the_way_around_it(project: Path) -> None:
    init_repo(project)
    write(project, {"a.py": "".join(f"v{i} = {i}\n" for i in range(20))})
    commit_all(project)
    git(project, "mv", "a.py", "b.py")
    diff = git(project, "diff", "-M", "HEAD")
    git(project, "reset", "-q", "--hard")
    with pytest.raises(DiffError, match=r"a\.py -> b\.py: the diff renames.*--no-renames"):
        read_diff(project, diff)


DIFF = """\
diff --git a/m.py b/m.py
--- a/m.py
+++ b/m.py
@@ -1,3 +1,3 @@
 a = 1
-b = 2
+b = 3
 c = 4
"""


def test_plain_diff_u_output_and_a_crlf_transported_diff_read(project: Path) -> None:
    write(project, {"m.py": "a = 1\nb = 2\nc = 4\n"})
    plain = "--- m.py.orig\t2026-01-01 10:00:00\n+++ m.py\t2026-01-01 10:00:01\n" + DIFF.split("+++ b/m.py\n", 1)[1]
    assert read_diff(project, plain)[0].new_text == "a = 1\nb = 3\nc = 4\n"
    # A diff an editor saved with CRLF line ends: the file is still LF.
    assert read_diff(project, DIFF.replace("\n", "\r\n"))[0].new_text == "a = 1\nb = 3\nc = 4\n"
    # A commit message before the diff (git format-patch) and a signature after it.
    mail = "From 123 Mon\nSubject: [PATCH] b\n\n---\n m.py | 2 +-\n\n" + DIFF + "-- \n2.43.0\n"
    assert read_diff(project, mail)[0].new_text == "a = 1\nb = 3\nc = 4\n"


@pytest.mark.parametrize("diff, message", [
    ("", "nothing to validate"),
    ("   \n\n", "nothing to validate"),
    ("hello, this is not a diff\n", "not a unified diff"),
    ("\x00\x01binary", "NUL bytes"),
    (DIFF.replace("@@ -1,3 +1,3 @@", "@@ -1,3 +1 @@"), "more lines than its header says"),
    (DIFF.replace(" c = 4\n", ""), "cut short"),
    (DIFF.replace("@@ -1,3 +1,3 @@", "@@ one @@"), "malformed hunk header"),
    (DIFF + DIFF, "changes it twice"),
    ("diff --git a/m.py b/m.py\nBinary files a/m.py and b/m.py differ\n", "binary change"),
    (DIFF + "garbage after the hunk\n", "unexpected text"),
])
def test_bad_diffs_say_what_is_wrong(project: Path, diff: str, message: str) -> None:
    write(project, {"m.py": "a = 1\nb = 2\nc = 4\n"})
    with pytest.raises(DiffError, match=message):
        read_diff(project, diff)


@pytest.mark.parametrize("content, message", [
    ("a = 1\nb = 5\nc = 4\n", r"m\.py: hunk 1 \(line 4 of the diff\) does not apply: line 2 is 'b = 5', "
                              r"the diff expects 'b = 2'"),
    ("a = 1\n", r"m\.py: hunk 1 .*does not apply: it names lines 1-3, the file has 1"),
    ("a = 1\r\nb = 2\r\nc = 4\r\n", "does not apply"),  # the file went CRLF since
    ("a = 1\nb = 3\nc = 4\n", r"m\.py: the diff is applied to it already .*without --diff"),
])
def test_context_that_does_not_match_names_file_and_hunk(project: Path, content: str, message: str) -> None:
    write(project, {"m.py": content.encode()})
    with pytest.raises(DiffError, match=message):
        read_diff(project, DIFF)


@pytest.mark.parametrize("path, message", [
    ("../outside.py", "outside the project"),
    ("/etc/passwd", "outside the project"),
    ("missing.py", r"missing\.py: no such file in the project"),
    (".git/config", "not a project file"),
])
def test_paths_outside_or_missing_are_refused(project: Path, path: str, message: str) -> None:
    write(project, {".git/config": "a = 1\nb = 2\nc = 4\n"})
    diff = DIFF.replace("a/m.py", f"a/{path}").replace("b/m.py", f"b/{path}")
    if path.startswith("/"):
        diff = diff.replace(f"a/{path}", path).replace(f"b/{path}", path)
    with pytest.raises(DiffError, match=message):
        read_diff(project, diff)


def test_a_symlink_out_of_the_project_is_outside(project: Path, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    write(tmp_path / "elsewhere", {"m.py": "a = 1\nb = 2\nc = 4\n"})
    (project / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(DiffError, match="outside the project"):
        read_diff(project, DIFF.replace("/m.py", "/link/m.py"))


def test_parse_only_reads_the_sections() -> None:
    [fd] = parse_diff(DIFF)
    assert (fd.old_path, fd.new_path, fd.kind) == ("m.py", "m.py", "modify")
    [h] = fd.hunks
    assert (h.old_start, h.old_count, h.new_start, h.new_count) == (1, 3, 1, 3)
    assert [t for t, _c in h.lines] == [" ", "-", "+", " "]


# --- kaizen validate, the way a user runs it ----------------------------------------------------

MAIN = Path(__file__).resolve().parent.parent / "main.py"

OPS = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n\n\ndef unused(x):\n    return x + 1\n"
PROJECT = {
    "calc/__init__.py": "",
    "calc/ops.py": OPS,
    "tests/__init__.py": "",
    "tests/test_ops.py": ("from calc.ops import add, mul\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
                          "    assert add(-1, 1) == 0\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n"),
    "kaizen.toml": "[validation]\ntimeout = 120\n",
}


def kaizen(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(Path(cwd or MAIN.parent).parent))
    out = subprocess.run([sys.executable, str(MAIN), *args], input=stdin, capture_output=True, timeout=600,
                         cwd=cwd or MAIN.parent, env=env)
    return subprocess.CompletedProcess(out.args, out.returncode, out.stdout.decode(), out.stderr.decode())


@pytest.fixture
def calc(project: Path) -> Path:
    write(project, PROJECT)
    init_repo(project)
    commit_all(project)
    return project


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and mtime, Kaizen's own state aside (the git index included: `git
    diff` must not refresh it)."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and not rel.startswith(".kaizen/") and not (rel.startswith(".git/") and rel != ".git/index"):
            out[rel] = (p.read_bytes(), p.stat().st_mtime_ns)
    return out


def edit(root: Path, old: str, new: str) -> None:
    path = root / "calc" / "ops.py"
    path.write_text(path.read_text().replace(old, new))


@needs_git
@pytest.mark.slow
def test_a_correct_covered_change_in_the_working_tree_is_proven_and_nothing_is_touched(calc: Path) -> None:
    edit(calc, "return a + b", "return b + a")
    before = snapshot(calc)
    out = kaizen("validate", str(calc), "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    assert snapshot(calc) == before  # the working tree and the index, byte for byte and mtime
    data = json.loads(out.stdout)
    assert data["source"].startswith("the working tree's uncommitted changes")
    assert data["files"] == [{"path": "calc/ops.py", "kind": "modify", "added": 1, "removed": 1}]
    assert data["grade"] == "proven" and data["ok"] is True
    st = data["validation"]["strength"]
    assert st["grade"] == "proven"
    assert st["changed_lines"] == [2] and st["changed_lines_run"] == [2]
    assert st["mutants"] >= 1 and st["mutants_killed"] == st["mutants"]
    for key in ("replayed", "mismatches"):
        assert isinstance(st[key], int)
    assert data["validation"]["status"] == "passed"
    assert any("1 of 1 changed line ran in" in w for w in data["evidence"])


@needs_git
@pytest.mark.slow
def test_a_breaking_diff_on_stdin_fails_with_exit_1(calc: Path) -> None:
    edit(calc, "return a * b", "return a + b")
    diff = git_bytes(calc, "diff")
    git(calc, "checkout", "-q", "--", "calc/ops.py")  # another tool's patch, not applied yet
    before = snapshot(calc)
    out = kaizen("validate", str(calc), "--diff", "-", stdin=diff)
    assert out.returncode == 1, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "validated the diff given: 1 file (calc/ops.py), +1 -1 lines"
    assert lines[1] == "failed"
    assert "failed: tests/test_ops.py::test_mul" in out.stdout
    assert snapshot(calc) == before


@needs_git
@pytest.mark.slow
def test_a_change_no_test_runs_is_unverified_with_exit_1(calc: Path, tmp_path: Path) -> None:
    edit(calc, "return x + 1", "return x + 2")
    (tmp_path / "change.diff").write_bytes(git_bytes(calc, "diff"))
    git(calc, "checkout", "-q", "--", "calc/ops.py")
    out = kaizen("validate", str(calc), "--diff", str(tmp_path / "change.diff"), "--json")
    assert out.returncode == 1, out.stdout + out.stderr
    data = json.loads(out.stdout)
    assert data["grade"] == "unverified" and data["validation"]["status"] == "unverified"
    assert data["validation"]["strength"]["changed_lines_run"] == []
    assert data["evidence"][0] == "none of the 1 changed line ran in any test"


@needs_git
def test_bad_input_exits_2_with_one_line(calc: Path, tmp_path: Path) -> None:
    stale = DIFF.replace("m.py", "calc/ops.py").replace("a = 1", "def add(a, b):").replace(
        "b = 2", "    return a - b").replace("b = 3", "    return 0").replace(" c = 4", " ")
    cases = [
        (("--diff", "-"), b"this is not a diff\n", "not a unified diff"),
        (("--diff", "-"), b"", "nothing to validate"),
        (("--diff", "-"), b"\x00\x01\x02", "NUL bytes"),
        (("--diff", "-"), stale.encode(), "calc/ops.py: hunk 1 (line 4 of the diff) does not apply: line 2"),
        (("--diff", "-"), DIFF.replace("m.py", "../x.py").encode(), "../x.py: outside the project"),
        (("--diff", "-"), DIFF.replace("m.py", "nope.py").encode(), "nope.py: no such file in the project"),
        (("--diff", str(tmp_path / "missing.diff")), None, "missing.diff: no such file"),
        ((), None, "nothing to validate: the working tree has no uncommitted changes"),
        (("abcd1234", "--diff", "-"), b"", "give suggestion IDs or --diff, not both"),
    ]
    before = snapshot(calc)
    for args, stdin, message in cases:
        out = kaizen("validate", str(calc), *args, stdin=stdin)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert message in out.stderr, (args, out.stderr)
        assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert snapshot(calc) == before


def test_a_folder_that_is_not_a_git_repository_says_how_to_give_a_diff(project: Path) -> None:
    write(project, PROJECT)
    out = kaizen("validate", str(project))
    assert out.returncode == 2
    assert "is not in a git repository: give the change as a diff with --diff FILE" in out.stderr


# --- the evidence in every output: --json, SARIF, the audit log ---------------------------------


def strong_suggestion(root: Path) -> object:
    from suggestions.model import Grade, Strength, Validation, ValidationStatus
    from tests.validation_project import suggestion

    s = suggestion(root, "calc/ops.py", "return a + b", "return b + a")
    st = Strength(grade=Grade.PROVEN, changed_lines=(2,), changed_lines_run=(2,), covering_tests=("t::a",),
                  mutants=4, mutants_killed=3, survivors=("line 2 `+` → `-`",), replayed=7, mismatches=0)
    assert s.patch is not None
    v = Validation(ValidationStatus.PASSED, tests_run=("t::a",), at=1.0, base_hash=s.patch.base_hash, strength=st)
    return s.replace(validation=v)


def test_json_and_sarif_carry_the_grade_and_counts(calc: Path) -> None:
    from suggestions.report import to_json, to_sarif
    from suggestions.store import Store

    s = strong_suggestion(calc)
    [item] = json.loads(to_json([s]))  # type: ignore[list-item]
    st = item["validation"]["strength"]
    assert (st["grade"], st["changed_lines"], st["changed_lines_run"], st["mutants"], st["mutants_killed"],
            st["replayed"], st["mismatches"]) == ("proven", [2], [2], 4, 3, 7, 0)
    props = json.loads(to_sarif([s]))["runs"][0]["results"][0]["properties"]  # type: ignore[list-item]
    assert props["validation"] == "passed" and props["grade"] == "proven"
    assert {k: props["strength"][k] for k in ("changed_lines", "changed_lines_run", "mutants", "mutants_killed",
                                               "replayed", "mismatches")} == {
        "changed_lines": 1, "changed_lines_run": 1, "mutants": 4, "mutants_killed": 3, "replayed": 7, "mismatches": 0}
    # `kaizen show --json` and `kaizen suggest --json` of a stored finding say the same.
    write(calc, {"calc/core.py": "def f(x):\n    return x == None\n"})
    found = json.loads(kaizen("scan", str(calc), "--format", "json").stdout)
    fid = next(f["id"] for f in found if f["path"] == "calc/core.py" and f["diff"])
    store = Store(calc)
    stored = next(x for x in store.suggestions() if x.id == fid)
    assert stored.patch is not None
    store.put_suggestions([stored.replace(validation=dataclasses.replace(
        s.validation, base_hash=stored.patch.base_hash))])  # type: ignore[attr-defined]
    store.close()
    out = kaizen("show", str(calc), fid, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["validation"]["strength"]["grade"] == "proven"
    text = kaizen("show", str(calc), fid).stdout  # the evidence in words, as in the details pane
    assert "grade: proven" in text
    assert "evidence: 1 of 1 changed line ran in 1 test" in text and "3 of 4 mutants" in text
    listed = json.loads(kaizen("suggest", str(calc), "--json", "--limit", "0").stdout)
    assert next(x for x in listed if x["id"] == fid)["validation"]["strength"]["mutants_killed"] == 3


def test_every_audit_entry_records_grade_and_counts_and_the_log_verifies(calc: Path) -> None:
    from suggestions.apply.audit import AuditLog
    from suggestions.project.actions import Project

    s = strong_suggestion(calc)
    with Project(calc, open_service=False) as project:
        project.store.put_suggestions([s])  # type: ignore[list-item]
        assert project.accept([s]).ok  # type: ignore[list-item]
        project.undo(last=1)
        entries = AuditLog(project.store).entries()
    applied = next(e for e in entries if e.action == "apply")
    assert applied.validation["grade"] == "proven"
    assert applied.validation["counts"] == {
        "changed_lines": 1, "changed_lines_run": 1, "covering_tests": 1, "mutants": 4, "mutants_killed": 3,
        "replayed": 7, "mismatches": 0, "speedup_pairs": 0, "speedup_median": None, "speedup_low": None,
        "speedup_high": None, "touches_tests": []}
    out = kaizen("audit", str(calc), "--verify")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "chain intact" in out.stdout
    md = kaizen("audit", str(calc), "--export", "md").stdout
    assert "grade **proven**; 1 of 1 changed line(s) ran; 3 of 4 mutant(s) killed; 7 call(s) replayed" in md


@needs_git
@pytest.mark.slow
def test_new_files_in_the_working_tree_are_validated_and_a_test_change_is_flagged(calc: Path) -> None:
    write(calc, {"calc/extra.py": "def triple(x):\n    return x * 3\n",
                 "tests/test_extra.py": "from calc.extra import triple\n\n\ndef test_triple():\n    assert triple(2) == 6\n"})
    git(calc, "add", "calc/extra.py", "tests/test_extra.py")
    before = snapshot(calc)
    out = kaizen("validate", str(calc), "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    data = json.loads(out.stdout)
    assert [(f["path"], f["kind"]) for f in data["files"]] == [("calc/extra.py", "new"), ("tests/test_extra.py", "new")]
    assert data["grade"] == "passed"  # a change to the tests is never proven
    assert data["validation"]["strength"]["touches_tests"]
    assert "tests/test_extra.py::test_triple" in data["validation"]["tests_run"]
    assert any(w.startswith("touches the tests:") for w in data["evidence"])
    assert snapshot(calc) == before


def test_grade_summary_counts_grades_strongest_first() -> None:
    from suggestions.model import Grade, Strength, Validation, ValidationStatus
    from suggestions.report import grade_summary

    vs = [Validation(ValidationStatus.PASSED, strength=Strength(grade=Grade.PROVEN)),
          Validation(ValidationStatus.UNVERIFIED, strength=Strength(grade=Grade.UNVERIFIED)),
          Validation(ValidationStatus.PASSED),  # from before grades: passed, never proven
          Validation(ValidationStatus.FAILED), Validation(ValidationStatus.ERROR)]
    assert grade_summary(vs) == "1 proven, 1 passed, 1 unverified, 1 failed, 1 error"
    assert grade_summary([Validation(ValidationStatus.SKIPPED)]) == "1 skipped"
    assert grade_summary([]) == "nothing to validate"
