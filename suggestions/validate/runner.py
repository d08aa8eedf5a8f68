"""Running a test command: a process group with bounded output, a timeout and cancel, and
what the run says (return code, outcomes from Kaizen's pytest plugin, faked passes)."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from analysis.environment import allowed
from suggestions.validate.outcomes import (
    PLUGIN_MODULE,
    Outcomes,
    read_outcomes,
)

__all__ = ["LOG_LIMIT", "RunResult", "TestCommand", "excerpt", "junit_seconds", "log_text", "parse_pytest_report",
           "run_command", "run_env"]

OUTPUT_HEAD = 256 * 1024  # bytes of a run's output kept from the start ...
OUTPUT_TAIL = 1024 * 1024  # ... and from the end (the rest is dropped, and said so)
FAILING = ("failed", "error")
LOG_LIMIT = 6000  # characters of a validation's log
Cancel = Callable[[], bool]
_FAILING = FAILING


@dataclass
class RunResult:
    """One run of the test command."""

    returncode: int | None
    duration: float
    output: str
    outcomes: dict[str, str] = field(default_factory=dict)  # test id -> passed/failed/error/...
    timed_out: bool = False
    cancelled: bool = False
    report: Outcomes | None = None  # what Kaizen's pytest plugin recorded (pytest commands)

    @property
    def failed(self) -> list[str]:
        return sorted(t for t, o in self.outcomes.items() if o in _FAILING)

    @property
    def unreadable(self) -> str:
        """Why the outcomes cannot be trusted ("" when they can, or there is no plugin)."""
        if self.report is None or self.timed_out or self.cancelled:
            return ""
        return self.report.problem

    @property
    def faked(self) -> str:
        """Tests reported passed that did not run, or whose body raised ("" when none)."""
        r = self.report
        if r is None:
            return ""
        words = []
        if r.not_run:
            words.append("tests reported passed without running (their test function never "
                         "started: the test runner was tampered with): " + ", ".join(r.not_run[:20]))
        if r.failed_but_passed:
            words.append("tests reported passed although their test function raised (the "
                         "outcome was tampered with): " + ", ".join(r.failed_but_passed[:20]))
        return "; ".join(words)

    @property
    def ok(self) -> bool:
        return (not self.timed_out and not self.cancelled and self.returncode in (0, 5) and not self.failed
                and not self.unreadable and not self.faked)


_REPORT_LINE = re.compile(r"^(PASSED|FAILED|ERROR|XFAIL|XPASS|SKIPPED)\s+(.+?)\s*$")


def parse_pytest_report(output: str) -> dict[str, str]:
    """Test outcomes from pytest's ``-rA`` short summary (``PASSED tests/x.py::test_a``)."""
    outcomes: dict[str, str] = {}
    for line in output.splitlines():
        m = _REPORT_LINE.match(line)
        if not m:
            continue
        kind, rest = m.group(1).lower(), m.group(2)
        if rest.startswith("["):  # "SKIPPED [1] file:line: reason" names no test id
            continue
        test = rest.split(" - ", 1)[0].strip()
        if not test:
            continue
        if kind == "error" and outcomes.get(test) == "passed":
            kind = "error"  # an error in teardown after a pass still fails the test
        outcomes[test] = kind
    return outcomes


class TestCommand:
    """The project's test command (``validation.test-command``) in the project's interpreter."""

    __test__ = False  # not a pytest test class

    def __init__(self, root: Path, command: str) -> None:
        self.root = Path(root)
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise ValueError(f"validation.test-command is not a valid command line: {exc}") from None
        if not argv:
            raise ValueError("validation.test-command is empty")
        self.argv = [self._program(argv[0]), *argv[1:]]
        self.is_pytest = any(Path(a).name in ("pytest", "py.test") or a == "pytest" for a in argv[:3])

    def _program(self, name: str) -> str:
        venv = next((d / "bin" for d in (self.root / ".venv", self.root / "venv") if (d / "bin").is_dir()),
                    self.root / ".venv" / "bin")
        if name in ("python", "python3"):
            own = venv / "python"
            return str(own) if own.exists() else sys.executable
        if "/" not in name and (venv / name).exists():
            return str(venv / name)
        return name

    def argv_for(self, tests: Sequence[str] | None, junit: Path | None = None, extra: Sequence[str] = ()) -> list[str]:
        """The command line; for pytest with Kaizen's plugin, ``extra`` arguments, then the tests."""
        if not self.is_pytest:
            return list(self.argv)
        # Outcomes come from Kaizen's plugin; -rA only makes the log say what ran.
        report = [f"--junitxml={junit}", "-o", "junit_duration_report=call"] if junit else []
        return [*self.argv, "-p", PLUGIN_MODULE, "-rA", "-p", "no:cacheprovider", *report, *extra, *(tests or ())]


def junit_seconds(path: Path) -> float | None:
    """Summed test call time from a JUnit XML report (no interpreter start-up, no collection)."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    times = [float(tc.get("time") or 0.0) for tc in root.iter("testcase")]
    return sum(times) if times else None


class _Capture:
    """Reads a run's output on a thread, keeping its head and tail (bounded memory)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.head = bytearray()
        self.tail: list[bytes] = []
        self.tail_size = 0
        self.dropped = 0
        self.thread = threading.Thread(target=self._read, name="kaizen-output", daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            while True:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    break
                room = OUTPUT_HEAD - len(self.head)
                if room > 0:
                    self.head += chunk[:room]
                    chunk = chunk[room:]
                if chunk:
                    self.tail.append(chunk)
                    self.tail_size += len(chunk)
                    while self.tail_size - len(self.tail[0]) >= OUTPUT_TAIL:
                        self.tail_size -= len(self.tail[0])
                        self.dropped += len(self.tail.pop(0))
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                os.close(self.fd)

    def text(self, wait: float) -> str:
        # A process that escaped the run (unconfined only) may hold the pipe open: don't wait.
        self.thread.join(wait)
        data = bytes(self.head)
        if self.dropped:
            data += f"\n[kaizen] {self.dropped} bytes of output dropped\n".encode()
        data += b"".join(list(self.tail))
        return data.decode("utf-8", "replace")


def run_command(
    argv: Sequence[str],
    cwd: Path,
    timeout: float,
    cancel: Cancel | None = None,
    env: dict[str, str] | None = None,
    *,
    pass_fds: Sequence[int] = (),
    outcomes: Path | None = None,
) -> RunResult:
    """Run ``argv`` in its own session; on timeout or cancel its whole process group dies.

    ``outcomes``: the folder Kaizen's pytest plugin writes to; per-test outcomes are read
    from there (else from the terminal's ``-rA`` summary, for callers without the plugin).
    """
    t0 = time.perf_counter()
    rfd, wfd = os.pipe()
    try:
        proc = subprocess.Popen(
            list(argv), cwd=cwd, stdout=wfd, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env=env, pass_fds=tuple(pass_fds),
        )
    except OSError as exc:
        os.close(rfd)
        os.close(wfd)
        return RunResult(None, 0.0, f"cannot run {argv[0]}: {exc.strerror}")
    os.close(wfd)
    capture = _Capture(rfd)
    deadline = t0 + timeout
    timed_out = cancelled = False
    while True:
        try:
            proc.wait(timeout=0.05)
            break
        except subprocess.TimeoutExpired:
            pass
        if time.perf_counter() > deadline:
            timed_out = True
        elif cancel is not None and cancel():
            cancelled = True
        if timed_out or cancelled:
            _kill_group(proc)
            break
    duration = time.perf_counter() - t0
    # Also reap anything the run left behind in its group (a daemonised helper, say).
    _signal_group(proc.pid, signal.SIGKILL)
    text = capture.text(wait=5.0)
    if timed_out:
        text += f"\n[kaizen] timed out after {timeout:g}s: process group killed\n"
    if outcomes is not None:
        report = read_outcomes(outcomes)
        return RunResult(proc.returncode, duration, text, dict(report.tests), timed_out=timed_out,
                         cancelled=cancelled, report=report)
    return RunResult(
        proc.returncode, duration, text, parse_pytest_report(text), timed_out=timed_out, cancelled=cancelled
    )


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    _signal_group(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=1.0)
    except subprocess.TimeoutExpired:
        pass
    _signal_group(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5.0)




def run_env(sandbox: Path, extra: Sequence[str] = ()) -> dict[str, str]:
    """The environment of a test run: the sandbox's code first on the import path.

    Only an allow-list of variables passes (:func:`analysis.environment.allowed`, plus
    ``validation.pass-env``): no API keys, tokens or agent sockets reach candidate code.
    A project installed in editable mode would otherwise import the real project's modules
    (``src/`` layouts especially), and the patch would not be what gets tested.
    """
    env = allowed(os.environ, extra)
    for var in ("PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER", "COV_CORE_SOURCE"):
        env.pop(var, None)
    first = [str(sandbox)]
    if (sandbox / "src").is_dir():
        first.insert(0, str(sandbox / "src"))
    old = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = os.pathsep.join([*first, *(p for p in old.split(os.pathsep) if p)])
    # The sandbox sits inside the project: without a ceiling, git run by a test would find the
    # project's own repository above it, and a `git stash` or `git clean` there would reach
    # the user's real work tree.
    ceilings = [str(sandbox.parent), *(c for c in env.get("GIT_CEILING_DIRECTORIES", "").split(":") if c)]
    env["GIT_CEILING_DIRECTORIES"] = ":".join(ceilings)
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(var, None)
    return env


def log_text(notes: Sequence[str], output: str) -> str:
    """Notes first, then the part of the output that explains failures (bounded)."""
    text = "\n".join(n for n in notes if n)
    part = excerpt(output)
    if part:
        text += "\n\n" + part
    return text[:LOG_LIMIT]


def excerpt(output: str) -> str:
    if not output:
        return ""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(r"^=+ (FAILURES|ERRORS) =+$", line)), None)
    summary = [line for line in lines if line.startswith(("FAILED ", "ERROR "))]
    tail = [line for line in lines[-3:] if line.strip()]
    body = lines[start:] if start is not None else lines[-40:]
    body = [line for line in body if not line.startswith("PASSED ")]
    text = "\n".join(body)
    if len(text) > LOG_LIMIT - 1500:
        text = text[: LOG_LIMIT - 2000] + "\n[…]\n" + "\n".join(summary + tail)
    return text
