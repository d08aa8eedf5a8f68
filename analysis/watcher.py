"""Turns raw filesystem events into debounced batches of changed project paths.

Editors save in many ways, and each produces a different storm of events:

* in place: ``modified`` (often several) then ``closed``;
* atomically: write ``.name.tmp`` then rename it over ``name`` — a ``moved`` event whose
  destination is the file, and no ``modified`` at all;
* vim: rename ``name`` to ``name~``, create ``name``, delete ``name~`` (and probe with ``4913``);
* ``git checkout``: thousands of creates, deletes and modifications within a second.

The :class:`Watcher` keeps only what matters — the project-relative paths whose content may
have changed, with ignored paths (``IgnoreMatcher``: ``.gitignore`` plus editor swap and temp
files) dropped — and hands them over as one :class:`Batch` once the tree has been quiet for
``quiet`` seconds (``settle``, shorter, when the last event completed a save: a close after
writing, a rename into place, a delete), or ``max_delay`` after the first event so a constant
stream still flushes.
Batches are delivered on the watcher's own thread, one at a time.

Native watching (inotify) can fail: the per-user watch limit, or a network filesystem whose
remote changes inotify never sees. The watcher then falls back to polling and says so once,
through ``on_status``.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserverVFS

from analysis.inventory import IgnoreMatcher

__all__ = ["Batch", "Watcher", "network_filesystem"]

log = logging.getLogger(__name__)


def _polling(interval: float) -> BaseObserver:
    """A polling observer that never follows symbolic links (``lstat``): a link to ``/``
    inside the project must not make it walk the whole filesystem. Native (inotify)
    watching does not follow links either."""
    return PollingObserverVFS(os.lstat, os.scandir, polling_interval=interval)

# Opened / closed-without-write events are left out on purpose: the service reads every
# changed file, and hearing about its own reads would loop forever.
EVENT_TYPES: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileClosedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]

NETWORK_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "afs", "9p", "ceph", "glusterfs",
    "fuse.sshfs", "fuse.rclone", "fuse.s3fs", "davfs", "fuse.davfs2", "lustre", "gpfs",
    "fuse.glusterfs", "fuse.cephfs", "vboxsf", "prl_fs", "vmhgfs", "fuse.vmhgfs-fuse",
})


@dataclass(frozen=True, slots=True)
class Batch:
    """What changed in one quiet window. All paths are project-relative, POSIX separators.

    Attributes:
        paths: files (or paths of unknown kind) that were created, modified, deleted or
            moved (both ends of a move). The consumer stats them to learn what they are now.
        dirs: folders created, deleted or moved (both ends). A folder moved out of the tree
            or deleted at once produces no event per file: the consumer expands these to the
            files it knew under them, and walks the ones that exist now.
        ignore_changed: folders whose ``.gitignore`` changed ("" is the root); what is
            ignored below them may differ now, so the consumer should re-inventory.
        overflow: the kernel dropped events; the consumer should reconcile everything.
        root_lost: the project folder itself was deleted, moved or replaced.
        events: raw events folded into this batch.
        first_event: ``time.monotonic()`` of the first event in the batch (for latency).
    """

    paths: frozenset[str] = frozenset()
    dirs: frozenset[str] = frozenset()
    ignore_changed: frozenset[str] = frozenset()
    overflow: bool = False
    root_lost: bool = False
    events: int = 0
    first_event: float = 0.0

    def __bool__(self) -> bool:
        return bool(self.paths or self.dirs or self.ignore_changed or self.overflow or self.root_lost)


@dataclass
class _Pending:
    paths: set[str] = field(default_factory=set)
    dirs: set[str] = field(default_factory=set)
    ignore_changed: set[str] = field(default_factory=set)
    overflow: bool = False
    root_lost: bool = False
    events: int = 0
    first: float = 0.0
    last: float = 0.0
    settled: bool = False  # the last event completed a save (closed, renamed into place, deleted)
    now: bool = False  # deliver without waiting (flush(), a lost root)

    def take(self) -> Batch:
        return Batch(
            frozenset(self.paths), frozenset(self.dirs), frozenset(self.ignore_changed),
            self.overflow, self.root_lost, self.events, self.first,
        )


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher) -> None:
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        self._watcher._on_event(event)


class _OverflowSpy(logging.Handler):
    """watchdog only *logs* an inotify queue overflow; listen for it so no change is lost."""

    watchers: set[Watcher] = set()
    guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            with self.guard:
                watchers = list(self.watchers)
            for w in watchers:
                w._on_overflow()


_SPY = _OverflowSpy(logging.WARNING)
for _name in ("watchdog.observers.inotify", "watchdog.observers.inotify_c"):
    logging.getLogger(_name).addHandler(_SPY)


def network_filesystem(path: Path | str, mountinfo: str | None = None) -> str | None:
    """The type of the network filesystem holding ``path`` (``"nfs"``...), else None.

    ``mountinfo`` is the text of ``/proc/self/mountinfo`` (read when not given).
    """
    if mountinfo is None:
        try:
            with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
                mountinfo = fh.read()
        except OSError:
            return None
    lines = mountinfo.splitlines()
    target = os.path.realpath(path)
    best, best_type = "", ""
    for line in lines:
        # "36 35 98:0 /mnt1 /mnt/point rw,noatime master:1 - ext3 /dev/root rw,errors=continue"
        left, _, right = line.partition(" - ")
        fields, rfields = left.split(), right.split()
        if len(fields) < 5 or not rfields:
            continue
        mount = fields[4].replace("\\040", " ")
        if (target == mount or target.startswith(mount.rstrip("/") + "/")) and len(mount) >= len(best):
            best, best_type = mount, rfields[0]
    return best_type if best_type in NETWORK_FILESYSTEMS else None


def _describe_native_failure(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        limit = _read_proc("/proc/sys/fs/inotify/max_user_watches")
        return (
            f"the inotify watch limit is exhausted (fs.inotify.max_user_watches={limit}); "
            "raise it with `sysctl fs.inotify.max_user_watches=524288`"
        )
    if exc.errno == errno.EMFILE:
        limit = _read_proc("/proc/sys/fs/inotify/max_user_instances")
        return f"too many inotify instances (fs.inotify.max_user_instances={limit})"
    return f"native watching failed ({exc.strerror or exc})"


def _read_proc(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return "?"


class Watcher:
    """Watches one project folder and calls ``on_batch`` with debounced :class:`Batch` es.

    Args:
        root: the project folder.
        on_batch: called on the watcher's thread, one batch at a time.
        on_status: called (once per condition) with a human sentence, e.g. when watching
            falls back to polling. May be called from the thread that calls :meth:`start`.
        quiet: seconds without events before a batch is delivered.
        settle: the shorter quiet window used when the last event completed a save (a file
            closed after writing, renamed into place, deleted): the editor is done, so only
            the events of the same save that are already in flight need waiting for.
        max_delay: deliver anyway this long after a batch's first event.
        extra_ignores: gitignore-style patterns to ignore on top of ``.gitignore``.
        polling: True forces polling, False forbids it, None (default) polls only when native
            watching fails or the folder is on a network filesystem. ``KAIZEN_WATCH_POLLING=1``
            in the environment forces it too.
        poll_interval: seconds between two polls.
        root_check: seconds between checks that the project folder is still the same folder.
        native_observer: the observer class for native watching (tests substitute one that
            fails the way inotify does when its limits are reached).
    """

    def __init__(
        self,
        root: Path | str,
        on_batch: Callable[[Batch], Any],
        *,
        on_status: Callable[[str], Any] | None = None,
        quiet: float = 0.03,
        settle: float = 0.003,
        max_delay: float = 0.5,
        extra_ignores: Iterable[str] = (),
        polling: bool | None = None,
        poll_interval: float = 1.0,
        root_check: float = 0.5,
        native_observer: Callable[[], BaseObserver] | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self._prefix = str(self.root).rstrip(os.sep) + os.sep
        self._on_batch = on_batch
        self._on_status = on_status
        self.quiet = quiet
        self.settle = min(settle, quiet)
        self.max_delay = max_delay
        self.matcher = IgnoreMatcher(self.root, extra_ignores)
        env = os.environ.get("KAIZEN_WATCH_POLLING", "").strip().lower()
        self._polling_wanted = polling if polling is not None else (env in ("1", "true", "yes") or None)
        self.poll_interval = poll_interval
        self.root_check = root_check
        self._native_factory = native_observer or Observer
        self._cond = threading.Condition()
        self._pending = _Pending()
        self._stopped = threading.Event()
        self._observer: BaseObserver | None = None
        self._thread: threading.Thread | None = None
        self._root_id: tuple[int, int] | None = None
        self._root_reported = False
        self.mode = ""  # "native" or "polling" once started
        self.status = ""  # why polling, when it is
        self.batches = 0
        self._restarts = 0

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> str:
        """Start watching; returns the mode ("native" or "polling").

        Raises:
            OSError: the folder cannot be watched at all (for example it does not exist).
        """
        st = os.stat(self.root)
        self._root_id = (st.st_dev, st.st_ino)
        reason = ""
        if self._polling_wanted:
            reason = "polling was requested"
        else:
            fs = network_filesystem(self.root)
            if fs and self._polling_wanted is None:
                reason = f"{self.root} is on a network filesystem ({fs}) where inotify misses remote changes"
        if not reason:
            try:
                self._observer = self._schedule(self._native_factory())
                self.mode = "native"
            except OSError as exc:
                if self._polling_wanted is False:
                    raise
                reason = _describe_native_failure(exc)
        if reason:
            self._observer = self._schedule(_polling(self.poll_interval))
            self.mode = "polling"
            self.status = f"watching by polling every {self.poll_interval:g}s: {reason}"
            self._status(self.status)
        with _OverflowSpy.guard:
            _OverflowSpy.watchers.add(self)
        self._thread = threading.Thread(target=self._run, name=f"kaizen-watch:{self.root.name}", daemon=True)
        self._thread.start()
        return self.mode

    def _schedule(self, observer: BaseObserver) -> BaseObserver:
        try:
            observer.schedule(_Handler(self), str(self.root), recursive=True, event_filter=EVENT_TYPES)
            observer.start()
        except BaseException:
            try:
                observer.stop()
            except Exception:  # a half-started observer may not stop cleanly; it is discarded
                pass
            raise
        return observer

    def stop(self, timeout: float = 5.0) -> None:
        """Stop watching; no batch is delivered after this returns (except one in progress)."""
        self._stopped.set()
        with _OverflowSpy.guard:
            _OverflowSpy.watchers.discard(self)
        with self._cond:
            self._cond.notify_all()
        obs, self._observer = self._observer, None
        if obs is not None:
            obs.stop()
            if obs.is_alive():
                obs.join(timeout)
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout)

    def __enter__(self) -> Watcher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stopped.is_set()

    # --- events -----------------------------------------------------------------------------

    def _rel(self, path: str | bytes) -> str | None:
        p = os.fsdecode(path)
        if p == str(self.root):
            return ""
        if not p.startswith(self._prefix):
            return None
        rel = p[len(self._prefix):]
        return rel.replace(os.sep, "/") if os.sep != "/" else rel

    def _on_event(self, event: FileSystemEvent) -> None:
        ends = [event.src_path]
        if event.dest_path:
            ends.append(event.dest_path)
        now = time.monotonic()
        with self._cond:
            p = self._pending
            changed = False
            for end in ends:
                rel = self._rel(end)
                if rel is None:
                    continue
                if rel == "":
                    if event.event_type in ("deleted", "moved"):
                        p.root_lost = True
                        changed = True
                    continue
                if rel.rsplit("/", 1)[-1] == ".gitignore":
                    reldir = rel.rpartition("/")[0]
                    if reldir and self.matcher.is_ignored(reldir, True):
                        continue  # e.g. .kaizen/.gitignore: inside an ignored folder
                    self.matcher.invalidate(reldir)
                    p.ignore_changed.add(reldir)
                    changed = True
                    continue
                if self.matcher.is_ignored(rel, event.is_directory):
                    continue
                (p.dirs if event.is_directory else p.paths).add(rel)
                changed = True
            if not changed:
                return
            if p.events == 0:
                p.first = now
            p.events += 1
            p.last = now
            p.settled = not event.is_directory and event.event_type in ("closed", "moved", "deleted")
            if p.events == 1 or p.settled:  # wake the flusher: its deadline moved earlier
                self._cond.notify_all()

    def _on_overflow(self) -> None:
        with self._cond:
            if self._pending.events == 0:
                self._pending.first = time.monotonic()
            self._pending.overflow = True
            self._pending.events += 1
            self._pending.last = time.monotonic()
            self._cond.notify_all()

    def flush(self) -> None:
        """Deliver pending events now instead of waiting for the quiet window."""
        with self._cond:
            self._pending.now = True
            self._cond.notify_all()

    def _root_changed(self) -> bool:
        try:
            st = os.stat(self.root)
        except OSError:
            return True
        return (st.st_dev, st.st_ino) != self._root_id

    def _observer_alive(self) -> bool:
        obs = self._observer
        if obs is None or self._stopped.is_set():
            return True
        return obs.is_alive() and all(e.is_alive() for e in obs.emitters)

    def _restart_observer(self) -> None:
        """A watchdog thread died (an exception inside it): watch again and reconcile."""
        old = self._observer
        if old is None or self._stopped.is_set():
            return
        try:
            old.stop()
        except Exception:
            log.exception("stopping a dead observer failed")
        self._restarts += 1
        try:
            if self.mode == "native" and self._restarts <= 3:
                self._observer = self._schedule(self._native_factory())
            else:
                self._observer = self._schedule(_polling(self.poll_interval))
        except OSError as exc:
            self._observer = self._schedule(_polling(self.poll_interval))
            self.mode = "polling"
            self.status = f"watching by polling every {self.poll_interval:g}s: {_describe_native_failure(exc)}"
            self._status(self.status)
        else:
            if self.mode == "native" and self._restarts > 3:
                self.mode = "polling"
                self.status = f"watching by polling every {self.poll_interval:g}s: native watching kept failing"
                self._status(self.status)
            else:
                self._status(f"{self.mode} watching stopped unexpectedly; restarted")
        self._on_overflow()  # changes made meanwhile were missed: reconcile everything

    def _run(self) -> None:
        next_root_check = time.monotonic() + self.root_check
        restart = False
        while not self._stopped.is_set():
            with self._cond:
                p = self._pending
                now = time.monotonic()
                if p.events == 0:
                    self._cond.wait(max(0.0, next_root_check - now))
                    if self._pending.events == 0:
                        if time.monotonic() >= next_root_check:
                            next_root_check = time.monotonic() + self.root_check
                            if not self._root_reported and self._root_changed():
                                self._pending.root_lost = True
                                self._pending.events = 1
                                self._pending.first = self._pending.last = time.monotonic()
                                self._pending.now = True
                            elif not self._root_reported and not self._observer_alive():
                                restart = True
                        if restart:
                            restart = False
                            self._cond.release()  # restarting takes time; events may arrive
                            try:
                                self._restart_observer()
                            finally:
                                self._cond.acquire()
                        continue
                    continue
                wait = self.settle if p.settled else self.quiet
                due = now if p.now else min(p.last + wait, p.first + self.max_delay)
                if now < due:
                    self._cond.wait(due - now)
                    continue
                batch = p.take()
                self._pending = _Pending()
            if self._stopped.is_set():
                return
            if batch.root_lost:
                if self._root_reported or not self._root_changed():
                    # The root's own entry changed but it is still the same folder.
                    batch = Batch(batch.paths, batch.dirs, batch.ignore_changed, batch.overflow,
                                  False, batch.events, batch.first_event)
                else:
                    self._root_reported = True
            if not batch:
                continue
            self.batches += 1
            try:
                self._on_batch(batch)
            except Exception:  # the callback's bug must not kill watching
                log.exception("watch callback failed on %s", self.root)

    def _status(self, message: str) -> None:
        log.info("%s", message)
        if self._on_status is not None:
            try:
                self._on_status(message)
            except Exception:
                log.exception("watch status callback failed")
