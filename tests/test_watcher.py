"""The watcher on a real inotify observer and a real folder: what each save style becomes."""

from __future__ import annotations

import errno
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from watchdog.observers import Observer

from analysis.watcher import Batch, Watcher, network_filesystem
from tests.conftest import write

TIMEOUT = 20.0  # generous: the machine is shared; waits end as soon as the condition holds


class Collector:
    """Receives batches on the watcher's thread; tests wait on conditions over them."""

    def __init__(self) -> None:
        self.batches: list[Batch] = []
        self.statuses: list[str] = []
        self.cond = threading.Condition()

    def __call__(self, batch: Batch) -> None:
        with self.cond:
            self.batches.append(batch)
            self.cond.notify_all()

    def status(self, message: str) -> None:
        with self.cond:
            self.statuses.append(message)
            self.cond.notify_all()

    def wait(self, predicate: Callable[[], bool], what: str) -> None:
        with self.cond:
            assert self.cond.wait_for(predicate, TIMEOUT), f"timed out waiting for {what}: {self.batches}"

    @property
    def paths(self) -> set[str]:
        with self.cond:
            return {p for b in self.batches for p in b.paths}

    @property
    def dirs(self) -> set[str]:
        with self.cond:
            return {p for b in self.batches for p in b.dirs}

    def clear(self) -> None:
        with self.cond:
            self.batches.clear()

    def wait_paths(self, *paths: str) -> None:
        self.wait(lambda: set(paths) <= {p for b in self.batches for p in b.paths}, f"paths {paths}")

    def sentinel(self, root: Path, name: str = "zz_sentinel.py") -> None:
        """Write a file and wait for it: every event before it has been delivered too."""
        (root / name).write_text(f"# {time.monotonic()}\n", encoding="utf-8")
        self.wait_paths(name)


@pytest.fixture
def watched(project: Path):
    write(project, {"a.py": "x = 1\n", "pkg/b.py": "y = 2\n", "pkg/sub/c.py": "z = 3\n"})
    col = Collector()
    w = Watcher(project, col, on_status=col.status, quiet=0.03, max_delay=0.5)
    assert w.start() == "native"
    yield project, w, col
    w.stop()


def test_in_place_save(watched):
    root, _, col = watched
    with open(root / "a.py", "w", encoding="utf-8") as fh:  # several writes, one save
        fh.write("x = ")
        fh.flush()
        fh.write("2\n")
    col.wait_paths("a.py")
    assert col.paths == {"a.py"}
    assert not col.statuses


def test_atomic_save_is_a_move_without_modify(watched):
    root, _, col = watched
    tmp = root / "a.py.tmp"
    tmp.write_text("x = 3\n", encoding="utf-8")
    os.replace(tmp, root / "a.py")
    col.wait_paths("a.py")
    col.sentinel(root)
    # The temp file is an editor temp file (ignored); the target is reported.
    assert col.paths == {"a.py", "zz_sentinel.py"}


def test_vim_style_save(watched):
    root, _, col = watched
    os.rename(root / "a.py", root / "a.py~")  # backup by rename
    (root / "4913").write_text("", encoding="utf-8")  # vim's probe that the folder is writable
    os.unlink(root / "4913")
    (root / ".a.py.swp").write_bytes(b"\0swap")
    (root / "a.py").write_text("x = 4\n", encoding="utf-8")
    os.unlink(root / "a.py~")
    os.unlink(root / ".a.py.swp")
    col.wait_paths("a.py")
    col.sentinel(root)
    assert col.paths == {"a.py", "zz_sentinel.py"}, "backup, probe and swap files are ignored"


def test_burst_of_2000_files_is_coalesced(watched):
    root, _, col = watched
    expected = set()
    for i in range(2000):
        rel = f"gen/m{i // 100}/f{i}.py"
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"v = {i}\n", encoding="utf-8")
        expected.add(rel)
    col.wait(lambda: expected <= {p for b in col.batches for p in b.paths}, "all 2000 files")
    events = sum(b.events for b in col.batches)
    # Thousands of raw events, a handful of batches (max_delay bounds each one).
    assert events >= 2000
    assert len(col.batches) <= 40, [b.events for b in col.batches]


def test_directory_rename_reports_both_ends(watched):
    root, _, col = watched
    os.rename(root / "pkg", root / "lib")
    col.wait(lambda: {"pkg", "lib"} <= col.dirs, "both ends of the folder move")
    col.wait_paths("pkg/b.py", "lib/b.py", "pkg/sub/c.py", "lib/sub/c.py")


def test_directory_moved_out_of_tree_and_deleted(watched, tmp_path: Path):
    root, _, col = watched
    shutil.move(str(root / "pkg"), str(tmp_path / "elsewhere"))
    # Moved away: one event for the folder, none per file; the consumer expands it.
    col.wait(lambda: "pkg" in col.dirs, "the folder that left")
    write(root, {"d/e.py": "e = 1\n"})
    col.wait_paths("d/e.py")
    col.clear()
    shutil.rmtree(root / "d")
    col.wait(lambda: "d" in col.dirs and "d/e.py" in col.paths, "the deleted folder and its file")


def test_file_replaced_by_directory(watched):
    root, _, col = watched
    os.unlink(root / "a.py")
    (root / "a.py").mkdir()
    (root / "a.py" / "inner.py").write_text("i = 1\n", encoding="utf-8")
    col.wait(lambda: "a.py" in col.paths and "a.py" in col.dirs, "file deleted and folder created")
    col.wait_paths("a.py/inner.py")


def test_gitignored_paths_are_dropped_and_gitignore_reloads(watched):
    root, w, col = watched
    (root / "build").mkdir()
    (root / "build" / "out.py").write_text("o = 1\n", encoding="utf-8")  # built-in ignore
    (root / ".gitignore").write_text("generated/\n*.log\n", encoding="utf-8")
    col.wait(lambda: any("" in b.ignore_changed for b in col.batches), ".gitignore change")
    write(root, {"generated/g.py": "g = 1\n", "run.log": "x"})
    col.sentinel(root)
    assert not any(p.startswith(("generated", "build")) or p == "run.log" for p in col.paths | col.dirs)
    # Un-ignore: the matcher must pick the new .gitignore up.
    (root / ".gitignore").write_text("*.log\n", encoding="utf-8")
    col.wait(lambda: sum("" in b.ignore_changed for b in col.batches) >= 2, "second .gitignore change")
    (root / "generated" / "g.py").write_text("g = 2\n", encoding="utf-8")
    col.wait_paths("generated/g.py")
    assert not w.matcher.is_ignored("generated/g.py")


def test_constant_stream_still_flushes(project: Path):
    col = Collector()
    with Watcher(project, col, quiet=0.05, max_delay=0.2):
        stop = threading.Event()

        def keep_writing() -> None:
            i = 0
            while not stop.is_set():
                (project / "hot.py").write_text(f"n = {i}\n", encoding="utf-8")
                i += 1
                time.sleep(0.01)  # a stream faster than the quiet window, never quiet

        t = threading.Thread(target=keep_writing)
        t.start()
        try:
            col.wait(lambda: len(col.batches) >= 2, "batches during an endless stream")
        finally:
            stop.set()
            t.join()
    assert all(b.paths == {"hot.py"} for b in col.batches)


def test_root_deleted_is_reported_once(project: Path):
    col = Collector()
    with Watcher(project, col, root_check=0.1):
        shutil.rmtree(project)
        col.wait(lambda: any(b.root_lost for b in col.batches), "root lost")
    assert sum(b.root_lost for b in col.batches) == 1


def test_root_renamed_is_reported(project: Path):
    col = Collector()
    with Watcher(project, col, root_check=0.1):
        project.rename(project.with_name("renamed"))
        col.wait(lambda: any(b.root_lost for b in col.batches), "root lost")


class ExhaustedInotify(type(Observer())):  # type: ignore[misc]
    """The native observer, failing as inotify does when the watch limit is exhausted."""

    def start(self) -> None:
        raise OSError(errno.ENOSPC, "inotify watch limit reached")


def test_falls_back_to_polling_and_says_so_once(project: Path):
    col = Collector()
    w = Watcher(project, col, on_status=col.status, native_observer=ExhaustedInotify, poll_interval=0.1)
    try:
        assert w.start() == "polling"
        write(project, {"new.py": "n = 1\n"})
        col.wait_paths("new.py")
        (project / "new.py").write_text("n = 2\n", encoding="utf-8")
        col.wait(lambda: len(col.batches) >= 2, "a second change seen by polling")
    finally:
        w.stop()
    assert len(col.statuses) == 1
    assert "polling" in col.statuses[0] and "max_user_watches" in col.statuses[0]


def test_forced_polling_by_environment(project: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KAIZEN_WATCH_POLLING", "1")
    col = Collector()
    with Watcher(project, col, on_status=col.status, poll_interval=0.1) as w:
        assert w.mode == "polling"
        write(project, {"p.py": "p = 1\n"})
        col.wait_paths("p.py")


def test_network_filesystem_detection(tmp_path: Path):
    assert network_filesystem(tmp_path) is None  # a local temporary folder
    mountinfo = (
        "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
        "40 22 0:35 / /mnt/share rw,relatime - nfs4 server:/export rw,vers=4.2\n"
    )
    assert network_filesystem("/mnt/share/project", mountinfo) == "nfs4"
    assert network_filesystem("/mnt/shared", mountinfo) is None
    assert network_filesystem("/home/me", mountinfo) is None


def test_inotify_queue_overflow_asks_for_a_full_reconcile(watched):
    import logging

    _, _, col = watched
    # watchdog only logs an overflow (the kernel dropped events); the watcher listens for it.
    logging.getLogger("watchdog.observers.inotify_c").warning("Inotify queue overflowed; filesystem events were lost")
    col.wait(lambda: any(b.overflow for b in col.batches), "an overflow batch")


def test_dead_watchdog_thread_is_restarted(project: Path):
    """An exception inside watchdog's emitter thread ends it; the watcher notices and recovers."""
    col = Collector()
    with Watcher(project, col, on_status=col.status, root_check=0.1) as w:
        first = w._observer
        assert first is not None
        for emitter in list(first.emitters):
            emitter.stop()  # the thread ends, as when an exception escapes it
        col.wait(lambda: any("restarted" in m for m in col.statuses), "the restart")
        col.wait(lambda: any(b.overflow for b in col.batches), "a reconcile request for missed changes")
        assert w._observer is not first and w.mode == "native"
        write(project, {"after.py": "a = 1\n"})
        col.wait_paths("after.py")
