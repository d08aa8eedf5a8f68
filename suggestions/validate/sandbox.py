"""Isolated copies of a project where candidate patches are tried and tests run.

A sandbox is created once (a full copy) and then synced incrementally: a file is copied
again only when its size or modification time changed *and* its content hash differs, and
files that a test run created, changed or deleted inside the sandbox are put right on the
next sync. Copies are real copies, never hard links, because tests may write to their
files. A patch is applied for the duration of a ``with`` block and the original bytes (and
modification time) are restored afterwards, so the sandbox stays in sync with the project.

Sandboxes live in ``<project>/.kaizen/sandbox/<n>/`` (ignored by git, the inventory and
the watcher). A :class:`SandboxPool` hands out one sandbox per concurrent validation; an
``flock`` on each sandbox keeps two processes (the app and a CLI run) from sharing one.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pathspec

from analysis.atomic import write_atomic
from analysis.inventory import BUILTIN_IGNORES, IgnoreMatcher, _is_virtualenv
from analysis.store import state_dir

__all__ = ["Sandbox", "SandboxPool", "SyncStats", "TreeWalker", "project_files"]

MANIFEST = ".kaizen-sandbox.json"
LOCK = ".kaizen-sandbox.lock"
_OWN = {MANIFEST, LOCK}
# Files larger than this are not copied (a test data file of this size is unusual; a
# stray database dump or video is not worth copying for every validation).
MAX_COPY_SIZE = 200_000_000


@dataclass(frozen=True, slots=True)
class SyncStats:
    """What one sync did."""

    copied: int = 0
    removed: int = 0
    unchanged: int = 0
    seconds: float = 0.0


def project_files(root: Path, extra_ignores: Iterable[str] = ()) -> Iterator[tuple[str, os.stat_result]]:
    """Every regular file of the project that a test run may need (not only source files).

    Honours ``.gitignore`` and Kaizen's built-in ignores (``.git``, ``.venv``, caches,
    ``.kaizen``), and skips nested virtual environments.
    """
    yield from TreeWalker(Path(root), extra_ignores).files()


_NO_FILE = -1


class TreeWalker:
    """Walks a tree honouring ignores, and remembers the verdicts between walks.

    Matching every path against the ignore patterns is most of the cost of a sync; a
    verdict is reused until a ``.gitignore`` in that folder or above it changes.
    """

    def __init__(self, root: Path, extra_ignores: Iterable[str] = (), *, gitignore: bool = True,
                 report_outside_links: bool = False) -> None:
        self.root = Path(root)
        self._real_root = os.path.realpath(self.root)
        # A symbolic link that leads out of the tree is never followed (a link to / would walk
        # the whole filesystem, a link to ~/.ssh would copy keys into the sandbox). The
        # sandbox's own walk reports such links (as files) so that a sync removes them.
        self.report_outside_links = report_outside_links
        self.matcher = IgnoreMatcher(self.root, extra_ignores)
        # Without git's ignores: only the built-in ones (caches, .git, .venv...). The sandbox's
        # own walk uses this: a file the project now ignores must leave the copy too.
        self.gitignore = gitignore
        self._builtin = pathspec.GitIgnoreSpec.from_lines([*BUILTIN_IGNORES, *extra_ignores])
        self._verdicts: dict[str, bool] = {}  # "rel" (file) or "rel/" (folder) -> ignored
        self._gitignores: dict[str, int] = {}  # folder -> mtime_ns of its .gitignore, or _NO_FILE

    def files(self) -> Iterator[tuple[str, os.stat_result]]:
        yield from self._walk("", False, set())

    def _leads_inside(self, path: str) -> bool:
        real = os.path.realpath(path)
        return real == self._real_root or real.startswith(self._real_root.rstrip("/") + "/")

    def _ignored(self, rel: str, name: str, is_dir: bool) -> bool:
        if self.gitignore:
            return self.matcher._ignored_here(rel, is_dir)
        suffix = "/" if is_dir else ""
        return bool(self._builtin.match_file(name + suffix) or self._builtin.match_file(rel + suffix))

    def _walk(self, reldir: str, dirty: bool, seen: set[tuple[int, int]]) -> Iterator[tuple[str, os.stat_result]]:
        absdir = os.path.join(self.root, reldir) if reldir else str(self.root)
        try:
            st = os.stat(absdir)
            key = (st.st_dev, st.st_ino)
            if key in seen:
                return
            seen.add(key)
            entries = list(os.scandir(absdir))
        except OSError:
            return
        gitignore = _NO_FILE
        for e in entries:
            if e.name == ".gitignore":
                with contextlib.suppress(OSError):
                    gitignore = e.stat().st_mtime_ns
        if self._gitignores.get(reldir) != gitignore:
            self._gitignores[reldir] = gitignore
            self.matcher.invalidate(reldir)
            dirty = True  # verdicts here and below may have changed
        for e in entries:
            rel = f"{reldir}/{e.name}" if reldir else e.name
            if not reldir and e.name in _OWN:
                continue
            try:
                is_dir = e.is_dir()
                if e.is_symlink() and not self._leads_inside(e.path):
                    if self.report_outside_links:
                        yield rel, e.stat(follow_symlinks=False)
                    continue
            except OSError:
                continue
            vkey = rel + "/" if is_dir else rel
            ignored = None if dirty else self._verdicts.get(vkey)
            if ignored is None:
                ignored = self._ignored(rel, e.name, is_dir)
                self._verdicts[vkey] = ignored
            if ignored:
                continue
            if is_dir:
                if not _is_virtualenv(e.path):
                    yield from self._walk(rel, dirty, seen)
                continue
            try:
                fst = e.stat()
            except OSError:
                continue  # broken symlink
            if stat.S_ISREG(fst.st_mode) and fst.st_size <= MAX_COPY_SIZE:
                yield rel, fst


def file_digest(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Sandbox:
    """One isolated copy of ``root`` at ``path``."""

    def __init__(self, root: Path, path: Path, extra_ignores: Iterable[str] = ()) -> None:
        self.root = Path(root).resolve()
        self.path = Path(path)
        self.extra_ignores = tuple(extra_ignores)
        # rel -> [size, mtime_ns, sha256] of the project file the copy was made from
        self._manifest: dict[str, list[object]] = {}
        self._loaded = False
        self._lock_fh: IO[str] | None = None
        self._active: dict[str, bytes] = {}  # files patched right now: rel -> patched bytes
        self._state: str | None = None
        self._project_walker = TreeWalker(self.root, self.extra_ignores)
        self._sandbox_walker = TreeWalker(self.path, self.extra_ignores, gitignore=False,
                                          report_outside_links=True)
        self.last_sync: SyncStats | None = None

    # --- locking across processes ------------------------------------------------------------

    def try_lock(self) -> bool:
        """Take this sandbox for the calling process; False when another process holds it."""
        self.path.mkdir(parents=True, exist_ok=True)
        fh = open(self.path / LOCK, "a+", encoding="utf-8")  # noqa: SIM115 - held while locked
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        self._lock_fh = fh
        # Another pool (another process, or another validator here) may have synced it since.
        self._loaded = False
        self._state = None
        return True

    def unlock(self) -> None:
        if self._lock_fh is not None:
            fcntl.flock(self._lock_fh.fileno(), fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    # --- sync ---------------------------------------------------------------------------------

    def _load_manifest(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        self._manifest = {}
        try:
            data = json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
            if data.get("root") == str(self.root):
                self._manifest = {str(k): list(v) for k, v in data["files"].items()}
        except (OSError, ValueError, KeyError, AttributeError):
            self._manifest = {}

    def _save_manifest(self) -> None:
        write_atomic(self.path / MANIFEST, json.dumps({"root": str(self.root), "files": self._manifest}))

    @property
    def state(self) -> str:
        """A digest of the project content the sandbox holds (keys baseline caches)."""
        if self._state is None:
            h = hashlib.sha256()
            for rel in sorted(self._manifest):
                h.update(f"{rel}\0{self._manifest[rel][2]}\n".encode())
            self._state = h.hexdigest()
        return self._state

    def mtimes(self) -> dict[str, float]:
        """``{path: modification time}`` of the project's files as of the last sync."""
        return {rel: int(str(e[1])) / 1e9 for rel, e in self._manifest.items()}

    def hash_of(self, rel: str) -> str | None:
        entry = self._manifest.get(rel)
        return str(entry[2]) if entry else None

    def sync(self) -> SyncStats:
        """Make the sandbox an exact copy of the project's files again.

        Files patched right now (inside :meth:`patched`) keep their patched content, so a
        sync between two test runs of one validation repairs what the first run did.
        """
        t0 = time.perf_counter()
        self.path.mkdir(parents=True, exist_ok=True)
        self._load_manifest()
        copied = unchanged = removed = 0
        # What the sandbox holds now (a test run may have changed it), then the project.
        present: dict[str, os.stat_result] = dict(self._sandbox_walker.files())
        current: dict[str, os.stat_result] = dict(self._project_walker.files())
        for rel, st in current.items():
            if rel in self._active:
                continue
            src = self.root / rel
            dst = self.path / rel
            old = self._manifest.get(rel)
            dst_ok = _same_stat(present.get(rel), old)
            if old is not None and old[0] == st.st_size and old[1] == st.st_mtime_ns and dst_ok:
                unchanged += 1
                continue
            try:
                digest = file_digest(src)
            except OSError:
                continue  # vanished or unreadable meanwhile; next sync sees it again
            if old is not None and old[2] == digest and dst_ok:
                # Touched but identical: remember the new stat, and keep the copy's mtime in
                # step so the next sync is a cheap stat comparison again.
                with contextlib.suppress(OSError):
                    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
                self._manifest[rel] = [st.st_size, st.st_mtime_ns, digest]
                unchanged += 1
                continue
            _safe_dirs(self.path, dst)
            _copy(src, dst)
            self._manifest[rel] = [st.st_size, st.st_mtime_ns, digest]
            copied += 1
        # Files the project no longer has, or that a test run created in the sandbox.
        for rel in present:
            if rel not in current and rel not in self._active and _parent_inside(self.path, self.path / rel):
                with contextlib.suppress(OSError):
                    os.unlink(self.path / rel)
                removed += 1
        for rel in [r for r in self._manifest if r not in current]:
            del self._manifest[rel]
        for rel, data in self._active.items():
            dst = self.path / rel
            try:
                same = dst.read_bytes() == data
            except OSError:
                same = False
            if not same:
                _safe_dirs(self.path, dst)
                with contextlib.suppress(OSError):
                    if dst.is_symlink():
                        dst.unlink()
                dst.write_bytes(data)
                _drop_bytecode(dst)
                copied += 1
        self._save_manifest()
        self._state = None
        stats = SyncStats(copied, removed, unchanged, time.perf_counter() - t0)
        self.last_sync = stats
        return stats

    # --- trying a change ----------------------------------------------------------------------

    @contextlib.contextmanager
    def patched(self, contents: Mapping[str, bytes]) -> Iterator[Path]:
        """Write ``{rel: new bytes}`` into the sandbox; restore the original bytes afterwards."""
        saved: dict[str, tuple[bytes | None, os.stat_result | None]] = {}
        try:
            for rel, data in contents.items():
                dst = self.path / rel
                try:
                    saved[rel] = (dst.read_bytes(), dst.stat())
                except FileNotFoundError:
                    saved[rel] = (None, None)
                _safe_dirs(self.path, dst)
                dst.write_bytes(data)
                _drop_bytecode(dst)
                self._active[rel] = data
            yield self.path
        finally:
            for rel, (old, st) in saved.items():
                self._active.pop(rel, None)
                dst = self.path / rel
                if old is None:
                    if _parent_inside(self.path, dst):
                        with contextlib.suppress(OSError):
                            dst.unlink()
                else:
                    # A test run may have put a link where the file was: never write through it.
                    _safe_dirs(self.path, dst)
                    with contextlib.suppress(OSError):
                        if dst.is_symlink():
                            dst.unlink()
                    dst.write_bytes(old)
                    if st is not None:
                        os.chmod(dst, stat.S_IMODE(st.st_mode))
                        os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))
                _drop_bytecode(dst)


def _same_stat(st: os.stat_result | None, entry: list[object] | None) -> bool:
    """Whether the sandbox copy still looks like the copy we made (tests may edit it)."""
    if entry is None or st is None:
        return False
    return st.st_size == entry[0] and st.st_mtime_ns == entry[1]


def _parent_inside(root: Path, path: Path) -> bool:
    """Whether ``path``'s folder really is inside ``root`` (no link on the way leads out)."""
    real, base = os.path.realpath(path.parent), os.path.realpath(root)
    return real == base or real.startswith(base.rstrip("/") + "/")


def _safe_dirs(root: Path, dst: Path) -> None:
    """Make ``dst``'s folders under ``root`` real folders: a symbolic link or a file a test run
    put in their place is removed, so that a write never lands outside the sandbox."""
    cur = Path(root)
    for part in dst.relative_to(root).parts[:-1]:
        cur = cur / part
        if cur.is_symlink() or (cur.exists() and not cur.is_dir()):
            cur.unlink()
        cur.mkdir(exist_ok=True)


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.is_symlink() or dst.is_dir():
        if dst.is_dir() and not dst.is_symlink():
            shutil.rmtree(dst)
        else:
            dst.unlink()
    # A fresh file (not writing into the old one): a process may still hold the old inode.
    tmp = dst.with_name(dst.name + ".kaizen-sync.tmp")
    shutil.copyfile(src, tmp)
    shutil.copystat(src, tmp)
    os.replace(tmp, dst)
    _drop_bytecode(dst)


def _drop_bytecode(path: Path) -> None:
    """Remove cached bytecode of a changed module.

    CPython validates ``.pyc`` files by mtime in whole seconds and size, so a same-size
    patch written within the same second as the original could reuse stale bytecode.
    """
    if path.suffix != ".py":
        return
    cache = path.parent / "__pycache__"
    if cache.is_symlink() or not cache.is_dir():
        return
    for pyc in cache.glob(f"{path.stem}.*.pyc"):
        with contextlib.suppress(OSError):
            pyc.unlink()


def default_pool_size() -> int:
    """One per core, at most two on small machines (four cores or fewer)."""
    cores = os.cpu_count() or 1
    return min(cores, 2) if cores <= 4 else cores


class SandboxPool:
    """A bounded set of sandboxes for parallel validations of one project."""

    def __init__(
        self,
        root: Path,
        size: int = 0,
        base: Path | None = None,
        extra_ignores: Iterable[str] = (),
    ) -> None:
        self.root = Path(root).resolve()
        self.size = size or default_pool_size()
        self.base = Path(base) if base else state_dir(self.root) / "sandbox"
        self._sandboxes = [Sandbox(self.root, self.base / str(i), extra_ignores) for i in range(self.size)]
        self._free = list(self._sandboxes)
        self._cond = threading.Condition()

    @contextlib.contextmanager
    def acquire(self, cancel: Callable[[], bool] | None = None) -> Iterator[Sandbox]:
        """A synced sandbox held for the duration of the block."""
        box = self._take(cancel)
        try:
            box.sync()
            yield box
        finally:
            box.unlock()
            with self._cond:
                self._free.append(box)
                self._cond.notify()

    def _take(self, cancel: Callable[[], bool] | None) -> Sandbox:
        while True:
            with self._cond:
                for box in list(self._free):
                    if box.try_lock():
                        self._free.remove(box)
                        return box
                if cancel is not None and cancel():
                    raise InterruptedError("cancelled")
                # Free ones may be locked by another process: poll as well as wait.
                self._cond.wait(timeout=0.2)

    def remove(self) -> None:
        """Delete every sandbox of this pool (e.g. ``kaizen`` cleaning up)."""
        shutil.rmtree(self.base, ignore_errors=True)
