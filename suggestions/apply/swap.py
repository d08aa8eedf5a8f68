"""Checked, atomic replacement of a file inside the project (the patcher's write).

A file is replaced by swapping names: the new content is written to a private temp file
in the same folder, then renameat2(RENAME_EXCHANGE) puts it in the file's place and, in
the same atomic step, moves whatever was there to the temp name. That captured file is
then compared with the one read (inode, size, mtime, hash). An editor's save that landed
at any instant before the swap is therefore seen, and put back (see _give_back); one that
lands after the swap replaces Kaizen's version, as any later save does. Nothing is
ever deleted that is not Kaizen's own file, the file that was checked, or a save that a
later save superseded.

Paths are resolved against the project's real root; every folder on the way is opened
with O_NOFOLLOW and kept open, so the temp file, the swap and the checks all happen in
the folder that was checked, even if a folder is swapped for a symbolic link meanwhile.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import stat
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from analysis.atomic import O_CLOEXEC as _O_CLOEXEC
from analysis.atomic import O_DIR as _O_DIR
from analysis.atomic import O_NOFOLLOW as _O_NOFOLLOW
from analysis.atomic import SWAPPED as _SWAPPED
from analysis.atomic import TMP_MARK as _TMP_MARK
from analysis.atomic import fsync_dir as _fsync_dir
from analysis.atomic import unlink_at as _unlink
from analysis.atomic import write_temp
from analysis.inventory import OutsideProject, real_relpath
from analysis.store import state_dir
from suggestions.apply.audit import AuditLog
from suggestions.model import content_hash

__all__ = ["PatchError"]


class PatchError(Exception):
    """A change that cannot be made; the message says why."""


_GIVE_BACK_LIMIT = 64

_O_READ = os.O_RDONLY | _O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | _O_CLOEXEC
_RENAME_EXCHANGE = 2


class _Stale(PatchError):
    """The file is not (or no longer) what the patch was made for: re-compute."""


class _Moved(_Stale):
    """A save landed while the file was being replaced; the user's version was kept."""


@dataclass(frozen=True, slots=True)
class _Identity:
    """Which file this is and what it holds (ctime is left out: a rename changes it)."""

    dev: int
    ino: int
    size: int
    mtime_ns: int
    hash: str

    def is_at(self, st: os.stat_result) -> bool:
        return stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) == (
            self.dev, self.ino, self.size, self.mtime_ns)


@dataclass
class _Target:
    """A project file opened for a checked replace; its real folder is held open."""

    rel: str  # as asked
    real: str  # the real project-relative path (symlinks resolved)
    dirfd: int
    name: str
    raw: bytes
    mode: int
    ident: _Identity

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.dirfd)


def _open_target(root: Path, rel: str) -> _Target:
    """Open ``rel`` for a checked replace, or raise PatchError saying why not.

    Refuses a path that resolves outside the project, a folder on the way that is (or just
    became) a symbolic link, and anything that is not a regular file.
    """
    try:
        real = real_relpath(root, rel)
    except OutsideProject as exc:
        raise PatchError(f"{exc}: Kaizen writes inside the project only; nothing was written") from None
    *folders, name = real.split("/")
    dirfd = _open_folder(root, folders, rel)
    try:
        ident, raw, mode = _read_at(dirfd, name, rel)
    except BaseException:
        os.close(dirfd)
        raise
    return _Target(rel, real, dirfd, name, raw, mode, ident)


def _open_folder(root: Path, folders: Sequence[str], rel: str) -> int:
    try:
        fd = os.open(root, _O_DIR)
    except OSError as exc:
        raise _Stale(f"cannot read {rel}: {exc.strerror}") from None
    for i, part in enumerate(folders):
        try:
            nfd = os.open(part, _O_DIR | _O_NOFOLLOW, dir_fd=fd)
        except OSError as exc:
            where = "/".join(folders[: i + 1])
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                raise PatchError(
                    f"{rel}: {where} is no longer a real folder (a symbolic link or a file took its place); "
                    "nothing was written") from None
            raise _Stale(f"cannot read {rel}: {exc.strerror}") from None
        finally:
            os.close(fd)
        fd = nfd
    return fd


def _read_at(dirfd: int, name: str, rel: str) -> tuple[_Identity, bytes, int]:
    try:
        fd = os.open(name, _O_READ, dir_fd=dirfd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PatchError(f"{rel} is a symbolic link now (it changed while applying); nothing was written") from None
        raise _Stale(f"cannot read {rel}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise PatchError(f"{rel} is not a regular file")
        raw = _read_all(fd)
        after = os.fstat(fd)
    except OSError as exc:
        raise _Stale(f"cannot read {rel}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if (after.st_size, after.st_mtime_ns) != (st.st_size, st.st_mtime_ns) or len(raw) != after.st_size:
        raise _Stale(f"{rel} was being saved while Kaizen read it; it will be re-computed")
    ident = _Identity(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, content_hash(raw))
    return ident, raw, stat.S_IMODE(st.st_mode)


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _ident_at(dirfd: int, name: str) -> _Identity | None:
    """What is at ``name`` now (None: nothing). A link or a folder gets a hash no file has."""
    try:
        fd = os.open(name, _O_READ, dir_fd=dirfd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        st = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
        return _Identity(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns,
                         "symlink:" + os.readlink(name, dir_fd=dirfd))
    try:
        st = os.fstat(fd)
        what = content_hash(_read_all(fd)) if stat.S_ISREG(st.st_mode) else f"type:{stat.S_IFMT(st.st_mode)}"
    finally:
        os.close(fd)
    return _Identity(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, what)


_renameat2_fn: object = None


def _exchange(dirfd: int, a: str, b: str) -> None:
    """Swap the names ``a`` and ``b`` in one atomic step (Linux renameat2 RENAME_EXCHANGE)."""
    global _renameat2_fn
    if _renameat2_fn is None:
        try:
            fn = ctypes.CDLL(None, use_errno=True).renameat2
            fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
            fn.restype = ctypes.c_int
            _renameat2_fn = fn
        except (OSError, AttributeError):
            _renameat2_fn = False
    if _renameat2_fn is False:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    if _renameat2_fn(dirfd, os.fsencode(a), dirfd, os.fsencode(b), _RENAME_EXCHANGE) != 0:  # type: ignore[operator]
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _swap(dirfd: int, held: str, name: str) -> bool:
    """Put the file at ``held`` in the place of ``name``; ``held`` then names the file taken out.

    False when, without an atomic exchange, a new file appeared at ``name`` while it was
    empty: that newest save stays, ``held`` is unchanged, and the file taken out (older than
    that save) is dropped.
    """
    try:
        _exchange(dirfd, held, name)
        return True
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EPERM):
            raise
    # No exchange on this system or filesystem: move the file aside, then link ours in only
    # if nothing appeared at the name meanwhile (a link never replaces a file).
    aside = held[: -len(".tmp")] + "a.tmp"
    try:
        os.rename(name, aside, src_dir_fd=dirfd, dst_dir_fd=dirfd)
    except FileNotFoundError:
        aside = ""
    try:
        os.link(held, name, src_dir_fd=dirfd, dst_dir_fd=dirfd, follow_symlinks=False)
    except FileExistsError:
        if aside:
            _unlink(dirfd, aside)
        return False
    except OSError:  # no hard links here: a plain rename (a save in this instant is overwritten)
        os.rename(held, name, src_dir_fd=dirfd, dst_dir_fd=dirfd)
    else:
        os.unlink(held, dir_fd=dirfd)
    if aside:
        os.rename(aside, held, src_dir_fd=dirfd, dst_dir_fd=dirfd)
    return True


def _replace(t: _Target, data: bytes, mode: int) -> None:
    """Put ``data`` in the place of ``t``'s file unless the user saved it since it was read.

    Raises:
        _Moved: a save landed (before the swap or during it); the user's file is in place.
        PatchError: the file kept changing while being put back (what was taken out is kept).
    """
    tmp, written = write_temp(t.dirfd, t.name, data, mode)
    ours = _Identity(written.st_dev, written.st_ino, written.st_size, written.st_mtime_ns, content_hash(data))
    try:
        st: os.stat_result | None = os.stat(t.name, dir_fd=t.dirfd, follow_symlinks=False)
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISLNK(st.st_mode):
        _unlink(t.dirfd, tmp)
        raise PatchError(f"{t.rel} became a symbolic link while being applied; nothing was written")
    if st is None or not t.ident.is_at(st):
        _unlink(t.dirfd, tmp)
        raise _Moved(f"{t.rel} was saved while Kaizen was writing it; your version is kept and this change "
                     "was not applied (it will be re-computed)")
    try:
        swapped = _swap(t.dirfd, tmp, t.name)
    except BaseException:
        _unlink(t.dirfd, tmp)
        raise
    if not swapped:
        _unlink(t.dirfd, tmp)
        raise _Moved(f"{t.rel} was saved while Kaizen was writing it; your version is kept and this change "
                     "was not applied (it will be re-computed)")
    # ``tmp`` now holds what was in the file's place an instant ago: the file that was read?
    captured = _ident_at(t.dirfd, tmp)
    if captured == t.ident:
        _unlink(t.dirfd, tmp)
        _fsync_dir(t.dirfd)
        return
    _give_back(t, tmp, ours)
    _fsync_dir(t.dirfd)
    if captured is not None and captured.hash.startswith("symlink:"):
        raise PatchError(f"{t.rel} became a symbolic link while being applied; it was put back and nothing "
                         "was written")
    raise _Moved(f"{t.rel} was saved while Kaizen was writing it; your version was put back and this "
                 "change was not applied (it will be re-computed)")


def _give_back(t: _Target, held: str, last_put: _Identity) -> None:
    """Return the user's save at ``held`` to its place, keeping any newer save instead.

    Each swap brings back what was in the file's place: when it is what we put there last,
    nothing landed meanwhile and we are done; when it is something else, it is a newer save,
    and it goes back in place of the older one. Only superseded files are deleted.
    """
    for _ in range(_GIVE_BACK_LIMIT):
        put = _ident_at(t.dirfd, held)
        if put is None or not _swap(t.dirfd, held, t.name):
            _unlink(t.dirfd, held)  # a newer save took the place: what we held is older
            return
        back = _ident_at(t.dirfd, held)
        if back is None or back == last_put:
            _unlink(t.dirfd, held)
            return
        last_put = put
    folder = t.real.rpartition("/")[0]
    raise PatchError(f"{t.rel} kept changing while Kaizen put your save back; the version it took out "
                     f"is kept as {folder + '/' if folder else ''}{held}")


def _clean_leftovers(t: _Target, log: AuditLog) -> list[str]:
    """Temp files next to ``t`` left by a patcher that died (its pid no longer runs).

    Files being written are deleted; a file that took part in a swap only when its content
    is the file's or one the audit log keeps (undo can bring it back), else it is kept and
    named, since it may hold a save that landed while that patcher was writing.
    """
    prefix = f".{t.name}{_TMP_MARK}"
    notes: list[str] = []
    try:
        names = os.listdir(t.dirfd)
    except OSError:
        return notes
    folder = t.real.rpartition("/")[0]
    for n in names:
        if not (n.startswith(prefix) and n.endswith(".tmp")):
            continue
        pid_s, _, rest = n[len(prefix):].partition("-")
        if not pid_s.isdigit() or _alive(int(pid_s)):
            continue
        if rest.startswith(_SWAPPED):
            try:
                ident = _ident_at(t.dirfd, n)
            except OSError:
                continue
            if ident is not None and ident.hash != t.ident.hash and not _stored(log, ident.hash):
                notes.append(f"kept {folder + '/' if folder else ''}{n}: an interrupted apply left it, and it "
                             f"holds content that is neither in {t.rel} nor in the audit log; compare, then delete it")
                continue
        _unlink(t.dirfd, n)
    return notes


def _stored(log: AuditLog, digest: str) -> bool:
    """Whether the log's blob store holds these exact bytes (so they can be brought back)."""
    try:
        rows = log.store.execute("SELECT data FROM audit_blobs WHERE hash=?", (digest,))
        return bool(rows) and content_hash(zlib.decompress(rows[0][0])) == digest
    except Exception:  # no blob table, a damaged row: not known to be kept
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True


@contextlib.contextmanager
def _project_lock(root: Path) -> Iterator[None]:
    """One patcher at a time per project, across processes (the app, the CLI, a rule)."""
    with open(state_dir(root) / "patch.lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


