"""Run a command under Kaizen's collector and merge what every traced process wrote.

The command runs as given (``pytest -q``, ``.venv/bin/python prog.py``) in the project
folder, in the user's own interpreter: the collector arrives through ``PYTHONPATH`` (its
``sitecustomize``) and ``PYTEST_PLUGINS``, so nothing is installed anywhere. Output is not
captured: the command writes straight to our stdout/stderr, byte for byte. It runs in its
own process group so that a timeout stops it and every process it started (SIGTERM first,
which makes each collector flush, then SIGKILL).
"""

from __future__ import annotations

import contextlib
import json
import marshal
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.collector import COLLECTOR_DIR, FORMAT_VERSION, PLUGIN_MODULE
from analysis.environment import without_secrets
from analysis.store import state_dir

__all__ = [
    "ExceptionStats",
    "FunctionStats",
    "TraceError",
    "TraceResult",
    "collector_env",
    "default_command",
    "instrument_cache",
    "merge_dir",
    "prune_instrument_cache",
    "run_traced",
]

TIMEOUT_EXIT = 124  # like coreutils `timeout`
KILL_GRACE_S = 5.0


class TraceError(Exception):
    """The command could not be started (not found, not executable, bad quoting)."""


@dataclass
class FunctionStats:
    """One project function's figures, summed over every traced process and thread."""

    path: str
    name: str
    line: int
    end_line: int
    calls: int = 0
    total: float = 0.0
    own: float = 0.0
    callers: dict[str, int] = field(default_factory=dict)
    arg_types: dict[str, dict[str, int]] = field(default_factory=dict)
    return_types: dict[str, int] = field(default_factory=dict)
    sampled: int = 0
    hashable: int = 0
    unhashable: int = 0
    distinct: int = 0
    kind: str = "function"  # or "body": a module or class body
    timed: int = -1  # calls whose time was measured, the rest estimated from them (-1: all)
    values: list[bytes] = field(default_factory=list)  # distinct real calls, pickled (args, kwargs), for replay
    wait: float = 0.0  # own time off the CPU, where a per-thread CPU clock measured it
    wait_timed: int = 0  # calls timed where waiting is measured (0: not measured)
    blocked: float = 0.0  # the part of ``wait`` blocked (a lock, a sleep, I/O), not queued for a core

    @property
    def cpu(self) -> float | None:
        """Own time on the CPU: own time less the time spent off it (a lock, a sleep, I/O),
        None where it was not measured (no per-thread CPU clock; timed by ``_lsprof``)."""
        if self.wait_timed <= 0:
            return None
        return max(0.0, self.own - self.wait)

    @property
    def waiting(self) -> float | None:
        """Own time spent blocked: on a lock, a sleep, I/O (None where not measured; at most
        the own time). Where Linux's schedstat is there, time a busy machine kept the thread
        waiting for a core is not in it (it is in neither this nor :attr:`cpu`)."""
        return None if self.wait_timed <= 0 else min(self.own, self.blocked)

    @property
    def time_exact(self) -> bool:
        return self.timed < 0 or self.timed >= self.calls

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.path, self.name, self.line)


@dataclass
class ExceptionStats:
    type: str
    path: str
    line: int
    function: str
    raised: int = 0
    caught: int = 0


@dataclass
class TraceResult:
    command: list[str]
    started: float
    duration: float
    exit_code: int
    status: str  # ok | failed | timeout | interrupted
    interpreter: str = ""
    mode: str = ""
    calls: str = "exact"
    processes: list[dict[str, Any]] = field(default_factory=list)
    functions: list[FunctionStats] = field(default_factory=list)
    exceptions: list[ExceptionStats] = field(default_factory=list)
    coverage: dict[str, dict[str, set[int]]] = field(default_factory=dict)
    tests: list[dict[str, Any]] = field(default_factory=list)
    uncaught: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def process_seconds(self) -> float:
        """Summed lifetime of the traced processes: the denominator of time shares."""
        return sum(float(p.get("elapsed", 0.0)) for p in self.processes) or self.duration

    @property
    def has_test_coverage(self) -> bool:
        return any(test for test in self.coverage)


def default_command(root: Path, configured: str) -> list[str]:
    """The configured command; a leading ``python`` becomes the project's own interpreter."""
    words = shlex.split(configured)
    if words and words[0] in ("python", "python3"):
        for candidate in (root / ".venv" / "bin" / "python", root / "venv" / "bin" / "python"):
            if candidate.exists():
                words[0] = str(candidate)
                break
        else:
            if shutil.which(words[0]) is None:
                words[0] = sys.executable
    return words


INSTRUMENT_CACHE_FILES = 4000


def instrument_cache(root: Path) -> Path:
    """Where the collector keeps project modules compiled with probes (Python 3.11)."""
    return state_dir(root) / "cache" / "instrument"


def prune_instrument_cache(root: Path, keep: int = INSTRUMENT_CACHE_FILES) -> None:
    """Drop the least recently written entries beyond ``keep`` (edited files leave old ones)."""
    folder = instrument_cache(root)
    if not folder.is_dir():
        return
    entries = []
    for sub in folder.iterdir():
        if sub.is_dir():
            for f in sub.iterdir():
                with contextlib.suppress(OSError):
                    entries.append((f.stat().st_mtime, f))
    if len(entries) <= keep:
        return
    entries.sort()
    for _, f in entries[: len(entries) - keep]:
        with contextlib.suppress(OSError):
            f.unlink()


def collector_env(
    root: Path,
    outdir: Path,
    base: Mapping[str, str] | None = None,
    *,
    lines: bool = True,
    live: Path | None = None,
    type_samples: int = 8,
    flush_s: float = 5.0,
    mode: str = "auto",
    value_samples: int = 8,
    value_max_bytes: int = 2048,
    no_values: Sequence[str] = (),
) -> dict[str, str]:
    """The environment that makes every Python process started with it trace itself.

    Credentials (API keys, tokens, the SSH agent...) are left out: the traced command runs
    the project's code, and a trace has no use for them.
    """
    env = without_secrets(os.environ if base is None else base)
    old = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = str(COLLECTOR_DIR) + (os.pathsep + old if old else "")
    # PYTEST_PLUGINS gets the plugin from the collector itself, in the processes that load it.
    plugins = [p for p in env.get("PYTEST_PLUGINS", "").split(",") if p.strip() and p.strip() != PLUGIN_MODULE]
    if plugins:
        env["PYTEST_PLUGINS"] = ",".join(plugins)
    else:
        env.pop("PYTEST_PLUGINS", None)
    env["KAIZEN_TRACE_DIR"] = str(outdir)
    env["KAIZEN_TRACE_ROOT"] = str(root)
    env["KAIZEN_TRACE_LINES"] = "1" if lines else "0"
    env["KAIZEN_TRACE_SAMPLES"] = str(type_samples)
    # Real argument values for replay (trace.value-samples): kept in .kaizen/ only, never for
    # secret-looking functions or the trace.no-values paths (the collector decides, see
    # _sample_values there).
    env["KAIZEN_TRACE_VALUES"] = str(max(0, value_samples))
    env["KAIZEN_TRACE_VALUE_BYTES"] = str(value_max_bytes)
    env["KAIZEN_TRACE_NO_VALUES"] = "\n".join(g for g in no_values if g.strip())
    env["KAIZEN_TRACE_FLUSH"] = str(flush_s)
    env["KAIZEN_TRACE_MODE"] = mode
    # Python 3.11 compiles project modules with probes; the compiled code is kept here.
    env["KAIZEN_TRACE_CACHE"] = str(instrument_cache(root))
    env.pop("KAIZEN_TRACE_TEST", None)
    if live is not None:
        env["KAIZEN_TRACE_LIVE"] = str(live)
    else:
        env.pop("KAIZEN_TRACE_LIVE", None)
    return env


@contextlib.contextmanager
def _foreground(pgid: int) -> Iterator[None]:
    """Give the terminal to the command's process group (so Ctrl-C and tty reads reach it)."""
    fd = -1
    try:
        if sys.stdin.isatty() and os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp():
            fd = sys.stdin.fileno()
            os.tcsetpgrp(fd, pgid)
    except (OSError, ValueError, AttributeError):
        fd = -1
    try:
        yield
    finally:
        if fd >= 0:
            old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
            try:
                os.tcsetpgrp(fd, os.getpgrp())
            except OSError:
                pass
            finally:
                signal.signal(signal.SIGTTOU, old)


def _kill_group(proc: subprocess.Popen[bytes], first: int) -> None:
    """Signal the whole process group, then SIGKILL whatever is left after a grace period."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, first)
    try:
        proc.wait(KILL_GRACE_S)
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # grandchildren may outlive the leader
    proc.wait()


def run_traced(
    root: Path | str,
    command: Sequence[str] | str,
    *,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
    lines: bool = True,
    live: Path | None = None,
    type_samples: int = 8,
    mode: str = "auto",
    flush_s: float = 5.0,
    stdout: Any = None,
    stderr: Any = None,
    keep_dir: bool = False,
    value_samples: int = 8,
    value_max_bytes: int = 2048,
    no_values: Sequence[str] = (),
) -> TraceResult:
    """Run ``command`` in ``root`` with the collector injected; return the merged trace."""
    root = Path(root).resolve()
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if not argv:
        raise TraceError("no command to trace")
    outdir = state_dir(root) / "traces" / f"run-{int(time.time() * 1000)}-{os.getpid()}"
    outdir.mkdir(parents=True, exist_ok=True)
    prune_instrument_cache(root)
    run_env = collector_env(root, outdir, env, lines=lines, live=live, type_samples=type_samples,
                            flush_s=flush_s, mode=mode, value_samples=value_samples,
                            value_max_bytes=value_max_bytes, no_values=no_values)
    started = time.time()
    t0 = time.perf_counter()
    status = "ok"
    try:
        proc = subprocess.Popen(argv, cwd=root, env=run_env, stdout=stdout, stderr=stderr, process_group=0)
    except OSError as exc:
        shutil.rmtree(outdir, ignore_errors=True)
        raise TraceError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
    with _foreground(proc.pid):
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            status = "timeout"
            _kill_group(proc, signal.SIGTERM)
            code = TIMEOUT_EXIT
        except KeyboardInterrupt:
            status = "interrupted"
            _kill_group(proc, signal.SIGINT)
            code = 130
    duration = time.perf_counter() - t0
    if code < 0:  # killed by a signal: report it the way a shell does
        code = 128 - code
    if status == "ok" and code != 0:
        status = "failed"
    result = TraceResult(command=argv, started=started, duration=duration, exit_code=code, status=status)
    merge_dir(outdir, result, leader=proc.pid, value_samples=value_samples)
    if not keep_dir:
        shutil.rmtree(outdir, ignore_errors=True)
    return result


def _merge_snapshot(data: dict[str, Any], functions: dict[tuple[str, str, int], FunctionStats],
                    exceptions: dict[tuple[str, str, int], ExceptionStats], value_samples: int = 8) -> None:
    """Fold one process's snapshot (see the collector's ``_snapshot``) into the totals.

    Its functions, samples and exceptions are keyed by the process's own function keys, which
    ``meta`` names: ``(file, qualified name, first line, last line, is a module or class body)``.
    """
    meta: dict[Any, tuple[str, str, int, int, bool]] = data["meta"]
    names = {k: f"{m[0]}:{m[1]}:{m[2]}" for k, m in meta.items()}
    mine: dict[Any, FunctionStats] = {}
    for code, figures in data["functions"].items():
        calls, total, own, callers, timed = figures[:5]
        rel, qual, first, last, body = meta[code]
        fs = functions.get((rel, qual, first))
        if fs is None:
            fs = functions[rel, qual, first] = FunctionStats(rel, qual, first, last, kind="body" if body else "function",
                                                             timed=0)
        mine[code] = fs
        fs.calls += calls
        fs.timed += timed
        fs.total += total / 1e9
        fs.own += own / 1e9
        if len(figures) > 6:  # waiting and the calls timed where it is seen (see the collector's _cpu_check)
            fs.wait += figures[5] / 1e9
            fs.wait_timed += figures[6]
            fs.blocked += figures[7] / 1e9 if len(figures) > 7 else figures[5] / 1e9
        for caller, n in callers.items():
            if n:
                name = names.get(caller, "<external>")
                fs.callers[name] = fs.callers.get(name, 0) + n
    distinct: dict[Any, set[int]] = {}
    for sampled, hashable, hashes, arg_types, ret_types in data["samples"]:  # one per thread
        for code, n in sampled.items():
            if code in mine:
                mine[code].sampled += n
                mine[code].unhashable += n - hashable.get(code, 0)
        for code, n in hashable.items():
            if code in mine:
                mine[code].hashable += n
        for code, seen in hashes.items():
            distinct.setdefault(code, set()).update(seen)
        for (code, arg), types in arg_types.items():
            if code in mine:
                slot = mine[code].arg_types.setdefault(arg, {})
                for tn, n in types.items():
                    slot[tn] = slot.get(tn, 0) + n
        for code, types in ret_types.items():
            if code in mine:
                slot = mine[code].return_types
                for tn, n in types.items():
                    slot[tn] = slot.get(tn, 0) + n
    for code, seen in distinct.items():
        if code in mine:
            mine[code].distinct += len(seen)
    for kept in data.get("values", []):  # one per thread
        for code, calls in kept.items():
            fs = mine.get(code)
            if fs is None:
                continue
            for call in calls:
                if len(fs.values) < value_samples and isinstance(call, bytes) and call not in fs.values:
                    fs.values.append(call)
    for excs in data["exceptions"]:  # one per thread
        for (code, line, tname), (raised, caught) in excs.items():
            rel, qual = meta[code][:2]
            es = exceptions.get((tname, rel, line))
            if es is None:
                es = exceptions[tname, rel, line] = ExceptionStats(tname, rel, line, qual)
            es.raised += raised
            es.caught += caught


def merge_dir(outdir: Path, result: TraceResult, leader: int = 0, *, value_samples: int = 8) -> TraceResult:
    """Fold every ``trace-<pid>.marshal`` and ``cov-<pid>.jsonl`` of ``outdir`` into ``result``."""
    functions: dict[tuple[str, str, int], FunctionStats] = {}
    exceptions: dict[tuple[str, str, int], ExceptionStats] = {}
    for path in sorted(outdir.glob("trace-*.marshal")):
        try:
            data = marshal.loads(path.read_bytes())
            if not isinstance(data, dict):
                raise ValueError("not a snapshot")
        except (OSError, ValueError, EOFError, TypeError) as exc:
            result.errors.append(f"{path.name}: unreadable ({exc})")
            continue
        if data.get("version") != FORMAT_VERSION:
            result.errors.append(f"{path.name}: format {data.get('version')} not understood")
            continue
        try:
            _merge_snapshot(data, functions, exceptions, value_samples)
        except (KeyError, TypeError, ValueError) as exc:  # written by this Kaizen, atomically: not expected
            result.errors.append(f"{path.name}: malformed ({exc!r})")
            continue
        proc = {k: data.get(k) for k in ("pid", "ppid", "argv", "python", "implementation", "executable",
                                         "mode", "started", "elapsed", "final")}
        result.processes.append(proc)
        if data.get("pid") == leader or (not result.interpreter and data.get("ppid") == leader):
            result.interpreter = f"{data.get('implementation', 'cpython')} {data.get('python')} ({data.get('executable')})"
            result.mode = str(data.get("mode", ""))
        result.tests.extend(data.get("tests", []))
        for u in data.get("uncaught", []):
            result.uncaught.append({**u, "pid": data.get("pid")})
        result.errors.extend(f"pid {data.get('pid')}: {e}" for e in data.get("errors", []))
    for path in sorted(outdir.glob("cov-*.jsonl")):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            result.errors.append(f"{path.name}: unreadable ({exc})")
            continue
        for line in text.splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # a line cut short by a kill
            per_test = result.coverage.setdefault(str(rec.get("test", "")), {})
            for file, lines in rec.get("files", {}).items():
                per_test.setdefault(file, set()).update(int(n) for n in lines)
    if not result.mode and result.processes:
        result.mode = str(result.processes[0].get("mode", ""))
    if not result.interpreter and result.processes:
        p = result.processes[0]
        result.interpreter = f"{p.get('implementation', 'cpython')} {p.get('python')} ({p.get('executable')})"
    result.functions = sorted(functions.values(), key=lambda f: -f.own)
    result.exceptions = sorted(exceptions.values(), key=lambda e: -e.raised)
    return result
