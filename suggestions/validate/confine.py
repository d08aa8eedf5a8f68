"""Confinement of test runs: candidate code runs in a Linux namespace sandbox (bubblewrap).

Validation runs the project's tests against candidate code, and candidate code is not
trusted (an LLM wrote it, or a rule's fix may meet code that does more than it seems). Each
test run is wrapped in ``bwrap`` with:

* the filesystem read-only (``--ro-bind / /``), and over it empty tmpfs folders for
  ``$HOME`` and every home (``/home``, ``/root``), the real project (its ``.git``, its other
  sandboxes, the store), ``/tmp``, ``/var/tmp``, ``/run`` (where the sockets of system
  services live: a Unix socket on a read-only mount can still be connected to), ``/mnt``,
  ``/media``, ``/srv`` and ``/etc/ssh``; ``/etc/shadow`` and friends read as empty;
* the sandbox copy bound read-write at its own path, as the only writable project tree,
  with the project's test files (``conftest.py``, ``test_*.py``...) bound read-only over it;
* the interpreter, its virtual environment and the user's site-packages bound read-only
  back where the tmpfs folders hid them;
* no network (``--unshare-net``), a PID namespace that dies with Kaizen
  (``--unshare-pid --die-with-parent``: a daemonised test helper does not outlive the run),
  a new session (no terminal injection), no capabilities;
* limits (``prlimit``): address space, CPU seconds, file size, no core dumps.

Where bubblewrap is missing or cannot create namespaces, :meth:`Confinement.wrap` runs the
command as it is and :attr:`Confinement.confined` is False: results are marked unconfined
and never auto-apply.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from analysis.userdir import user_dir

__all__ = ["Confinement", "Limits", "probe", "python_paths"]

log = logging.getLogger(__name__)

BWRAP_FLAGS = (
    "--die-with-parent", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
    "--unshare-cgroup-try", "--new-session", "--cap-drop", "ALL",
)

# Replaced by empty folders: temporary files, service sockets, every user's home (the
# interpreter, if it lives there, is bound back read-only), removable and served media.
HIDDEN = ("/tmp", "/var/tmp", "/run", "/var/run", "/home", "/root", "/mnt", "/media", "/srv")
# Files replaced by an empty one.
BLANKED = ("/etc/shadow", "/etc/gshadow", "/etc/sudoers")

_probe_lock = threading.Lock()
_probed: dict[str, tuple[bool, str]] = {}
_warned: set[str] = set()


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits of one test run (0: no limit)."""

    memory_mb: int = 4096
    cpu_s: int = 0
    file_mb: int = 2048


def probe(bwrap: str | None = None) -> tuple[bool, str]:
    """(whether bubblewrap can confine a process here, why not). Cached per process."""
    exe = bwrap or shutil.which("bwrap") or ""
    with _probe_lock:
        if exe in _probed:
            return _probed[exe]
        if not exe:
            found = (False, "bubblewrap (bwrap) is not installed")
        elif not sys.platform.startswith("linux"):
            found = (False, "confinement needs Linux namespaces")
        else:
            try:
                r = subprocess.run(
                    [exe, *BWRAP_FLAGS, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                     "--tmpfs", "/tmp", "--", "/bin/sh", "-c", "exit 0"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                    timeout=30,
                )
                err = r.stderr.decode("utf-8", "replace").strip()
                found = (True, "") if r.returncode == 0 else (False, f"bwrap cannot create namespaces here: {err}")
            except (OSError, subprocess.TimeoutExpired) as exc:
                found = (False, f"bwrap cannot run: {exc}")
        _probed[exe] = found
        return found


def _venv_of(path: Path) -> Path | None:
    for d in [path.parent, *path.parent.parents][:4]:
        if (d / "pyvenv.cfg").is_file():
            return d
    return None


def _shebang(path: Path) -> Path | None:
    try:
        with open(path, "rb") as fh:
            head = fh.read(256)
    except OSError:
        return None
    if not head.startswith(b"#!"):
        return None
    words = head[2:].split(b"\n", 1)[0].split()
    if not words:
        return None
    exe = words[0].decode("utf-8", "replace")
    if Path(exe).name == "env" and len(words) > 1:
        found = shutil.which(words[1].decode("utf-8", "replace"))
        return Path(found) if found else None
    return Path(exe)


def python_paths(program: str) -> list[Path]:
    """Folders the command's interpreter needs to read: its venv, its installation, the
    user's site-packages (so they can be bound back read-only under a hidden ``$HOME``)."""
    found = shutil.which(program) if "/" not in program else program
    out: list[Path] = []
    todo = [Path(found)] if found else []
    seen: set[Path] = set()
    while todo:
        exe = Path(os.path.abspath(todo.pop()))
        if exe in seen:
            continue
        seen.add(exe)
        venv = _venv_of(exe)
        if venv is not None:
            out.append(venv)
            with contextlib.suppress(OSError):
                for line in (venv / "pyvenv.cfg").read_text(encoding="utf-8", errors="replace").splitlines():
                    key, _, value = line.partition("=")
                    if key.strip() == "home" and value.strip():
                        out.append(Path(value.strip()).parent)
        real = Path(os.path.realpath(exe))
        if real.parent.name == "bin":
            out.append(real.parent.parent)
        else:
            out.append(real.parent)
        interp = _shebang(exe)
        if interp is not None:
            todo.append(interp)
    for p in (Path(sys.base_prefix), Path(sys.prefix), Path.home() / ".local" / "lib"):
        out.append(p)
    return list(dict.fromkeys(p for p in out if p.exists()))


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


class Confinement:
    """Builds the confined command line of a test run (see the module docstring).

    Args:
        project: the real project root (hidden inside the confinement).
        program: the test command's program (its interpreter is kept readable).
        mode: ``auto`` (confine when possible), ``require`` (no run without it) or ``off``.
        limits: resource limits, applied confined or not.
    """

    def __init__(self, project: Path, program: str, mode: str = "auto", limits: Limits | None = None) -> None:
        self.project = Path(project).resolve()
        self.mode = mode
        self.limits = limits or Limits()
        self.bwrap = shutil.which("bwrap") or ""
        self.prlimit = shutil.which("prlimit") or ""
        if mode == "off":
            self.confined, self.reason = False, "confinement is off (validation.confine = \"off\")"
        else:
            self.confined, self.reason = probe(self.bwrap or None)
        self.readable = python_paths(program)
        self._own = Path(tempfile.mkdtemp(prefix="kaizen-confine-"))
        weakref.finalize(self, shutil.rmtree, str(self._own), True)  # if never closed

    @property
    def available(self) -> bool:
        return self.confined or self.mode != "require"

    def warn_once(self) -> None:
        """Say once per process (and reason) that test runs are not confined."""
        if self.confined or self.reason in _warned:
            return
        _warned.add(self.reason)
        msg = (f"kaizen: validation runs the tests UNCONFINED ({self.reason}); results are marked "
               "unconfined and no rule applies them automatically")
        # Without logging set up (the CLI), logging's last resort prints it on stderr.
        log.warning(msg)

    def close(self) -> None:
        shutil.rmtree(self._own, ignore_errors=True)

    def _hidden(self) -> list[Path]:
        home = Path.home()
        out = [Path(p) for p in HIDDEN]
        if home != Path("/") and home.is_dir():
            out.append(home.resolve())
        # The audit key and the trusted endpoints: wherever KAIZEN_HOME puts them.
        own = user_dir()
        if own is not None and own.is_dir():
            out.append(own.resolve())
        out.append(self.project)
        return [p for p in dict.fromkeys(out) if p.is_dir() and not p.is_symlink()]

    def wrap(self, argv: Sequence[str], sandbox: Path, writable: Iterable[Path] = (),
             readable: Iterable[Path] = (), read_only: Iterable[Path] = ()) -> tuple[list[str], IO[bytes] | None]:
        """(the command line to run, a file whose descriptor must be passed to it, if any).

        Args:
            sandbox: the sandbox copy: the working folder and the only writable project tree.
            writable: more folders to bind read-write at their own path (Kaizen's output).
            readable: more folders to keep readable (Kaizen's plugin).
            read_only: files inside ``sandbox`` bound read-only over themselves.
        """
        limit = self._limits()
        if not self.confined:
            return [*limit, *argv], None
        sandbox = Path(sandbox).resolve()
        hidden = self._hidden()
        args: list[str] = [*BWRAP_FLAGS, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        for h in hidden:
            args += ["--tmpfs", str(h)]
        for f in BLANKED:
            if os.path.isfile(f):
                args += ["--ro-bind", "/dev/null", f]
        if os.path.isdir("/etc/ssh"):
            args += ["--tmpfs", "/etc/ssh"]  # host keys
        back = [*self.readable, *(Path(p).resolve() for p in readable)]
        for p in dict.fromkeys(back):
            # Bound back only where a tmpfs hid it; never the project itself, its state folder
            # (other sandboxes, the store) or its repository.
            if (any(_inside(p, h) for h in hidden) and not _inside(self.project, p)
                    and not _inside(p, self.project / ".kaizen") and not _inside(p, self.project / ".git")):
                args += ["--ro-bind", str(p), str(p)]
        args += ["--bind", str(sandbox), str(sandbox)]
        for ro in read_only:
            args += ["--ro-bind", str(ro), str(ro)]
        for w in writable:
            args += ["--bind", str(Path(w).resolve()), str(Path(w).resolve())]
        args += ["--chdir", str(sandbox)]
        # Many bind mounts (one per test file) would not fit a command line: pass them in a file.
        spec = tempfile.TemporaryFile(dir=self._own)  # noqa: SIM115 - handed to the child
        spec.write(b"\0".join(a.encode("utf-8", "surrogateescape") for a in args) + b"\0")
        spec.flush()
        spec.seek(0)
        return [*limit, self.bwrap, "--args", str(spec.fileno()), "--", *argv], spec

    def _limits(self) -> list[str]:
        if not self.prlimit:
            return []
        out = [self.prlimit, "--core=0"]
        if self.limits.memory_mb:
            out.append(f"--as={self.limits.memory_mb * 1024 * 1024}")
        if self.limits.cpu_s:
            out.append(f"--cpu={self.limits.cpu_s}")
        if self.limits.file_mb:
            out.append(f"--fsize={self.limits.file_mb * 1024 * 1024}")
        return [*out, "--"]

