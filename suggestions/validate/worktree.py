"""The working tree's uncommitted changes as a diff to validate, and the sandboxes to validate it in.

`kaizen validate PATH` without ``--diff`` and the window's "Validate my changes" validate
``git diff HEAD``: the user's uncommitted edits to tracked files. The project's files already
hold that change, so the sandboxes are made from a mirror of the project in which the changed
files are back at HEAD (``.kaizen/diff-base/``, synced incrementally like any sandbox, and
put right again by its next sync). The project's own files are only ever read.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from analysis.store import state_dir
from suggestions.validate.diffparse import DiffError, FileDiff
from suggestions.validate.sandbox import Sandbox, SandboxPool, default_pool_size

__all__ = ["base_pool", "git_diff", "head_files"]

GIT_TIMEOUT = 120.0


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0", LC_ALL="C", GIT_PAGER="cat")
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(var, None)
    try:
        # --no-optional-locks: `git diff` would otherwise refresh (write) the index.
        return subprocess.run(["git", "--no-optional-locks", *args], cwd=root, env=env, capture_output=True,
                              timeout=GIT_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise DiffError(f"git {args[0]} took longer than {GIT_TIMEOUT:.0f} s") from None
    except OSError as exc:
        raise DiffError(f"cannot run git: {exc.strerror}") from None


def git_diff(root: Path | str) -> bytes:
    """``git diff HEAD`` of the project's folder: its uncommitted changes to tracked files.

    Raises:
        DiffError: git is missing, the folder is not in a repository, there is no commit
            yet, or nothing changed (the message says so, and what to do).
    """
    root = Path(root)
    if shutil.which("git") is None:
        raise DiffError("git is not installed: give the change as a diff with --diff FILE (or - for stdin)")
    if _git(root, "rev-parse", "--show-toplevel").returncode != 0:
        raise DiffError(f"{root} is not in a git repository: give the change as a diff with --diff FILE "
                        "(or - for stdin)")
    if _git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}").returncode != 0:
        raise DiffError("the git repository has no commit yet: there is nothing to compare the working tree with")
    run = _git(root, "diff", "HEAD", "--no-color", "--no-ext-diff", "--no-textconv", "--relative",
               "--src-prefix=a/", "--dst-prefix=b/", "--")
    if run.returncode != 0:
        why = run.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DiffError(f"git diff failed: {why[0] if why else f'exit code {run.returncode}'}")
    if not run.stdout.strip():
        raise DiffError("nothing to validate: the working tree has no uncommitted changes to tracked files")
    return run.stdout


def head_files(root: Path | str, files: Sequence[FileDiff]) -> dict[str, bytes | None]:
    """What HEAD holds for each file the diff changes (None: not in HEAD, a new file)."""
    root = Path(root)
    out: dict[str, bytes | None] = {}
    for fd in files:
        if fd.old_path is None:
            out[fd.path] = None
            continue
        # "HEAD:./path" is relative to the working directory, as `--relative` paths are.
        run = _git(root, "cat-file", "blob", f"HEAD:./{fd.old_path}")
        out[fd.old_path] = run.stdout if run.returncode == 0 else None
    return out


@contextlib.contextmanager
def base_pool(root: Path | str, base: Mapping[str, bytes | None], size: int = 0,
              cancel: Callable[[], bool] | None = None) -> Iterator[SandboxPool]:
    """Sandboxes made from the project with ``base``'s files in place of its own
    (``{path: bytes, None: absent}``): where a change the project already holds is tried.

    Raises:
        InterruptedError: ``cancel`` said so while another process held the mirror.
    """
    root = Path(root).resolve()
    mirror = Sandbox(root, state_dir(root) / "diff-base")
    wait = threading.Event()
    while not mirror.try_lock():  # another Kaizen validating this project's working tree
        if cancel is not None and cancel():
            raise InterruptedError("cancelled")
        wait.wait(0.2)
    try:
        mirror.sync()
        for rel, data in base.items():
            dst = mirror.path / rel
            if data is None:
                dst.unlink(missing_ok=True)
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                dst.write_bytes(data)
        yield SandboxPool(mirror.path, size or default_pool_size(), base=state_dir(root) / "diff-sandbox")
    finally:
        mirror.unlock()
