"""ProjectService on a real observer and a real folder: after every scenario the store holds
exactly what a cold scan of the same tree produces (files, skipped files, suggestions by
fingerprint). Waits are on conditions over the published events, never on sleeps."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from watchdog.observers import Observer

from analysis.config import load_config
from suggestions.analyze.scan import scan_project
from suggestions.model import Decision, DecisionAction
from suggestions.project.service import EventKind, ProjectService, ServiceEvent
from tests.conftest import ROOT, write

TIMEOUT = 30.0  # an upper bound for a shared machine; waits end as soon as the condition holds

MODULE = '''\
import os
import sys


def collect(items=[]):
    if items == None:
        return []
    return items
'''

FILES = {
    "app/__init__.py": "",
    "app/core.py": MODULE,
    "app/util.py": "import json\n\n\ndef f(x):\n    if x == None:\n        return 1\n    return x\n",
    "app/sub/deep.py": "def g(a={}):\n    return a\n",
    "main.py": "import os\n\nprint('hi')\n",
    "README.md": "# readme\n",
}


def cold_state(root: Path) -> tuple[Any, ...]:
    """What a cold scan of the tree says: file records, skipped files, suggestions."""
    result = scan_project(root, load_config(root), jobs=1)
    files = sorted(tuple(f.record) for f in result.files if f.record)
    return files, dict(sorted(result.skipped.items())), {s.fingerprint: s.to_dict() for s in result.suggestions}


def store_state(svc: ProjectService) -> tuple[Any, ...]:
    files = sorted(r.row() for r in svc.store.files())
    sugg = {s.fingerprint: s.to_dict() for s in svc.store.suggestions()}
    return files, svc.store.skipped(), sugg


def memory_state(svc: ProjectService) -> tuple[Any, ...]:
    files = sorted(r.row() for r in svc.files().values())
    sugg = {s.fingerprint: s.to_dict() for s in svc.suggestions(include_rejected=True)}
    return files, dict(sorted(svc.skipped().items())), sugg


class Recorder:
    def __init__(self) -> None:
        self.events: list[ServiceEvent] = []
        self.cond = threading.Condition()

    def __call__(self, event: ServiceEvent) -> None:
        with self.cond:
            self.events.append(event)
            self.cond.notify_all()

    def clear(self) -> None:
        with self.cond:
            self.events.clear()

    def wait(self, predicate: Callable[[], bool], what: str) -> None:
        with self.cond:
            ok = self.cond.wait_for(predicate, TIMEOUT)
        assert ok, f"timed out waiting for {what}; events: {[(e.kind, e.message) for e in self.events]}"

    def of(self, kind: EventKind) -> list[ServiceEvent]:
        with self.cond:
            return [e for e in self.events if e.kind is kind]

    def changed_paths(self) -> set[str]:
        return {p for e in self.of(EventKind.CHANGED) for p in (*e.files_changed, *e.files_removed, *e.files_skipped)}


def converge(svc: ProjectService, rec: Recorder) -> None:
    """Wait until the service's store equals a cold scan of the (now still) tree; assert it."""
    expected = cold_state(svc.root)
    with rec.cond:
        rec.cond.wait_for(lambda: store_state(svc) == expected, TIMEOUT)
    got = store_state(svc)
    assert got[0] == expected[0], "file records differ from a cold scan"
    assert got[1] == expected[1], "skipped files differ from a cold scan"
    assert set(got[2]) == set(expected[2]), "suggestion fingerprints differ from a cold scan"
    assert got == expected
    assert memory_state(svc) == expected, "the service's memory differs from its store"


@pytest.fixture
def live(project: Path):
    write(project, FILES)
    svc = ProjectService(project, jobs=1)
    rec = Recorder()
    svc.subscribe(rec)
    svc.open()
    assert svc.start_watching(quiet=0.03) == "native"
    converge(svc, rec)
    yield project, svc, rec
    svc.close()


def fp_of(svc: ProjectService, code: str, path: str) -> str:
    hits = [s for s in svc.suggestions(path) if s.code == code]
    assert len(hits) == 1, hits
    return hits[0].fingerprint


# --- save styles -------------------------------------------------------------------------------


def test_in_place_save_moves_suggestion_keeping_identity_and_decisions(live):
    root, svc, rec = live
    target = fp_of(svc, "KZ101", "app/core.py")
    line_before = svc.suggestion(target).line
    rejected = fp_of(svc, "KZ103", "app/core.py")
    svc.store.add_decision(Decision(rejected, DecisionAction.REJECT, "user", time.time(), "noise"))
    svc.store.add_decision(Decision(target, DecisionAction.ACCEPT, "user", time.time()))
    rec.clear()
    (root / "app/core.py").write_text("# a comment\n# another\n" + MODULE, encoding="utf-8")
    rec.wait(lambda: any(target in e.previous for e in rec.of(EventKind.CHANGED)), "the moved suggestion")
    event = next(e for e in rec.of(EventKind.CHANGED) if target in e.previous)
    moved = {s.fingerprint: old_line for s, old_line in event.moved}
    assert moved[target] == line_before
    assert svc.suggestion(target).line == line_before + 2
    assert not event.added and not event.removed
    # The rejected one moved too, but stays hidden: no event, not listed.
    assert all(s.fingerprint != rejected for e in rec.events for s in (*e.added, *e.updated))
    assert rejected not in {s.fingerprint for s in svc.suggestions()}
    assert [d.action for d in svc.store.decisions(target)] == [DecisionAction.ACCEPT]
    assert event.latency is not None and event.latency > 0
    converge(svc, rec)


def test_atomic_save(live):
    root, svc, rec = live
    tmp = root / "app" / ".core.py.tmp"
    tmp.write_text(MODULE.replace("import sys\n", ""), encoding="utf-8")
    os.replace(tmp, root / "app/core.py")  # a `moved` event, no `modified`
    rec.wait(lambda: "app/core.py" in rec.changed_paths(), "the atomic save")
    removed = [s for e in rec.of(EventKind.CHANGED) for s in e.removed]
    assert [s.code for s in removed] == ["KZ108"]
    converge(svc, rec)


def test_vim_style_save(live):
    root, svc, rec = live
    p = root / "app/util.py"
    os.rename(p, root / "app/util.py~")
    (root / "app/4913").write_text("", encoding="utf-8")
    os.unlink(root / "app/4913")
    (root / "app/.util.py.swp").write_bytes(b"\0swap")
    p.write_text("import json\n\n\ndef f(x):\n    return json.dumps(x)\n", encoding="utf-8")
    os.unlink(root / "app/util.py~")
    os.unlink(root / "app/.util.py.swp")
    rec.wait(lambda: "app/util.py" in rec.changed_paths(), "the vim save")
    converge(svc, rec)
    assert not any("~" in p or "swp" in p or "4913" in p for p in rec.changed_paths())


@pytest.mark.slow
def test_two_thousand_file_burst(live):
    root, svc, rec = live
    for i in range(2000):
        p = root / f"gen/m{i // 100}/f{i}.py"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"def f{i}(a=[]):\n    return a\n", encoding="utf-8")
    rec.wait(lambda: len(svc.files()) >= 2005, "all files analysed")
    converge(svc, rec)
    batches = [e for e in rec.of(EventKind.CHANGED) if any(p.startswith("gen/") for p in e.files_changed)]
    assert 1 <= len(batches) <= 40, [len(e.files_changed) for e in batches]
    assert sum(len(e.added) for e in batches) == 2000


def test_directory_rename(live):
    root, svc, rec = live
    os.rename(root / "app", root / "lib")
    rec.wait(lambda: "lib/core.py" in svc.files() and "app/core.py" not in svc.files(), "the rename")
    converge(svc, rec)


def test_delete_file_and_folder_moved_out(live, tmp_path: Path):
    root, svc, rec = live
    (root / "main.py").unlink()
    rec.wait(lambda: "main.py" in rec.changed_paths(), "the delete")
    shutil.move(str(root / "app/sub"), str(tmp_path / "gone"))  # no per-file events
    rec.wait(lambda: any("app/sub" in e.folders_removed for e in rec.of(EventKind.CHANGED)), "the folder")
    converge(svc, rec)
    shutil.rmtree(root / "app")
    rec.wait(lambda: not any(p.startswith("app/") for p in svc.files()), "the rmtree")
    converge(svc, rec)


def test_file_replaced_by_directory(live):
    root, svc, rec = live
    (root / "main.py").unlink()
    (root / "main.py").mkdir()
    (root / "main.py/inner.py").write_text("def h(b=[]):\n    return b\n", encoding="utf-8")
    rec.wait(lambda: "main.py/inner.py" in svc.files() and "main.py" not in svc.files(), "the swap")
    converge(svc, rec)


def test_gitignored_file_and_gitignore_changes(live):
    root, svc, rec = live
    (root / ".gitignore").write_text("generated/\n", encoding="utf-8")
    write(root, {"generated/g.py": "import os\n", "app/new.py": "import sys\n"})
    rec.wait(lambda: "app/new.py" in svc.files(), "the new file")
    converge(svc, rec)
    assert "generated/g.py" not in svc.files()
    # Ignoring a tracked file removes it; un-ignoring brings the other back.
    (root / ".gitignore").write_text("app/util.py\n", encoding="utf-8")
    rec.wait(lambda: "app/util.py" not in svc.files() and "generated/g.py" in svc.files(), ".gitignore change")
    converge(svc, rec)


def test_file_becomes_binary_then_too_large(live):
    root, svc, rec = live
    (root / "main.py").write_bytes(b"\x00\x01binary")
    rec.wait(lambda: any("main.py" in e.files_skipped for e in rec.of(EventKind.CHANGED)), "skipped event")
    event = next(e for e in rec.of(EventKind.CHANGED) if "main.py" in e.files_skipped)
    assert event.files_skipped["main.py"] == "binary file"
    assert [s.code for s in event.removed] == ["KZ108"]
    converge(svc, rec)


def test_config_reload_and_broken_config(live):
    root, svc, rec = live
    (root / "kaizen.toml").write_text('ignore = ["KZ101"]\n', encoding="utf-8")
    rec.wait(lambda: not any(s.code == "KZ101" for s in svc.suggestions()), "KZ101 gone after reload")
    assert any(e.level == "info" for e in rec.of(EventKind.CONFIG))
    converge(svc, rec)
    (root / "kaizen.toml").write_text('ignore = ["KZ101"\n', encoding="utf-8")  # broken TOML
    rec.wait(lambda: any(e.level == "error" for e in rec.of(EventKind.CONFIG)), "the config error")
    error = next(e for e in rec.of(EventKind.CONFIG) if e.level == "error")
    assert "kaizen.toml" in error.message and "last good" in error.message
    assert svc.config.get("ignore") == ["KZ101"]
    # Analysis goes on with the last good settings.
    (root / "app/sub/deep.py").write_text("import os\n\n\ndef g(a={}):\n    return a\n", encoding="utf-8")
    rec.wait(lambda: any(s.code == "KZ108" for s in svc.suggestions("app/sub/deep.py")), "analysis goes on")
    assert not any(s.code == "KZ101" for s in svc.suggestions())


def test_after_batch_hooks_and_unsubscribe(live):
    root, svc, rec = live
    hook = Recorder()
    svc.after_batch.append(hook)
    extra = Recorder()
    unsubscribe = svc.subscribe(extra)
    unsubscribe()
    (root / "main.py").write_text("print('hi')\n", encoding="utf-8")
    rec.wait(lambda: "main.py" in rec.changed_paths(), "the change")
    # Hooks run after subscribers, once the batch is stored: they see it in the store.
    hook.wait(lambda: bool(hook.events), "the after_batch hook")
    assert hook.events[-1].kind is EventKind.CHANGED
    assert "main.py" in svc.store.file_hashes()
    assert extra.events == []


def test_root_deleted(live):
    root, svc, rec = live
    shutil.rmtree(root)
    rec.wait(lambda: bool(rec.of(EventKind.ROOT_LOST)), "root lost")
    assert "deleted" in rec.of(EventKind.ROOT_LOST)[0].message
    assert svc.watching == ""


class ExhaustedInotify(type(Observer())):  # type: ignore[misc]
    def start(self) -> None:
        raise OSError(errno.ENOSPC, "inotify watch limit reached")


def test_polling_fallback_keeps_the_store_equal(project: Path):
    write(project, FILES)
    rec = Recorder()
    with ProjectService(project, jobs=1) as svc:
        svc.subscribe(rec)
        assert svc.start_watching(native_observer=ExhaustedInotify, poll_interval=0.1) == "polling"
        statuses = [e.message for e in rec.of(EventKind.STATUS)]
        assert sum("max_user_watches" in m for m in statuses) == 1  # the fallback, said once
        (project / "app/core.py").write_text("x = 1\n", encoding="utf-8")
        rec.wait(lambda: "app/core.py" in rec.changed_paths(), "the change, by polling")
        converge(svc, rec)


# --- warm start ---------------------------------------------------------------------------------


def test_warm_start_reanalyses_only_changed_files(project: Path):
    write(project, FILES)
    write(project, {f"many/m{i}.py": f"def f(a=[]):\n    return a + [{i}]\n" for i in range(30)})
    with ProjectService(project, jobs=1) as svc:
        first = svc.open()
    assert first.cold and first.analysed == 35
    # Between two runs: one edit, one new file, one delete, one touch (same content).
    (project / "app/util.py").write_text("def f(x):\n    return x\n", encoding="utf-8")
    write(project, {"added.py": "import os\n"})
    (project / "main.py").unlink()
    touched = project / "many/m1.py"
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 5_000_000_000))
    rec = Recorder()
    with ProjectService(project, jobs=1) as svc:
        svc.subscribe(rec)
        stats = svc.open()
        assert not stats.cold
        assert (stats.analysed, stats.removed, stats.hashed) == (2, 1, 1)
        assert stats.reused == stats.files - 2 == 33
        assert svc.analysed_count == 2
        opened = rec.of(EventKind.OPENED)[0]
        assert opened.stats["analysed"] == 2
        converge(svc, rec)


def test_warm_start_after_settings_change_is_cold(project: Path):
    write(project, FILES)
    with ProjectService(project, jobs=1) as svc:
        svc.open()
    write(project, {"kaizen.toml": 'ignore = ["KZ108"]\n'})
    with ProjectService(project, jobs=1) as svc:
        stats = svc.open()
        assert stats.cold and stats.analysed == stats.files
        assert not any(s.code == "KZ108" for s in svc.suggestions())
        converge(svc, Recorder())


def test_handle_paths_without_watching(project: Path):
    write(project, FILES)
    with ProjectService(project, jobs=1) as svc:
        svc.open()
        (project / "app/sub/deep.py").write_text("def g(a):\n    return a\n", encoding="utf-8")
        event = svc.handle_paths([project / "app/sub/deep.py"])
        assert event is not None and [s.code for s in event.removed] == ["KZ101"]
        assert svc.handle_paths(["app/sub/deep.py"]) is None  # nothing changed since
        assert svc.analysed_count == len(FILES) - 1 + 1
        converge(svc, Recorder())


# --- the command line ---------------------------------------------------------------------------


class _Lines:
    """The lines a process prints, read on threads (both pipes, so neither fills up), with
    waits that end on a matching line or with what was seen, never on a blocked read."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.out: list[str] = []
        self.err: list[str] = []
        self.cond = threading.Condition()
        self.closed = 0
        for pipe, sink in ((proc.stdout, self.out), (proc.stderr, self.err)):
            threading.Thread(target=self._pump, args=(pipe, sink), daemon=True).start()

    def _pump(self, pipe: Any, sink: list[str]) -> None:
        for line in pipe:
            with self.cond:
                sink.append(line)
                self.cond.notify_all()
        with self.cond:
            self.closed += 1
            self.cond.notify_all()

    def until(self, predicate: Callable[[str], bool]) -> str:
        """The first line on stdout that matches (earlier ones are looked at again)."""
        with self.cond:
            self.cond.wait_for(lambda: any(map(predicate, self.out)) or self.closed == 2, TIMEOUT)
            line = next(filter(predicate, self.out), None)
        assert line is not None, f"not seen in {TIMEOUT:g} s (exit {self.proc.poll()}): {self.out} {self.err}"
        return line

    def json_until(self, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        obj: dict[str, Any] = json.loads(self.until(lambda line: predicate(json.loads(line))))
        return obj


@pytest.mark.e2e
def test_watch_command_json_and_ctrl_c(project: Path):
    write(project, FILES)
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "watch", str(project), "--json"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        lines = _Lines(proc)
        lines.json_until(lambda o: o["event"] == "status" and "watching" in o["message"])
        (project / "main.py").write_text("import os\nimport sys\n\nprint('hi')\n", encoding="utf-8")
        # The watcher may see the file half written first (truncated, then written): wait for
        # the finding of the final content, whatever came before it.
        added = lines.json_until(lambda o: o["event"] == "added" and o["path"] == "main.py" and o["line"] == 2)
        assert added["code"] == "KZ108"
        assert {"id", "fingerprint", "diff", "validation", "score"} <= set(added)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(TIMEOUT) == 0, lines.err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.e2e
def test_watch_command_project_folder_deleted(project: Path):
    write(project, FILES)
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "watch", str(project)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        lines = _Lines(proc)
        lines.until(lambda line: line.startswith("kaizen: watching"))
        shutil.rmtree(project)
        assert proc.wait(TIMEOUT) == 2
        with lines.cond:
            lines.cond.wait_for(lambda: lines.closed == 2, TIMEOUT)
            assert "was deleted" in "".join(lines.err)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --- cross-file duplicates (the KZ705 project pass) -------------------------------------------

DUPLICATED = '''\
def {name}(records, limit):
    total = 0
    seen = set()
    for record in records:
        if record.key in seen or record.size > limit:
            continue
        seen.add(record.key)
        total += record.size * record.weight + record.offset
        if total > limit * 2:
            raise ValueError("too large: %d > %d" % (total, limit))
    return {{"total": total, "count": len(seen), "limit": limit}}
'''


def _cross(svc: ProjectService, path: str) -> list[Any]:
    return [s for s in svc.suggestions(path) if s.code == "KZ705"]


def test_cross_file_duplicates_follow_edits(live):
    root, svc, rec = live
    write(root, {"dup/one.py": DUPLICATED.format(name="first"), "dup/two.py": DUPLICATED.format(name="second")})
    rec.wait(lambda: bool(_cross(svc, "dup/one.py")) and bool(_cross(svc, "dup/two.py")), "KZ705 both ways")
    converge(svc, rec)
    assert _cross(svc, "dup/one.py")[0].evidence["copies"][0]["path"] == "dup/two.py"
    # Breaking the copy in one file clears the finding in the *other*, unchanged file too.
    (root / "dup/two.py").write_text("def second():\n    return 2\n", encoding="utf-8")
    rec.wait(lambda: not _cross(svc, "dup/one.py"), "KZ705 gone from the unchanged file")
    converge(svc, rec)
    # A third copy appears: both old files learn about it.
    write(root, {"dup/three.py": DUPLICATED.format(name="third")})
    rec.wait(lambda: bool(_cross(svc, "dup/one.py")), "KZ705 back")
    converge(svc, rec)


def test_warm_start_joins_changed_files_with_unchanged_ones(project: Path):
    write(project, FILES)
    write(project, {"dup/one.py": DUPLICATED.format(name="first"), "dup/two.py": "x = 1\n"})
    with ProjectService(project, jobs=1) as svc:
        svc.open()
        assert not _cross(svc, "dup/one.py")
    write(project, {"dup/two.py": DUPLICATED.format(name="second")})
    with ProjectService(project, jobs=1) as svc:
        stats = svc.open()
        assert stats.analysed == 1
        assert _cross(svc, "dup/one.py"), "the unchanged file learns about its new copy"
        converge(svc, Recorder())


def test_overflow_batch_reconciles_everything(project: Path):
    from analysis.watcher import Batch

    write(project, FILES)
    with ProjectService(project, jobs=1) as svc:
        svc.open()  # not watching: the changes below produce no events at all
        (project / "app/util.py").write_text("def f(x):\n    return x\n", encoding="utf-8")
        (project / "main.py").unlink()
        write(project, {"extra/new.py": "import os\n"})
        event = svc.handle_batch(Batch(overflow=True, events=1, first_event=time.monotonic()))
        assert event is not None
        assert set(event.files_changed) == {"app/util.py", "extra/new.py"}
        assert event.files_removed == ("main.py",)
        converge(svc, Recorder())


@pytest.mark.slow
def test_git_branch_switch(live):
    """A real `git checkout` rewrites, adds and deletes hundreds of files at once."""
    root, svc, rec = live
    if shutil.which("git") is None:
        pytest.skip("git is not installed")

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=k", "-c", "user.email=k@k", *args], cwd=root,
                       check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    write(root, {f"pkg/a{i}.py": f"def a{i}(x=[]):\n    return x\n" for i in range(400)})
    git("add", "-A")
    git("commit", "-qm", "main")
    git("checkout", "-qb", "topic")
    for i in range(0, 400, 2):
        (root / f"pkg/a{i}.py").unlink()
    write(root, {f"pkg/b{i}.py": f"import os\n\ndef b{i}(y={{}}):\n    return y\n" for i in range(300)})
    write(root, {f"pkg/a{i}.py": f"def a{i}(x=None):\n    return x\n" for i in range(1, 400, 4)})
    git("add", "-A")
    git("commit", "-qm", "topic")
    rec.wait(lambda: "pkg/b299.py" in svc.files() and "pkg/a0.py" not in svc.files(), "the topic branch")
    converge(svc, rec)
    git("checkout", "-q", "main")
    rec.wait(lambda: "pkg/a0.py" in svc.files() and "pkg/b0.py" not in svc.files(), "back on main")
    converge(svc, rec)
