"""Helpers for the attacks on validation (test_confinement.py): a real project, a fake $HOME
with a planted key, real credentials in the environment, a loopback HTTP server that records
what reaches it, and process probes that look from outside every namespace.

Nothing here waits on a clock for correctness: helpers poll for a condition, with generous
timeouts that only guard against a hang.
"""

from __future__ import annotations

import http.server
import os
import signal
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from suggestions.validate.confine import probe
from tests.conftest import write

FAKE_KEY = "sk-kaizen-test-0123456789abcdef"
FAKE_SSH = "-----BEGIN OPENSSH PRIVATE KEY-----\nkaizen-planted-test-key\n-----END OPENSSH PRIVATE KEY-----\n"

CORE = '''\
"""What the tests exercise."""


def add(a, b):
    return a + b


def mul(a, b):
    return a * b
'''

TESTS = {
    "tests/__init__.py": "",
    "tests/test_core.py": textwrap.dedent('''\
        from calc.core import add


        def test_add():
            assert add(2, 3) == 5
        '''),
    "tests/test_later.py": textwrap.dedent('''\
        from calc.core import mul


        def test_mul():
            assert mul(2, 3) == 6
        '''),
}

needs_bwrap = pytest.mark.skipif(not probe()[0], reason=f"no confinement here: {probe()[1]}")


@dataclass
class Attacked:
    """A project, the fake home of the user running Kaizen, and what an attacker is after."""

    root: Path
    home: Path

    @property
    def ssh_key(self) -> Path:
        return self.home / ".ssh" / "id_rsa"


def make_attacked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Attacked:
    root = tmp_path / "proj"
    home = tmp_path / "home"
    write(root, {"calc/__init__.py": "", "calc/core.py": CORE, **TESTS,
                 "kaizen.toml": "[validation]\ntimeout = 120\n"})
    write(home, {".ssh/id_rsa": FAKE_SSH, ".bashrc": "# the user's shell\n"})
    monkeypatch.setenv("HOME", str(home))  # Kaizen's own $HOME, as the confinement sees it
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_kaizen_test_token")
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # the project needs no plugins
    return Attacked(root, home)


def set_confine(root: Path, mode: str, extra: str = "") -> None:
    write(root, {"kaizen.toml": f'[validation]\ntimeout = 120\nconfine = "{mode}"\n{extra}'})


@dataclass
class Recorder:
    """A loopback HTTP server; ``received`` holds every request that reached it."""

    url: str
    received: list[bytes] = field(default_factory=list)


def serve_recorder() -> Iterator[Recorder]:
    rec: Recorder

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            n = int(self.headers.get("Content-Length") or 0)
            rec.received.append(self.rfile.read(n))
            self.send_response(200)
            self.end_headers()

        def do_GET(self) -> None:
            rec.received.append(self.path.encode())
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec = Recorder(f"http://127.0.0.1:{server.server_address[1]}/")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


def snapshot(root: Path) -> dict[str, bytes]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and not rel.startswith(".kaizen") and "__pycache__" not in rel:
            out[rel] = p.read_bytes()
    return out


def wait_until(cond: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``cond``; the timeout is a hang guard, never part of what is tested."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:g}s waiting for {what}")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return not fh.read().rsplit(") ", 1)[1].startswith(("Z", "X"))
    except (OSError, IndexError):
        return False


def processes_with(token: str) -> list[int]:
    """Host pids whose command line contains ``token`` (seen from outside any namespace)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as fh:
                if token.encode() in fh.read() and alive(int(name)):
                    found.append(int(name))
        except OSError:
            continue
    return found


def processes_in(folder: Path) -> list[int]:
    """Host pids whose working folder is inside ``folder``."""
    found = []
    prefix = str(folder)
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            cwd = os.readlink(f"/proc/{name}/cwd")
        except OSError:
            continue
        if (cwd == prefix or cwd.startswith(prefix + "/")) and alive(int(name)):
            found.append(int(name))
    return found


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
