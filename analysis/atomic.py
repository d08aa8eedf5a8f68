"""The one atomic write: a private temp file next to the target, fsync'd, renamed over it.

It lives in ``analysis/`` because the settings editor (:mod:`analysis.settings_edit`) needs
it and ``analysis`` imports nothing from ``suggestions``; the patcher, the sandbox, the trust
store and the ui write through it too.

Readers (and crashes) see the old content or the new, never half a file. The patcher's
checked replace builds on the same temp files (:func:`write_temp`): their names carry
``.kaizen-<pid>-`` so that recovery can find the ones a crash left, and they end in
``.tmp``, which the built-in ignores hide from the watcher.
"""

from __future__ import annotations

import contextlib
import os
import stat
import uuid
from pathlib import Path

__all__ = ["O_CLOEXEC", "O_DIR", "O_NOFOLLOW", "SWAPPED", "TMP_MARK", "WRITING",
           "fsync_dir", "unlink_at", "write_atomic", "write_temp"]

TMP_MARK = ".kaizen-"
WRITING = "w"  # new content being written: Kaizen's own, always safe to delete
SWAPPED = "x"  # takes part in a swap: may hold the user's file, never deleted unread

O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
O_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | O_CLOEXEC


def write_temp(dirfd: int, name: str, data: bytes, mode: int, *, ready: bool = True) -> tuple[str, os.stat_result]:
    """Write ``data`` to a new private file next to ``name`` in ``dirfd``, fsync'd.

    Returns the temp file's name and its stat. ``ready`` renames it to the *swapped* mark
    (it is about to take part in a swap and may later hold the user's file).
    """
    base = f".{name}{TMP_MARK}{os.getpid()}-"
    fd = -1
    tag = tmp = ""
    while fd < 0:
        tag = uuid.uuid4().hex[:10]
        tmp = f"{base}{WRITING}{tag}.tmp"
        with contextlib.suppress(FileExistsError):
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600,
                         dir_fd=dirfd)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
            st = os.fstat(fh.fileno())
        if ready:
            ready_name = f"{base}{SWAPPED}{tag}.tmp"
            os.rename(tmp, ready_name, src_dir_fd=dirfd, dst_dir_fd=dirfd)
            tmp = ready_name
    except BaseException:
        unlink_at(dirfd, tmp)
        raise
    return tmp, st


def unlink_at(dirfd: int, name: str) -> None:
    """Remove ``name`` in ``dirfd`` if it is there."""
    with contextlib.suppress(OSError):
        os.unlink(name, dir_fd=dirfd)


def fsync_dir(dirfd: int) -> None:
    try:
        os.fsync(dirfd)
    except OSError:
        pass  # some filesystems do not support fsync on folders


def write_atomic(path: Path | str, data: bytes | str, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8, newlines as given).

    The mode of the existing file is kept unless ``mode`` is given (a new file gets 0o644).
    A symbolic link is kept and the file it points to is written.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    target = Path(os.path.realpath(path))
    dirfd = os.open(target.parent, O_DIR)
    try:
        if mode is None:
            try:
                mode = stat.S_IMODE(os.stat(target.name, dir_fd=dirfd).st_mode)
            except FileNotFoundError:
                mode = 0o644
        tmp, _ = write_temp(dirfd, target.name, raw, mode, ready=False)
        try:
            os.replace(tmp, target.name, src_dir_fd=dirfd, dst_dir_fd=dirfd)
        except BaseException:
            unlink_at(dirfd, tmp)
            raise
        fsync_dir(dirfd)
    finally:
        os.close(dirfd)
