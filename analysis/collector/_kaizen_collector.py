"""Kaizen's in-process tracer (standard library only; Python 3.11+).

Loaded by the ``sitecustomize`` in this folder when ``KAIZEN_TRACE_DIR`` is set. It records,
for the project's own code only (files under ``KAIZEN_TRACE_ROOT`` that are not in a virtual
environment or ``site-packages``):

* per function (file, qualified name, first line): exact calls, total (inclusive) and own
  time, callers (the nearest traced caller), sampled argument/return types and how often
  the sampled hashable arguments repeated;
* exceptions raised in project code (including those that only pass through it on their
  way out of a library), per type and line, with how many were caught in project code;
* line coverage, per test when pytest runs with the ``_kaizen_pytest`` plugin;
* test outcomes and uncaught exceptions with their tracebacks.

Python 3.12+ uses ``sys.monitoring``: code outside the project is switched off with
``DISABLE`` after its first event and each line is reported once per test, so untraced
code costs nothing. While the process runs one thread, project functions are counted and
timed in C by an ``_lsprof.Profiler`` (cProfile's engine) whose callbacks serve a second
monitoring tool, switched on for project code only; Python sees just the first calls of each
function (to sample types), exceptions and lines. While other threads run, ``_lsprof``'s
single stack would mix them up, so every thread is tracked in Python instead: exact counts,
with the time of a sample of calls (see ``_m_start``). When they have ended, the thread left
hands the timing back to ``_lsprof`` itself, at its next call (see ``_hand_back``).

Python 3.11 has no such thing, and any trace or profile function there
(even a no-op in C) puts every frame of the process on the slow unspecialised path; so 3.11
compiles the project's modules with probes at import instead (``_kaizen_instrument``,
mode "instrument") and everything else runs untouched. A 3.11 process whose main program is
a project script (``python script.py``, compiled by the interpreter before any hook could
see it) re-executes itself as ``python _kaizen_main.py script.py`` (see ``_reexec_script``);
where that cannot be done, it falls back to ``sys.settrace`` with a global function that
declines every frame outside the project (mode "settrace"; ``KAIZEN_TRACE_MODE`` can force
either). The
instrumented code is cached in ``KAIZEN_TRACE_CACHE`` (Kaizen's store), keyed by source.

Each process writes ``trace-<pid>.marshal`` (a snapshot, atomically replaced) and appends the
coverage of every finished test to ``cov-<pid>.jsonl`` in ``KAIZEN_TRACE_DIR``. Data is
flushed periodically from the traced threads, at exit, on SIGTERM (then the previous
handler runs) and when a multiprocessing worker finishes, so a crash, Ctrl-C or a timeout
keeps what was gathered. Threads keep their own accumulators (no lock on the hot path);
they are merged at flush or when Kaizen reads the snapshot. Nothing is printed and the exit
code is never touched.
"""

from __future__ import annotations

import atexit
import gc
import json
import marshal
import os
import sys
import threading
import time
from types import CodeType, FrameType

TYPE_CHECKING = False  # not typing's: importing typing costs a traced process ~7 ms
if TYPE_CHECKING:
    from typing import Any

try:
    import _signal as signal  # the C module: ``signal`` imports enum, ~6 ms for every traced process
except ImportError:  # another implementation
    import signal
try:
    import _lsprof  # CPython's, behind cProfile; its monitoring callbacks exist since 3.12
except ImportError:  # another implementation
    _lsprof = None  # type: ignore[assignment]

FORMAT_VERSION = 2
_now = time.perf_counter_ns
_cpu_now: Any = getattr(time, "thread_time_ns", None)  # this thread's CPU clock, where the platform has one
_CPU_CHECK_NS = 1_000_000  # a thread compares its CPU clock with the wall clock at most once a millisecond
_NEVER = 1 << 62
_SCHED_MIN_NS = 500_000  # time off the CPU worth asking the kernel whether it was queued for a core
_SCHED = False  # Linux's per-thread schedstat is readable (set by install)
_MON: Any = getattr(sys, "monitoring", None)  # Python 3.12+

# --- settings (from the environment; set by analysis/tracing.py) ---------------------------

_OUTDIR = ""
_ROOT = ""
_LIVE = ""
_LINES = True
_TYPE_LIMIT = 8
_FLUSH_NS = 5_000_000_000
_SAMPLE_FIRST = 8  # calls sampled (types, argument hashes) before thinning out ...
_SAMPLE_EVERY = 64  # ... to one call in 64
_TIME_FIRST = 128  # sys.monitoring: calls of a function timed before thinning out ...
_TIME_EVERY = 32  # ... to one call in 32 (the others are counted, and their time estimated)
_LSP_SAMPLES = 32  # calls of a function timed by _lsprof whose types are sampled
_LSP_RETURNS = 32  # times _lsprof takes the timing back after threads ran (each costs ~1 ms)
_VALUE_LIMIT = 0  # distinct pickled calls kept per function for replay (0: none)
_VALUE_BYTES = 2048  # the largest pickled call kept
_NO_VALUES: tuple[str, ...] = ()  # path globs whose argument values are never kept
_VALUE_TRIES = 8  # sampled calls of a function whose arguments were not kept (or repeated) before giving up
_EXCLUDED_DIRS = frozenset(
    {"site-packages", "dist-packages", ".venv", "venv", ".tox", ".nox", "__pypackages__", ".git",
     ".kaizen", "node_modules", ".eggs"}
)
_GEN_FLAGS = 0x20 | 0x80 | 0x200  # CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR
_SIMPLE = (int, float, str, bytes, bool, type(None), complex)

# --- process state --------------------------------------------------------------------------

_installed = False
_mode = ""  # "monitoring" or "settrace"
_tool = -1
_pid = 0
_started_wall = 0.0
_started_ns = 0
_last_flush_ns = 0
_next_flush_ns = 0  # perf_counter_ns deadline of the next periodic flush
_flush_lock = threading.RLock()
_state_lock = threading.RLock()  # re-entrant: a SIGTERM flush may interrupt _state()
_states: list[_Thread] = []
_tls = threading.local()
# Code objects hash by content (slow): everything is keyed by id(code), and _code_of holds
# each code object seen so that an id is never reused for another one.
_kinds: dict[int, bool] = {}  # id(code) -> is it project code?
_code_of: dict[int, CodeType] = {}
_meta: dict[Any, tuple[str, str, int, int, bool]] = {}  # code -> (relpath, qualname, first, last, is a body)
_files: dict[str, str | None] = {}  # co_filename -> project-relative path, or None
_real_dirs: dict[str, str] = {}  # folder -> its real path
_top_dirs: dict[str, bool] = {}  # first path component -> is it a virtual environment?
_nlines: dict[int, int] = {}  # distinct lines of a code object that can report (see _classify)
_gen_start: dict[int, int] = {}  # settrace mode: f_lasti of a fresh generator frame
_line_cache: dict[int, list[tuple[int, int, int]]] = {}
_cur_test = ""
_cur_cov: dict[int, dict[int, None]] = {}  # a dict of ints: not tracked by the GC
_growth: dict[int, list[int]] = {}  # settrace: id(code) -> [lines seen, calls since a new one]
_SATURATE = 8
_cov_pending: list[str] = []  # finished tests' coverage as JSON lines, not yet on disk
_tests: list[dict[str, Any]] = []
_uncaught: list[dict[str, Any]] = []
_errors: list[str] = []
_live_sent: dict[Any, tuple[int, ...]] = {}
_prev_sigterm: Any = None
_prev_excepthook: Any = None
_prev_thread_hook: Any = None
_DISABLE: Any = None
_held: dict[int, int] = {}  # sys.monitoring: id(code) -> threads timing a call of it now
_by_ident: dict[int, _Thread] = {}
# sys.monitoring with one thread: _lsprof counts and times project functions in C
_lsp: Any = None  # the _lsprof.Profiler, when a second tool id was free
_lsp_on = False  # is it timing now (one thread), or is Python (other threads run)?
_lsp_tool = -1
_smp_tool = -1
_lsp_codes: set[int] = set()  # the functions it times (not generators: Python counts those)
# calls (id(code)) and caller pairs it will count twice: running when Python handed over
_lsp_extra: dict[Any, int] = {}
_boot: Any = None  # threading.Thread._bootstrap_inner's code: a thread starts or ends
_switch_lock = threading.RLock()
_lsp_returns = 0
_lsp_left = 0  # ident of the thread left when the others ended: at its next call, _lsprof times again
_live_thread: Any = None


class _Thread:
    """One thread's accumulators; only that thread writes them."""

    __slots__ = ("arg_types", "cpu_at", "cpu_due", "cpu_queued", "cpu_wall", "distinct", "done", "escaped", "excs", "funcs",
                 "hashable", "last_exc", "last_key",
                 "pending", "pickling", "ret_types", "sampled", "stack", "unwound", "value_tries", "values")

    def __init__(self) -> None:
        # stack entries: [code, start_ns, child_ns, rec, sampled, id(code)]
        self.stack: list[list[Any]] = []
        # rec: [calls, total_ns, own_ns, active, callers{id(code)|None: n}, last caller,
        #       calls from it not yet in callers, call number of the next sample, untimed,
        #       timed calls, own_ns of recent timed calls (moving average), timing now
        #       (sys.monitoring: this thread holds PY_RETURN on), call number of the last
        #       caller sample, ns off the CPU, ns of those blocked (see _cpu_check)]
        self.funcs: dict[int, list[Any]] = {}
        self.done: list[dict[int, list[Any]]] = []  # funcs of earlier Python phases (see _to_lsprof)
        # Sampled calls, per function (id(code), or a probe's uid): their argument and return
        # types, how many had only hashable arguments and the distinct hashes of those. Flat
        # dicts of numbers and strings, which the cyclic GC does not track: a sample object per
        # function meant thousands more containers for the program's GC to count and scan.
        self.sampled: dict[Any, int] = {}
        self.hashable: dict[Any, int] = {}
        self.distinct: dict[Any, dict[int, None]] = {}
        self.arg_types: dict[tuple[Any, str], dict[str, int]] = {}
        self.ret_types: dict[Any, dict[str, int]] = {}
        # Real calls for replay (see _sample_values): function -> {pickled (args, kwargs): None}
        self.values: dict[Any, dict[bytes, None]] = {}
        self.value_tries: dict[Any, int] = {}
        self.pickling = False
        self.excs: dict[tuple[int, int, str], list[int]] = {}
        self.unwound: BaseException | None = None
        self.escaped: BaseException | None = None  # left the project's code (see _m_raise)
        self.last_exc: BaseException | None = None
        self.last_key: tuple[int, int, str] | None = None
        self.pending: tuple[FrameType, BaseException, tuple[int, int, str]] | None = None
        # When this thread last compared its CPU clock with the wall clock (see _cpu_check).
        self.cpu_wall = _now()
        self.cpu_at = _cpu_now() if _cpu_now is not None else 0
        self.cpu_due = self.cpu_wall + _CPU_CHECK_NS if _cpu_now is not None else _NEVER
        self.cpu_queued = _queued() if _SCHED else 0


def _state() -> _Thread:
    try:
        st: _Thread = _tls.st
        return st
    except AttributeError:
        st = _tls.st = _Thread()
        with _state_lock:
            _states.append(st)
            _by_ident[threading.get_ident()] = st
        return st


# --- classification ------------------------------------------------------------------------


def _relpath(filename: str) -> str | None:
    """The project-relative POSIX path of a code file, or None when it is not project code."""
    if not filename or filename[0] == "<":
        return None
    path = filename if os.path.isabs(filename) else os.path.join(_CWD, filename)
    if os.path.islink(path):
        path = os.path.realpath(path)
    else:  # os.path.realpath is Python code, dear with hundreds of files: once per folder
        folder, name = os.path.split(path)
        real = _real_dirs.get(folder)
        if real is None:
            real = _real_dirs[folder] = os.path.realpath(folder)
        path = os.path.join(real, name)
    if not path.startswith(_ROOT):
        return None
    rel = path[len(_ROOT):]
    parts = rel.split(os.sep)
    if _EXCLUDED_DIRS.intersection(parts) or path.startswith(_PREFIXES):
        return None
    top = parts[0]
    if len(parts) > 1:
        is_env = _top_dirs.get(top)
        if is_env is None:
            is_env = _top_dirs[top] = os.path.exists(os.path.join(_ROOT, top, "pyvenv.cfg"))
        if is_env:
            return None
    return "/".join(parts)


def _classify(code: CodeType) -> bool:
    filename = code.co_filename
    try:
        rel = _files[filename]
    except KeyError:
        rel = _files[filename] = _relpath(filename)
    project = rel is not None
    if project:
        lines = {ln for _, _, ln in code.co_lines() if ln is not None}
        _meta[id(code)] = (rel or "", code.co_qualname, code.co_firstlineno, max(lines, default=code.co_firstlineno),
                           not code.co_flags & 0x01)  # not CO_OPTIMIZED: a module or class body
        if _mode != "monitoring":
            _nlines[id(code)] = len(lines)
        else:
            # LINE never reports the prologue (up to the first RESUME): a function whose
            # other lines have all run in a test needs LINE no more (see _m_line).
            first = code.co_code[::2].find(_RESUME_OP) * 2 + 2
            _nlines[id(code)] = len({ln for _, end, ln in code.co_lines() if end > first and ln is not None and ln >= 0})
            try:
                _MON.set_local_events(_tool, code, _LOCAL_EVENTS)
                if _lsp is not None and not code.co_flags & _GEN_FLAGS:
                    _lsp_codes.add(id(code))
                    _set_local_events(code)
                    if _lsp_on:
                        _MON.set_local_events(_smp_tool, code, _START | _RETURN)
            except ValueError:
                project = False
    _kinds[id(code)] = project
    _code_of[id(code)] = code  # holding the code keeps its id from being reused
    return project


def _b_events(cid: int) -> int:
    """The main tool's local events for a project code object: LINE, and PY_RETURN while timed."""
    if _held.get(cid) and cid not in _lsp_codes:
        return _LOCAL_EVENTS | _RETURN
    return _LOCAL_EVENTS


def _line_of(code: CodeType, offset: int) -> int:
    table = _line_cache.get(id(code))
    if table is None:
        table = _line_cache[id(code)] = [(s, e, ln if ln is not None else 0) for s, e, ln in code.co_lines()]
    for start, end, line in table:
        if start <= offset < end:
            return line
    return code.co_firstlineno


# --- sampling --------------------------------------------------------------------------------


def _tname(value: object, depth: int = 0) -> str:
    t = type(value)
    name = t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
    if depth:
        return name
    try:
        if t is list or t is set or t is frozenset:
            if value:
                return f"{name}[{_tname(next(iter(value)), 1)}]"  # type: ignore[call-overload]
        elif t is dict:
            if value:
                k, v = next(iter(value.items()))  # type: ignore[attr-defined]
                return f"dict[{_tname(k, 1)}, {_tname(v, 1)}]"
        elif t is tuple:
            items: tuple[Any, ...] = value  # type: ignore[assignment]
            if 0 < len(items) <= 4:
                return "tuple[" + ", ".join(_tname(x, 1) for x in items) + "]"
            if items:
                return f"tuple[{_tname(items[0], 1)}, ...]"
    except Exception:
        pass
    return name


def _is_simple(value: object) -> bool:
    t = type(value)
    if t in _SIMPLE:
        return True
    if t is tuple or t is frozenset:
        return all(type(x) in _SIMPLE for x in value)  # type: ignore[attr-defined]
    return False


def _sample_args(st: _Thread, code: CodeType, frame: FrameType, key: Any = None) -> None:
    if key is None:
        key = id(code)
    st.sampled[key] = st.sampled.get(key, 0) + 1
    try:
        nargs = code.co_argcount + code.co_kwonlyargcount
        flags = code.co_flags
        nargs += bool(flags & 0x04) + bool(flags & 0x08)
        values = []
        if nargs:
            f_locals = frame.f_locals
            arg_types = st.arg_types
            for name in code.co_varnames[:nargs]:
                value = f_locals[name]
                values.append(value)
                seen = arg_types.get((key, name))
                if seen is None:
                    seen = arg_types[key, name] = {}
                tn = _tname(value)
                if tn in seen or len(seen) < _TYPE_LIMIT:
                    seen[tn] = seen.get(tn, 0) + 1
                else:
                    seen["..."] = seen.get("...", 0) + 1
        if all(_is_simple(v) for v in values):
            st.hashable[key] = st.hashable.get(key, 0) + 1
            distinct = st.distinct.get(key)
            if distinct is None:
                distinct = st.distinct[key] = {}
            if len(distinct) < 4096:
                distinct[hash(tuple(values))] = None
        if _VALUE_LIMIT and not st.pickling:
            kept = st.values.get(key)
            if kept is None or len(kept) < _VALUE_LIMIT:
                _sample_values(st, key, code, values, kept)
    except Exception:
        pass


# Words of a function's path, name or parameters that mark it as handling secrets: its
# argument values are never kept. Whole words (split at non-letters and camelCase humps),
# and the stems of the longer ones.
_SECRET_WORDS = frozenset({"password", "passwd", "passphrase", "pwd", "secret", "secrets", "token", "tokens",
                           "key", "keys", "apikey", "credential", "credentials", "auth", "private", "privkey",
                           "cookie", "cookies", "hmac", "otp", "pin", "ssn", "jwt", "bearer"})
_SECRET_STEMS = ("passw", "secret", "credential", "authent", "authori", "privat")
# A parameter called plain ``key`` is a dict or sort key far more often than a secret: in
# parameter names only these compounds count ("api_key", "signingKey"...).
_PARAM_PLAIN = frozenset({"key", "keys", "pin"})
_KEY_COMPOUNDS = ("apikey", "accesskey", "signingkey", "privatekey", "secretkey", "masterkey", "encryptionkey",
                  "sessionkey", "licensekey")
_value_ok: dict[Any, bool] = {}  # function -> may its argument values be kept?


def _words(text: str) -> list[str]:
    words: list[str] = []
    cur = ""
    prev = ""
    for ch in text:
        if not ch.isalnum():
            if cur:
                words.append(cur.lower())
            cur = ""
        elif ch.isupper() and prev.islower() and cur:
            words.append(cur.lower())
            cur = ch
        else:
            cur += ch
        prev = ch
    if cur:
        words.append(cur.lower())
    return words


def _values_allowed(key: Any, code: CodeType) -> bool:
    """Not a function whose path, module, name or parameters look secret-bearing, nor under a
    ``trace.no-values`` glob."""
    meta = _meta.get(key)
    if meta is not None and meta[4]:
        return False  # a module or class body: nothing to call
    rel, qual = (meta[0], meta[1]) if meta is not None else (_files.get(code.co_filename) or "", code.co_qualname)
    name = rel.rsplit("/", 1)[-1]
    if not rel or name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py":
        return False  # tests and fixtures are not what replay calls
    if _NO_VALUES:
        import fnmatch

        if any(fnmatch.fnmatchcase(rel, g) or rel.startswith(g.rstrip("/") + "/") for g in _NO_VALUES):
            return False
    for text in (rel, qual):
        for word in _words(text):
            if word in _SECRET_WORDS or word.startswith(_SECRET_STEMS):
                return False
    nargs = code.co_argcount + code.co_kwonlyargcount + bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)
    for name in code.co_varnames[:nargs]:
        words = _words(name)
        joined = "".join(words)
        if any(k in joined for k in _KEY_COMPOUNDS):
            return False
        for word in words:
            if (word in _SECRET_WORDS and word not in _PARAM_PLAIN) or word.startswith(_SECRET_STEMS):
                return False
    return True


class _Full(Exception):
    pass


class _Bounded:
    """A pickle output that refuses to grow past ``_VALUE_BYTES`` (a huge argument costs one
    64 KiB frame of pickling, not its whole size)."""

    __slots__ = ("parts", "size")

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: Any) -> int:
        self.size += len(data)
        if self.size > _VALUE_BYTES:
            raise _Full
        self.parts.append(bytes(data))
        return len(data)


_UNKEPT = frozenset({"module", "generator", "coroutine", "async_generator", "frame", "traceback", "code"})
_CONTAINERS = (list, tuple, set, frozenset)


def _small(values: list[Any]) -> bool:
    """Whether the arguments are a small graph worth pickling: at most ``_VALUE_BYTES // 8``
    objects, walked without running project code (``__dict__`` read directly). Pickling a
    large object, or a big graph that ends in something unpicklable (a pytest fixture, a
    connection), is what would cost: this refuses it after a few hundred steps."""
    budget = max(16, _VALUE_BYTES // 8)
    stack = list(values)
    seen = 0
    getattribute = object.__getattribute__
    while stack:
        v = stack.pop()
        seen += 1
        if seen > budget:
            return False
        t = type(v)
        if t in _SIMPLE:
            if (t is str or t is bytes) and len(v) > _VALUE_BYTES:
                return False
        elif t in _CONTAINERS:
            if len(v) > budget:
                return False
            stack.extend(v)
        elif t is dict:
            if len(v) > budget:
                return False
            stack.extend(v.keys())
            stack.extend(v.values())
        elif t.__name__ in _UNKEPT or isinstance(v, type):
            if not isinstance(v, type):
                return False  # classes pickle by reference: one step
        else:
            try:
                d = getattribute(v, "__dict__")
            except Exception:
                continue  # __slots__ or a C object: pickling decides
            if type(d) is dict:
                if len(d) > budget:
                    return False
                stack.extend(d.values())
    return True


# Cheap literal gates (bytes.find, in C): the patterns run only when one of these occurs.
_SECRET_HINTS = (b"private key", b"akia", b"asia", b"sk-", b"gh", b"github_pat_", b"glpat-", b"xox", b"aiza",
                 b"_live_", b"_test_", b"eyj", b"://", b"bearer", b"basic", b"token", b"passw", b"secret", b"api",
                 b"credential")
_secret_re: list[Any] = []  # [shapes, hex]: compiled at the first check (the collector does not import re up front)


def _looks_secret(data: bytes) -> bool:
    if not _secret_re:
        import re

        _secret_re.append(re.compile(
            rb"PRIVATE KEY|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|sk-[A-Za-z0-9_\-]{16,}|\bgh[pousr]_[A-Za-z0-9]{30,}"
            rb"|github_pat_|glpat-[A-Za-z0-9_\-]{20,}|xox[abposr]-|AIza[0-9A-Za-z_\-]{35}|[sr]k_(?:live|test)_"
            rb"|eyJ[A-Za-z0-9_\-]{10,}\.eyJ|[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]{3,}@"
            rb"|(?i:bearer|basic|token)[ \t]+[A-Za-z0-9._~+/\-]{12,}|(?i:passw|secret|api[_-]?key|credential)"))
        _secret_re.append(re.compile(rb"(?<![0-9A-Za-z])[0-9a-fA-F]{32,}(?![0-9A-Za-z])"))
    low = data.lower()
    if any(h in low for h in _SECRET_HINTS) and _secret_re[0].search(data) is not None:
        return True
    return _secret_re[1].search(data) is not None  # a long hex run: one character class, fast


def _sample_values(st: _Thread, key: Any, code: CodeType, values: list[Any], kept: dict[bytes, None] | None) -> None:
    """Keep this call's arguments, pickled, when small, picklable, stable and not secret-like."""
    if kept is None:
        ok = _value_ok.get(key)
        if ok is None:
            ok = _value_ok[key] = _values_allowed(key, code)
        if not ok:
            return
    tries = st.value_tries.get(key, 0)
    if tries >= _VALUE_TRIES:
        return
    if not _small(values):  # a large argument is not pickled at all
        st.value_tries[key] = tries + 1
        return
    st.pickling = True
    try:
        import _pickle

        pos, n_kw = code.co_argcount, code.co_kwonlyargcount
        args = list(values[:pos])
        kwargs = dict(zip(code.co_varnames[pos:pos + n_kw], values[pos:pos + n_kw], strict=True))
        i = pos + n_kw
        if code.co_flags & 0x04:
            args.extend(values[i])
            i += 1
        if code.co_flags & 0x08:
            kwargs.update(values[i])
        out = _Bounded()
        _pickle.Pickler(out, 4).dump((tuple(args), kwargs))
        data = b"".join(out.parts)
        if b"__main__" in data or _pickle.dumps(_pickle.loads(data), 4) != data or _looks_secret(data):
            raise _Full
        if kept is None:
            kept = st.values[key] = {}
        elif data in kept:
            raise _Full  # a repeat: counts as a try, so a function always called alike stops costing
        kept[data] = None
    except Exception:  # unpicklable, too big, unstable, secret-like, a __reduce__ that raises
        st.value_tries[key] = tries + 1
    finally:
        st.pickling = False


def _sample_return(st: _Thread, key: Any, value: object) -> None:
    if key not in st.sampled:
        return
    seen = st.ret_types.get(key)
    if seen is None:
        seen = st.ret_types[key] = {}
    tn = _tname(value)
    if tn in seen or len(seen) < _TYPE_LIMIT:
        seen[tn] = seen.get(tn, 0) + 1


# --- shared bookkeeping for both modes --------------------------------------------------------


def _new_rec() -> list[Any]:
    return [0, 0, 0, 0, {}, None, 0, 1, False, 0, 0, False, 0, 0, 0]


def _cpu_check(st: _Thread, rec: list[Any] | None, now: int) -> None:
    """Charge the wall time this thread spent off the CPU since its last check to ``rec``, the
    function running when it ended: all of it (rec[13]), and the part it was blocked (rec[14]:
    a lock, a sleep, I/O), not queued for a core on a busy machine, as Linux's schedstat tells.

    Called at a timed call's start or end once a millisecond has passed since the last check,
    so a blocking call (seen at its caller's next event) lands on the function that made it,
    and reading the thread's CPU clock (a system call on Linux) costs at most one per ms.
    """
    cpu = _cpu_now()
    if rec is not None and st.cpu_wall >= 0:
        off = now - st.cpu_wall - (cpu - st.cpu_at)
        if off > 0:
            rec[13] += off
            if not _SCHED:
                rec[14] += off
            elif off > _SCHED_MIN_NS:
                queued = _queued()
                blocked = off - (queued - st.cpu_queued)
                st.cpu_queued = queued
                if blocked > 0:
                    rec[14] += blocked
    st.cpu_wall = now
    st.cpu_at = cpu
    st.cpu_due = now + _CPU_CHECK_NS


def _switch_caller(rec: list[Any], caller: int | None) -> None:
    """Bank the run of calls from the previous caller; a loop then costs one compare a call."""
    if rec[6]:
        callers = rec[4]
        last = rec[5]
        callers[last] = callers.get(last, 0) + rec[6]
    rec[5] = caller
    rec[6] = 1


def _next_sample(n: int) -> int:
    return n + 1 if n < _SAMPLE_FIRST else n + _SAMPLE_EVERY


def _enter(st: _Thread, code: CodeType, frame: FrameType | None, fresh: bool) -> None:
    stack = st.stack
    funcs = st.funcs
    cid = id(code)
    rec = funcs.get(cid)
    if rec is None:
        rec = funcs[cid] = _new_rec()
    sampled = False
    if fresh:
        n = rec[0] = rec[0] + 1
        caller = stack[-1][5] if stack else None
        if caller == rec[5]:
            rec[6] += 1
        else:
            _switch_caller(rec, caller)
        if n == rec[7]:
            rec[7] = _next_sample(n)
            sampled = True
            _sample_args(st, code, frame if frame is not None else sys._getframe(2))
    rec[3] += 1
    now = _now()
    if now > st.cpu_due:
        _cpu_check(st, stack[-1][3] if stack else None, now)
    stack.append([code, now, 0, rec, sampled, cid])
    if now > _next_flush_ns:
        flush()


def _leave(st: _Thread, code: CodeType, retval: Any, returned: bool) -> None:
    stack = st.stack
    if not stack:
        return
    entry = stack.pop()
    if entry[0] is not code:
        # Out of step (a generator thrown into, a tracer swapped): unwind to the matching frame.
        stack.append(entry)
        for i in range(len(stack) - 1, -1, -1):
            if stack[i][0] is code:
                break
        else:
            return
        now = _now()
        while len(stack) > i + 1:
            _close(stack, stack.pop(), now)
        entry = stack.pop()
    now = _now()
    if now > st.cpu_due:
        _cpu_check(st, entry[3], now)
    _close(stack, entry, now)
    if returned and entry[4]:
        _sample_return(st, id(code), retval)


def _close(stack: list[list[Any]], entry: list[Any], now: int) -> None:
    elapsed = now - entry[1]
    rec = entry[3]
    own = max(0, elapsed - entry[2])
    rec[2] += own
    rec[9] += 1
    rec[10] = own if rec[9] <= 8 else rec[10] + ((own - rec[10]) >> 3)
    rec[3] -= 1
    if rec[3] <= 0:  # outermost activation: recursion is not counted twice
        rec[3] = 0
        rec[1] += elapsed
    if stack:
        stack[-1][2] += elapsed


def _left_project(st: _Thread, key: Any, exc: BaseException) -> None:
    """A counted raise unwinds into a caller outside the project: not caught (so far)."""
    st.excs[key][1] -= 1
    st.escaped = exc


def _back_in_project(st: _Thread, key: Any) -> None:
    """The raise that left comes back into project code (through a library's frames)."""
    st.escaped = None
    st.excs[key][1] += 1


def _raised(st: _Thread, code: CodeType, line: int, exc: BaseException) -> tuple[int, int, str]:
    """Count a new raise (not one passing through from a callee); returns its key."""
    key = (id(code), line, type(exc).__qualname__)
    counts = st.excs.get(key)
    if counts is None:
        counts = st.excs[key] = [0, 0]
    counts[0] += 1
    st.last_exc = exc
    st.last_key = key
    return key


# --- Python 3.12+: sys.monitoring ---------------------------------------------------------------
#
# Three tools. The main one (_tool) has PY_START everywhere: it classifies each code object on
# its first call and then switches it off (DISABLE), except for generators, whose calls it
# counts; it also gets exceptions (RAISE and the like cannot be local events) and LINE. The
# timing tool (_lsp_tool) has PY_START and PY_RETURN on project functions only; its callbacks
# are _lsprof's (C) while one thread runs, _m_start/_m_return (Python) while several do. The
# sampling tool (_smp_tool) samples the types of the first calls _lsprof times.


def _b_start(code: CodeType, offset: int) -> Any:
    """The main tool's PY_START: the first call of every code object, and generators' calls."""
    cid = id(code)
    project = _kinds.get(cid)
    if project is None:
        if _files.get(code.co_filename, "") is None and code is not _boot:
            return _DISABLE  # in a file already known to be outside the project (most code)
        project = _classify(code)
        if project and cid in _lsp_codes:
            _first_call(code, offset)
            return _DISABLE
    if not project:
        if code is _boot:
            _thread_starts()
            return None  # stays on: every thread start is seen
        return _DISABLE
    if cid in _lsp_codes:
        return _DISABLE  # the timing tool's (the main tool came back on after a fork)
    return _m_start(code, offset)


def _first_call(code: CodeType, offset: int) -> None:
    """The first call of a project function: the timing tool missed it (switched on just now)."""
    if _lsp_on:
        _lsp._pystart_callback(code, offset)
        _sample_args(_state(), code, _frame_of(code))  # the sampling tool takes the next ones
    else:
        _m_start(code, offset)


def _frame_of(code: CodeType) -> FrameType:
    """The frame of the call of ``code`` that a callback is reporting."""
    frame = sys._getframe(2)
    while frame.f_code is not code and frame.f_back is not None:
        frame = frame.f_back
    return frame


def _m_start(code: CodeType, offset: int) -> Any:
    # The hot path while several threads run (and for generators, and when no tool id was
    # left for _lsprof). Most calls are only counted: a function is
    # timed on its first _TIME_FIRST calls, then on one call in _TIME_EVERY, and PY_RETURN is
    # on for it only while a timed call runs. An untimed call charges the recent own time of its
    # function's timed calls to the nearest timed caller, whose own time must not include it.
    try:
        st = _tls.st
    except AttributeError:
        st = _state()
    cid = id(code)
    rec = st.funcs.get(cid)
    if rec is None:
        rec = st.funcs[cid] = _new_rec()
        rec[8] = bool(code.co_flags & _GEN_FLAGS)
    n = rec[0] = rec[0] + 1
    if n != rec[7]:
        if rec[11]:  # a recursive call inside a timed one: PY_RETURN is on, so time it too
            rec[3] += 1
            st.stack.append([code, _now(), 0, rec, False, cid])
        else:
            stack = st.stack
            if stack:
                stack[-1][2] += rec[10]
        return None
    _m_timed(st, code, cid, rec, n)
    return None


def _m_timed(st: _Thread, code: CodeType, cid: int, rec: list[Any], n: int) -> None:
    """A timed call: its caller (from the frames), sampled types, and a stack entry."""
    rec[7] = n + 1 if n < _TIME_FIRST else n + _TIME_EVERY
    frame = _frame_of(code)
    # The nearest project caller comes from the frames: untimed calls are not on the stack.
    # It stands for the calls since the previous timed one (callers are estimated past
    # _TIME_FIRST calls). A generator is not a caller: its calls count for its consumer, as
    # its time does (and as _lsprof sees it).
    back = frame.f_back
    while back is not None and (not _kinds.get(id(back.f_code)) or back.f_code.co_flags & _GEN_FLAGS):
        back = back.f_back
    caller = id(back.f_code) if back is not None else None
    callers = rec[4]
    callers[caller] = callers.get(caller, 0) + n - rec[12]
    rec[12] = n
    sampled = n <= _SAMPLE_FIRST or not n % _SAMPLE_EVERY
    if sampled:
        _sample_args(st, code, frame)
    if rec[8]:
        return  # a generator: counted, not timed (see install)
    if not rec[11]:
        rec[11] = True
        _hold_returns(code, cid)
    rec[3] += 1
    now = _now()
    if now > st.cpu_due:
        _cpu_check(st, st.stack[-1][3] if st.stack else None, now)
    st.stack.append([code, now, 0, rec, sampled, cid])
    if now > _next_flush_ns:
        flush()


def _hold_returns(code: CodeType, cid: int) -> None:
    held = _held.get(cid, 0)
    _held[cid] = held + 1
    if not held:
        _set_local_events(code)


def _release_returns(code: CodeType, cid: int) -> None:
    held = _held.get(cid, 1) - 1
    _held[cid] = max(held, 0)
    if held <= 0:
        _set_local_events(code)


def _set_local_events(code: CodeType) -> None:
    """Switch a project function's local events to what the current mode asks for."""
    cid = id(code)
    try:
        if cid not in _lsp_codes:
            _MON.set_local_events(_tool, code, _b_events(cid))
        elif _lsp_on:
            _MON.set_local_events(_lsp_tool, code, _START | _RETURN)
        else:
            _MON.set_local_events(_lsp_tool, code, _START | (_RETURN if _held.get(cid) else 0))
    except ValueError:
        pass


def _m_settle(code: CodeType, rec: list[Any]) -> None:
    """After a timed call ended off the fast path: release PY_RETURN unless still timing."""
    if rec[11] and rec[3] <= 0 and rec[7] != rec[0] + 1:
        rec[11] = False
        _release_returns(code, id(code))


def _m_return(code: CodeType, offset: int, retval: object) -> Any:
    # Fires only for functions some thread is timing now (a local event), and at thread ends.
    try:
        st = _tls.st
    except AttributeError:
        if code is _boot:
            _thread_ends()
        return None
    stack = st.stack
    if stack:
        entry = stack[-1]
        if entry[0] is code:
            stack.pop()
            now = _now()
            elapsed = now - entry[1]
            rec = entry[3]
            if now > st.cpu_due:
                _cpu_check(st, rec, now)
            own = elapsed - entry[2]
            if own < 0:  # the estimated own time of untimed callees overshot
                own = 0
            rec[2] += own
            # what an untimed call charges its caller: recent timed calls weigh most
            timed = rec[9] = rec[9] + 1
            rec[10] = own if timed <= 8 else rec[10] + ((own - rec[10]) >> 3)
            rec[3] -= 1
            if rec[3] <= 0:  # outermost activation: recursion is not counted twice
                rec[3] = 0
                rec[1] += elapsed
                if rec[7] != rec[0] + 1:  # the next call is not timed: PY_RETURN off
                    rec[11] = False
                    _release_returns(code, entry[5])
            if stack:
                stack[-1][2] += elapsed
            if entry[4]:
                _sample_return(st, entry[5], retval)
            return None
    rec = st.funcs.get(id(code))
    if rec is not None and rec[11]:  # out of step; else another thread is timing it
        _leave(st, code, retval, True)
        _m_settle(code, rec)
    elif code is _boot:
        _thread_ends()
    return None


def _m_unwind(code: CodeType, offset: int, exc: BaseException) -> None:
    cid = id(code)
    if not _kinds.get(cid):
        return
    try:
        st = _tls.st
    except AttributeError:
        st = _state()
    if _lsp_on and cid in _lsp_codes:
        _lsp._pyreturn_callback(code, offset, exc)  # _lsprof has no PY_UNWIND (not a local event)
    else:
        rec = st.funcs.get(cid)
        if rec is not None and rec[11]:
            _leave(st, code, None, False)
            _m_settle(code, rec)
    st.unwound = exc
    if exc is not st.last_exc or st.last_key is None:
        return  # not a counted raise (a generator being closed, say)
    frame = sys._getframe(1)
    while frame.f_code is not code and frame.f_back is not None:
        frame = frame.f_back
    back = frame.f_back
    if back is None or not _kinds.get(id(back.f_code)):
        _left_project(st, st.last_key, exc)


def _s_start(code: CodeType, offset: int) -> Any:
    """The sampling tool's PY_START: types of the first calls of a function _lsprof times."""
    try:
        st = _tls.st
    except AttributeError:
        st = _state()
    if not _lsp_on or st.sampled.get(id(code), 0) >= _LSP_SAMPLES:
        _MON.set_local_events(_smp_tool, code, 0)  # enough (or Python samples while threads run)
        return None
    _sample_args(st, code, sys._getframe(1))
    return None


def _s_return(code: CodeType, offset: int, retval: object) -> Any:
    try:
        _sample_return(_tls.st, id(code), retval)
    except AttributeError:
        pass
    return None


def _running(frame: FrameType | None) -> list[CodeType]:
    """The functions _lsprof times that are running in a thread, outermost first."""
    codes = []
    while frame is not None:
        if id(frame.f_code) in _lsp_codes:
            codes.append(frame.f_code)
        frame = frame.f_back
    codes.reverse()
    return codes


def _lsp_close(frame: FrameType | None) -> list[CodeType]:
    """End _lsprof's running calls (those under ``frame``): counted, and timed up to now."""
    running = _running(frame)
    for code in reversed(running):
        _lsp._pyreturn_callback(code, 0, None)
    return running


def _timing_callbacks() -> None:
    if _lsp_on:
        start, ret = _lsp._pystart_callback, _lsp._pyreturn_callback
    else:
        start, ret = _m_back if _lsp_left else _m_start, _m_return
    _MON.register_callback(_lsp_tool, _START, start)
    _MON.register_callback(_lsp_tool, _RETURN, ret)


def _thread_starts() -> None:
    """A thread is starting (in it): from now on Python tracks every thread."""
    if sys._getframe(2).f_locals.get("self") is not _live_thread:
        # Under the lock even when _lsprof looks off: the thread that ended last may be
        # handing the timing back to it right now, having counted this one out.
        with _switch_lock:
            _to_python()


def _to_python() -> None:
    global _lsp_on, _lsp_left
    if _lsp_left:  # the timing was to go back to _lsprof: it stays with Python (nothing moved yet)
        _lsp_left = 0
        _timing_callbacks()
        return
    if not _lsp_on:
        return
    _lsp_on = False
    _timing_callbacks()
    # What ran under _lsprof is not charged at the threads' next checks: their clocks start now.
    with _state_lock:
        for ident, other in list(_by_ident.items()):
            _restart_clock(other, ident)
    for cid in _lsp_codes:
        _set_local_events(_code_of[cid])
    # The running calls go on in Python, timed from now (already counted).
    me = threading.get_ident()
    for ident, frame in sys._current_frames().items():
        st = _by_ident.get(ident)
        if ident == me or st is None:
            continue
        running = _lsp_close(frame)
        now = _now()
        for code in running:
            cid = id(code)
            rec = st.funcs.get(cid)
            if rec is None:
                rec = st.funcs[cid] = _new_rec()
            rec[3] += 1
            if not rec[11]:
                rec[11] = True
                _hold_returns(code, cid)
            st.stack.append([code, now, 0, rec, False, cid])


def _schedstat(tid: int = 0) -> tuple[int, int] | None:
    """(ns on a core, ns runnable but waiting for one) of a thread (this one by default), from
    Linux's schedstat; None when it cannot be read (another OS, a thread that has ended)."""
    try:
        fd = os.open(f"/proc/self/task/{tid}/schedstat" if tid else "/proc/thread-self/schedstat", os.O_RDONLY)
        try:
            fields = os.read(fd, 128).split()
        finally:
            os.close(fd)
        return int(fields[0]), int(fields[1])
    except (OSError, ValueError, IndexError):
        return None


def _queued() -> int:
    """Nanoseconds this thread has been runnable but waiting for a core."""
    sched = _schedstat()
    return sched[1] if sched is not None else 0


def _restart_clock(st: _Thread, ident: int) -> None:
    """Compare a thread's CPU and wall clocks from now on: this thread's at once, another's
    from Linux's schedstat (a file: never pthread_getcpuclockid, undefined for a thread that
    has ended), else from that thread's next event."""
    if _cpu_now is None:
        return
    if ident == threading.get_ident():
        st.cpu_wall, st.cpu_at = _now(), _cpu_now()
        st.cpu_queued = _queued() if _SCHED else 0
    else:
        other = getattr(threading, "_active", {}).get(ident)
        tid = getattr(other, "native_id", None)
        sched = _schedstat(tid) if _SCHED and tid else None
        if sched is None:
            st.cpu_wall, st.cpu_due = -1, 0  # it starts again at its next event
            return
        st.cpu_wall = _now()
        st.cpu_at, st.cpu_queued = sched
    st.cpu_due = st.cpu_wall + _CPU_CHECK_NS


def _thread_ends() -> None:
    """A thread has ended (in it): if only one is left, that one takes the timing back."""
    if not _lsp_on and _lsp is not None:
        with _switch_lock:
            _hand_back()


def _hand_back() -> None:
    """If one thread is left, it hands the timing back to _lsprof at its next call (_m_back).

    Not here: that thread runs on meanwhile, and switching under it would hand _lsprof its
    calls before their callers (the running calls, which only its own frames can tell
    reliably) and close its Python stack while it pushes and pops. At the start of a call of
    its own, it switches between two of its callbacks, with every other thread gone. A thread
    that starts before then keeps the timing with Python (_to_python, under _switch_lock).
    """
    global _lsp_left
    if _lsp_on or _lsp_left or _lsp_returns >= _LSP_RETURNS:
        return  # a program that keeps starting threads stays with Python
    alive = [t for t in threading.enumerate() if t is not _live_thread]
    if len(alive) != 1 or not alive[0].ident:
        return
    _lsp_left = alive[0].ident
    _timing_callbacks()  # PY_START: _m_back until that thread takes the timing back


def _m_back(code: CodeType, offset: int) -> Any:
    """The timing tool's PY_START while one thread is left to take the timing back."""
    me = threading.get_ident()
    if me == _lsp_left:
        with _switch_lock:
            if me == _lsp_left:  # no thread started meanwhile
                _to_lsprof(code, offset)
                return None
    return _m_start(code, offset)  # another thread (not a threading one), or one has started


def _to_lsprof(code: CodeType, offset: int) -> None:
    """In the only thread left, at the start of its call of ``code``: _lsprof times again."""
    global _lsp_on, _lsp_left, _lsp_returns
    _lsp_left = 0
    _lsp_returns += 1
    now = _now()
    with _state_lock:
        states = list(_states)
    for st in states:  # the others have ended: nothing else touches these now
        stack = st.stack
        while stack:
            _close(stack, stack.pop(), now)
        st.done.append(st.funcs)
        st.funcs = {}  # generators start new records; the rest is _lsprof's again
    _held.clear()
    _lsp_on = True
    _timing_callbacks()
    for cid in _lsp_codes:
        _set_local_events(_code_of[cid])
    frame = sys._getframe(2)
    while frame.f_code is not code and frame.f_back is not None:
        frame = frame.f_back
    caller = None
    for running in _running(frame.f_back):
        _lsp._pystart_callback(running, 0)
        # counted already: _lsprof counts them again when they end
        for key in (id(running), (caller, id(running))):
            _lsp_extra[key] = _lsp_extra.get(key, 0) + 1
        caller = id(running)
    _lsp._pystart_callback(code, offset)  # this call is _lsprof's alone (Python did not count it)


# sys.monitoring has no EXCEPTION_HANDLED here: most of those events come from library code
# (pytest's and the like), each a Python callback. A raise counts as caught unless it leaves the
# project's code for good: _m_unwind takes it back when it unwinds into a caller outside the
# project, and RAISE gives it again should it come back into project code.


def _m_raise(code: CodeType, offset: int, exc: BaseException) -> None:
    if not _kinds.get(id(code)) or type(exc) is GeneratorExit:  # closing a generator is no error
        return
    try:
        st = _tls.st
    except AttributeError:
        st = _state()
    if exc is st.unwound:  # passing through, from a project callee or back from outside
        st.unwound = None
        if st.escaped is exc and st.last_exc is exc and st.last_key is not None:
            _back_in_project(st, st.last_key)
        return
    st.excs[_raised(st, code, _line_of(code, offset), exc)][1] += 1


def _m_line(code: CodeType, line: int) -> Any:
    cid = id(code)
    lines = _cur_cov.get(cid)
    if lines is None:
        lines = _cur_cov[cid] = {}
    lines[line] = None
    if len(lines) >= _nlines[cid]:
        # Every line has run in this test: LINE off for the code object until set_test re-arms
        # it. DISABLE alone leaves a line event on a jump back to the same line (a loop in a
        # comprehension), which CPython then checks on every turn without calling back.
        try:
            _MON.set_local_events(_tool, code, _b_events(cid) & ~_LOCAL_EVENTS)
            return None
        except ValueError:
            pass
    return _DISABLE


# --- Python 3.11: sys.settrace restricted to project frames -----------------------------------


def _t_call(frame: FrameType, event: str, arg: Any) -> Any:
    code = frame.f_code
    cid = id(code)
    try:
        project = _kinds[cid]
    except KeyError:
        project = _classify(code)
    if not project:
        return None
    try:
        st = _tls.st
    except AttributeError:
        st = _state()
    if code.co_flags & _GEN_FLAGS:
        start = _gen_start.get(cid)
        if start is None:
            _gen_start[cid] = frame.f_lasti
        _enter(st, code, frame, start is None or frame.f_lasti == start)
    else:
        # _enter, inlined: this runs for every call of a project function.
        stack = st.stack
        rec = st.funcs.get(cid)
        if rec is None:
            rec = st.funcs[cid] = _new_rec()
        n = rec[0] = rec[0] + 1
        caller = stack[-1][5] if stack else None
        if caller == rec[5]:
            rec[6] += 1
        else:
            _switch_caller(rec, caller)
        sampled = n == rec[7]
        if sampled:
            rec[7] = _next_sample(n)
            _sample_args(st, code, frame)
        rec[3] += 1
        now = _now()
        if now > st.cpu_due:
            _cpu_check(st, stack[-1][3] if stack else None, now)
        stack.append([code, now, 0, rec, sampled, cid])
        if now > _next_flush_ns:
            flush()
    if _LINES:
        cid = id(code)
        lines = _cur_cov.get(cid)
        if lines is None:
            trace = True
        elif len(lines) >= _nlines[cid]:
            trace = False
        else:
            # Line events are the dear part of settrace. A function keeps them for a test
            # until _SATURATE calls in a row added no new line (lines that only a later call
            # reaches are missed: the price of a usable 3.11 path; 3.12+ is exact).
            g = _growth.get(cid)
            if g is None:
                _growth[cid] = [len(lines), 0]
                trace = True
            elif g[0] != len(lines):
                g[0] = len(lines)
                g[1] = 0
                trace = True
            else:
                g[1] += 1
                trace = g[1] < _SATURATE
        frame.f_trace_lines = trace
    else:
        frame.f_trace_lines = False
    return _t_local


def _t_local(frame: FrameType, event: str, arg: Any) -> Any:
    try:
        st = _tls.st
    except AttributeError:
        return None
    code = frame.f_code
    if event == "line":
        pending = st.pending
        if pending is not None and pending[0] is frame:  # handled here
            st.pending = None
            st.unwound = None
        if _LINES:
            lines = _cur_cov.get(id(code))
            if lines is None:
                lines = _cur_cov[id(code)] = {}
            lines[frame.f_lineno] = None
            if len(lines) >= _nlines[id(code)]:
                frame.f_trace_lines = False
        else:
            frame.f_trace_lines = False
    elif event == "return":
        pending = st.pending
        if pending is not None and pending[0] is frame:  # unwound
            st.pending = None
            _leave(st, code, None, False)
            exc = st.unwound = pending[1]
            back = frame.f_back
            if (back is None or not _kinds.get(id(back.f_code))) and exc is st.last_exc:
                _left_project(st, pending[2], exc)
            return _t_local
        stack = st.stack
        if stack:
            entry = stack[-1]
            if entry[0] is code:  # the usual case, inlined (see _m_return)
                stack.pop()
                now = _now()
                elapsed = now - entry[1]
                rec = entry[3]
                if now > st.cpu_due:
                    _cpu_check(st, rec, now)
                rec[2] += elapsed - entry[2]
                rec[3] -= 1
                if rec[3] <= 0:
                    rec[3] = 0
                    rec[1] += elapsed
                if stack:
                    stack[-1][2] += elapsed
                if entry[4] and not code.co_flags & _GEN_FLAGS:
                    _sample_return(st, id(code), arg)
                return _t_local
        _leave(st, code, arg, not (code.co_flags & _GEN_FLAGS))
    elif event == "exception":
        exc = arg[1]
        if type(exc) is GeneratorExit:  # closing a generator is not an error
            return _t_local
        if exc is st.unwound:
            st.unwound = None
            key = st.last_key if exc is st.last_exc else None
            if st.escaped is exc and key is not None:
                _back_in_project(st, key)
        else:
            key = _raised(st, code, frame.f_lineno, exc)
            st.excs[key][1] += 1
        if key is not None:
            st.pending = (frame, exc, key)
            frame.f_trace_lines = True
    return _t_local


# --- Python 3.11: probes compiled into project modules (see _kaizen_instrument) ---------------
#
# A unit is a project function or module body, numbered from 0; its uid stands where the
# other modes use id(code). Every process keeps its own numbering (a forked child inherits it).

_cov: dict[str, int] = {}  # block key -> 1, set by the block's probe when it runs
_blocks: dict[str, tuple[str, list[int]]] = {}  # block key -> (its unit, its lines)
_code_uid: dict[int, str] = {}  # id(code) -> uid of the unit it belongs to (lambdas: their parent)


def _i_add_unit(uid: str, rel: str, qual: str, first: int, last: int, body: bool) -> None:
    _meta[uid] = (rel, qual, first, last, body)


def _i_add_block(key: str, uid: str, lines: list[int]) -> None:
    _blocks[key] = (uid, lines)


def _i_map_code(code: CodeType, uid: str) -> None:
    _code_uid[id(code)] = uid
    _code_of[id(code)] = code  # held: its id is never reused for another code object


def _i_enter(uid: str) -> None:
    # The hot path (every call of a project function): no method calls but the clock.
    try:
        st = _tls.st
    except AttributeError:
        st = _state()
    try:
        rec = st.funcs[uid]
    except KeyError:
        rec = st.funcs[uid] = _new_rec()
    stack = st.stack
    n = rec[0] = rec[0] + 1
    if stack:
        caller = stack[-1][5]
        if caller == rec[5]:
            rec[6] += 1
        else:
            _switch_caller(rec, caller)
    elif rec[5] is None:
        rec[6] += 1
    else:
        _switch_caller(rec, None)
    rec[3] += 1
    if n == rec[7]:
        rec[7] = _next_sample(n)
        frame = sys._getframe(1)
        _sample_args(st, frame.f_code, frame, uid)
        now = _now()
        if now > st.cpu_due:
            _cpu_check(st, stack[-1][3] if stack else None, now)
        stack.append([uid, now, 0, rec, True, uid])
        return
    now = _now()
    if now > st.cpu_due:
        _cpu_check(st, stack[-1][3] if stack else None, now)
    stack.append([uid, now, 0, rec, False, uid])
    if now > _next_flush_ns:
        flush()


def _i_start(uid: str) -> None:
    """First start of a generator or coroutine: counted, not timed."""
    try:
        st = _tls.st
    except AttributeError:
        st = _state()
    rec = st.funcs.get(uid)
    if rec is None:
        rec = st.funcs[uid] = _new_rec()
    stack = st.stack
    n = rec[0] = rec[0] + 1
    caller = stack[-1][5] if stack else None
    if caller == rec[5]:
        rec[6] += 1
    else:
        _switch_caller(rec, caller)
    if n == rec[7]:
        rec[7] = _next_sample(n)
        frame = sys._getframe(1)
        _sample_args(st, frame.f_code, frame, uid)


def _i_exit(uid: str, value: Any) -> Any:
    # The same bookkeeping as _m_return, inlined in both: a shared helper would add a call
    # to every traced return, the hottest path of the collector.
    try:
        st = _tls.st
    except AttributeError:
        return value
    stack = st.stack
    if stack:
        entry = stack[-1]
        if entry[0] == uid:
            stack.pop()
            now = _now()
            elapsed = now - entry[1]
            rec = entry[3]
            if now > st.cpu_due:
                _cpu_check(st, rec, now)
            rec[2] += elapsed - entry[2]
            rec[3] -= 1
            if rec[3] <= 0:  # outermost activation: recursion is not counted twice
                rec[3] = 0
                rec[1] += elapsed
            if stack:
                stack[-1][2] += elapsed
            if entry[4]:
                _sample_return(st, uid, value)
    return value


def _i_raise_key(exc: BaseException, uid: str) -> tuple[Any, int, str]:
    """Where an exception met project code first: the deepest project frame of its traceback."""
    where = (uid, _meta[uid][2])
    tb = exc.__traceback__
    while tb is not None:
        owner = _code_uid.get(id(tb.tb_frame.f_code))
        if owner is not None:
            where = (owner, tb.tb_lineno)
        tb = tb.tb_next
    return (where[0], where[1], type(exc).__qualname__)


def _i_count(st: _Thread, exc: BaseException, uid: str) -> tuple[Any, int, str]:
    """The raise an exception reaching a probe belongs to: counted on first sight, as caught
    unless it leaves the project's code for good (as with sys.monitoring)."""
    if exc is st.last_exc and st.last_key is not None:
        if st.escaped is exc:
            _back_in_project(st, st.last_key)
        return st.last_key
    key = _i_raise_key(exc, uid)
    counts = st.excs.get(key)
    if counts is None:
        counts = st.excs[key] = [0, 0]
    counts[0] += 1
    counts[1] += 1
    st.last_exc = exc
    st.last_key = key
    return key


def _i_unwind(uid: str) -> None:
    """An exception leaves a project function (called from its wrapper's handler)."""
    try:
        st = _state()
        stack = st.stack
        if stack and stack[-1][0] == uid:
            _close(stack, stack.pop(), _now())
        exc = sys.exc_info()[1]
        if exc is not None:
            key = _i_count(st, exc, uid)
            back = sys._getframe(1).f_back  # the caller of the function the probe is in
            if back is None or id(back.f_code) not in _code_uid:
                _left_project(st, key, exc)
    except Exception as e:  # never let the probe change the program
        if len(_errors) < 100:
            _errors.append(f"unwind probe: {e!r}")


def _i_passing(uid: str) -> None:
    """An exception leaves a generator's body or a ``with`` body (its context manager may swallow it)."""
    exc = sys.exc_info()[1]
    if exc is None or isinstance(exc, GeneratorExit):
        return  # closing a generator is not an error
    try:
        _i_count(_state(), exc, uid)
    except Exception as e:
        if len(_errors) < 100:
            _errors.append(f"unwind probe: {e!r}")


def _i_handled(uid: str) -> None:
    """A project ``except`` clause caught an exception."""
    exc = sys.exc_info()[1]
    if exc is None:
        return
    try:
        _i_count(_state(), exc, uid)
    except Exception as e:
        if len(_errors) < 100:
            _errors.append(f"handler probe: {e!r}")


def _i_collect() -> dict[Any, set[int]]:
    """The lines of the blocks run since the last call (which are re-armed)."""
    cov: dict[Any, set[int]] = {}
    for key in list(_cov):  # a copy: other threads may be adding blocks
        _cov.pop(key, None)
        found = _blocks.get(key)
        if found is None:
            continue
        uid, lines = found
        seen = cov.get(uid)
        if seen is None:
            seen = cov[uid] = set()
        seen.update(lines)
    return cov


def _install_instrument() -> bool:
    import builtins

    try:
        import _kaizen_instrument as ki
    except ImportError:
        return False
    probes = {ki.ENTER: _i_enter, ki.START: _i_start, ki.EXIT: _i_exit, ki.UNWIND: _i_unwind,
              ki.PASSING: _i_passing, ki.HANDLED: _i_handled, ki.COV: _cov}
    for name, fn in probes.items():
        setattr(builtins, name, fn)
    ki.install(ki.Registry(_relpath, _i_add_unit, _i_add_block, _i_map_code, _errors.append, _LINES,
                           os.environ.get("KAIZEN_TRACE_CACHE", "")))
    return True


# --- tests, uncaught exceptions ------------------------------------------------------------------


def set_test(test_id: str) -> None:
    """Attribute the lines executed from now on to ``test_id`` ("" = outside any test)."""
    global _cur_test, _cur_cov
    if not _installed:
        return
    touched = _finish_coverage()
    _growth.clear()
    _cur_test = test_id
    os.environ["KAIZEN_TRACE_TEST"] = test_id  # subprocesses of this test inherit it
    if _mode == "monitoring" and _LINES:
        # Lines switched off (DISABLE) during the last test must report again. Resetting the
        # local events of just those code objects re-arms them; restart_events() would also
        # re-arm every library function and cost far more per test.
        set_local = _MON.set_local_events
        for cid in touched:
            code = _code_of.get(cid)
            if code is not None:
                try:
                    set_local(_tool, code, 0)
                    set_local(_tool, code, _b_events(cid))
                except ValueError:
                    pass


def _finish_coverage() -> list[int]:
    """Queue the current test's lines for writing; returns the ids of the code it ran."""
    global _cur_cov
    cov: dict[Any, Any] = _cur_cov  # key -> its lines (the keys of a dict, or a set)
    _cur_cov = {}
    if _mode == "instrument":
        cov = _i_collect() if _LINES else {}
    if not cov:
        return []
    files: dict[str, set[int]] = {}
    for cid, lines in list(cov.items()):
        meta = _meta.get(cid)
        if meta is not None and lines:
            files.setdefault(meta[0], set()).update(lines)
    if files:
        _cov_pending.append(json.dumps({"test": _cur_test, "files": {f: sorted(v) for f, v in files.items()}}))
    return list(cov)


def test_outcome(test_id: str, outcome: str, duration: float, longrepr: str) -> None:
    """Record a finished test (called by the pytest plugin)."""
    if _installed:
        _tests.append({"id": test_id, "outcome": outcome, "duration": duration, "longrepr": longrepr[:20000]})


def _walk_tb(tb: Any) -> list[Any]:
    found = []
    while tb is not None:
        found.append(tb)
        tb = tb.tb_next
    return found


def _record_uncaught(exc_type: Any, exc: BaseException | None, tb: Any, thread: str = "") -> None:
    try:
        if exc_type is None or issubclass(exc_type, SystemExit) or len(_uncaught) >= 20:
            return  # a program calling excepthook in a loop must not pay for a flush each time
        if issubclass(exc_type, KeyboardInterrupt) and "traceback" not in sys.modules:
            # No import here: the first import of a module (traceback reads the source through
            # linecache and tokenize) makes CPython (3.11-3.13) forget that a KeyboardInterrupt went
            # uncaught, and the process would exit with 1 instead of by SIGINT.
            text = "Traceback (most recent call last):\n" + "".join(
                f'  File "{t.tb_frame.f_code.co_filename}", line {t.tb_lineno}, in {t.tb_frame.f_code.co_name}\n'
                for t in _walk_tb(tb)) + f"{exc_type.__qualname__}{': ' + str(exc) if str(exc) else ''}\n"
        else:
            import traceback

            text = "".join(traceback.format_exception(exc_type, exc, tb))
        _uncaught.append({
            "type": getattr(exc_type, "__qualname__", str(exc_type)),
            "message": str(exc)[:2000] if exc is not None else "",
            "traceback": text[-20000:],
            "thread": thread,
        })
    except Exception as e:
        _errors.append(f"uncaught hook: {e!r}")


def _excepthook(exc_type: Any, exc: Any, tb: Any) -> None:
    if _script_run:  # the frames of _kaizen_main and run_script are not the program's
        while tb is not None and tb.tb_frame.f_code.co_filename in (_RUNNER, __file__):
            tb = tb.tb_next
        if isinstance(exc, BaseException):
            exc.__traceback__ = tb  # what the default hook prints
    _record_uncaught(exc_type, exc, tb)
    _prev_excepthook(exc_type, exc, tb)


def _thread_excepthook(args: Any) -> None:
    _record_uncaught(args.exc_type, args.exc_value, args.exc_traceback, getattr(args.thread, "name", ""))
    _prev_thread_hook(args)


# --- output --------------------------------------------------------------------------------------


def _lsp_figures(funcs: dict[Any, list[Any]], final: bool) -> None:
    """Add _lsp's figures: [calls, total_ns, own_ns, {caller: calls}, timed calls, waiting ns, calls
    timed in Python, blocked ns] per function (_lsprof sees no waiting: the last three stay 0)."""
    if final and _lsp_on:
        _lsp_close(sys._getframe())  # the calls still running (a timeout must not lose main())
    extra = _lsp_extra
    stats = [e for e in _lsp.getstats() if id(e.code) in _meta]
    inner: dict[int, int] = {}
    for e in stats:
        cid = id(e.code)
        calls = max(0, e.callcount - extra.get(cid, 0)) if extra else e.callcount
        m = funcs.get(cid)
        if m is None:
            m = funcs[cid] = [0, 0, 0, {}, 0, 0, 0, 0]
        m[0] += calls
        m[1] += int(e.totaltime * 1e9)
        m[2] += int(e.inlinetime * 1e9)
        m[4] += calls
        for sub in e.calls or ():
            callee = id(sub.code)
            n = sub.callcount - extra.get((cid, callee), 0) if extra else sub.callcount
            if n > 0 and callee in _meta:
                m2 = funcs.get(callee)
                if m2 is None:
                    m2 = funcs[callee] = [0, 0, 0, {}, 0, 0, 0, 0]
                m2[3][cid] = m2[3].get(cid, 0) + n
                inner[callee] = inner.get(callee, 0) + n
    for e in stats:  # calls from outside the project (or from a generator)
        cid = id(e.code)
        outer = e.callcount - extra.get(cid, 0) - inner.get(cid, 0)
        if outer > 0:
            callers = funcs[cid][3]
            callers[None] = callers.get(None, 0) + outer


def _snapshot(final: bool) -> dict[str, Any]:
    """This process's figures so far, as plain data for ``marshal``.

    Functions, samples and exceptions stay keyed by function (id(code), or a probe's uid) and
    split by thread, with ``meta`` naming every function: the reader (analysis/tracing.py)
    resolves the keys and merges. The final snapshot is taken while the traced program exits:
    building named JSON records there cost boltons' suite 2% of its run.
    """
    now = _now()
    funcs: dict[Any, list[Any]] = {}
    with _state_lock:
        states = list(_states)
    sampling = _mode == "monitoring"
    if _lsp is not None:
        _lsp_figures(funcs, final)
    for st in states:
        for code, rec in [item for funcs_ in (st.funcs, *st.done) for item in list(funcs_.items())]:
            m = funcs.get(code)
            if m is None:
                m = funcs[code] = [0, 0, 0, {}, 0, 0, 0, 0]
            calls, timed = rec[0], rec[9]
            callers = [*rec[4].items(), (rec[5], rec[6])]
            if sampling:
                # Only some calls were timed, and their callers stand for the calls since the
                # previous timed one: scale both to all the calls made.
                # (a generator's time is not measured at all: see install)
                m[4] += calls if rec[8] else min(timed, calls)
                if 0 < timed < calls:
                    m[1] += rec[1] * calls // timed
                    m[2] += rec[2] * calls // timed
                else:
                    m[1] += rec[1]
                    m[2] += rec[2]
                weight = sum(n for _, n in callers)
                if weight and weight != calls:
                    callers = [(c, round(n * calls / weight)) for c, n in callers]
            else:
                m[1] += rec[1]
                m[2] += rec[2]
                m[4] += calls
            m[0] += calls
            m[5] += rec[13]
            m[7] += rec[14]
            m[6] += (min(timed, calls) if sampling else calls) or (1 if rec[13] else 0)
            for caller, n in callers:
                if n:
                    m[3][caller] = m[3].get(caller, 0) + n
        # Frames still running count up to now (a timeout kill must not lose main()).
        stack = list(st.stack)
        seen: set[int] = set()
        for i, entry in enumerate(stack):
            code = entry[5]
            m = funcs.get(code)
            if m is None:
                continue
            nxt = stack[i + 1][1] if i + 1 < len(stack) else now
            m[2] += max(0, nxt - entry[1] - entry[2])
            if code not in seen:
                seen.add(code)
                m[1] += now - entry[1]
    return {
        "version": FORMAT_VERSION, "pid": _pid, "ppid": os.getppid(), "argv": list(sys.argv),
        "python": sys.version.split()[0], "implementation": sys.implementation.name,
        "executable": sys.executable, "mode": _mode, "calls": "exact",
        "started": _started_wall, "elapsed": (now - _started_ns) / 1e9, "final": final,
        "test": _cur_test, "meta": _meta, "functions": funcs,
        "samples": [(st.sampled, st.hashable, st.distinct, st.arg_types, st.ret_types) for st in states],
        "values": [st.values for st in states],
        "exceptions": [st.excs for st in states],
        "tests": _tests, "uncaught": _uncaught, "errors": _errors[:20],
    }


def flush(final: bool = False) -> None:
    """Write this process's data so far (never raises; skips if a flush is running)."""
    global _last_flush_ns, _next_flush_ns
    if not _installed or os.getpid() != _pid:
        return
    # An RLock: a SIGTERM handler that interrupts this thread's own flush (at any bytecode,
    # even between acquire and try) flushes again from inside it instead of deadlocking.
    # Writing twice is harmless: snapshots are cumulative and coverage lines are a union.
    if not _flush_lock.acquire(blocking=final):
        return  # a periodic flush is running in another thread
    # The snapshot is thousands of fresh containers: they must not set off collections of the
    # program's whole heap (at exit, pytest's is large).
    collecting = gc.isenabled()
    if collecting:
        gc.disable()
    try:
        _last_flush_ns = _now()
        _next_flush_ns = _last_flush_ns + _FLUSH_NS
        if final:
            _finish_coverage()
        snap = _snapshot(final)
        if snap["functions"] or snap["tests"] or snap["uncaught"] or any(snap["exceptions"]):
            path = os.path.join(_OUTDIR, f"trace-{_pid}.marshal")
            tmp = f"{path}.{threading.get_ident()}.tmp"
            # marshal (C, no Python code runs: other threads cannot change the dicts meanwhile)
            # is ten times faster than json for this. Version 4: what every Python 3.11+ reads.
            data = marshal.dumps(snap, 4)
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        if _cov_pending:
            lines = _cov_pending[:]
            del _cov_pending[: len(lines)]
            with open(os.path.join(_OUTDIR, f"cov-{_pid}.jsonl"), "a", encoding="utf-8") as fh:
                fh.write("\n".join(lines) + "\n")
        if _LIVE:
            _write_live(snap)
    except Exception as exc:
        if len(_errors) < 100:
            _errors.append(f"flush: {exc!r}")
    finally:
        if collecting:
            gc.enable()
        _flush_lock.release()


def _write_live(snap: dict[str, Any]) -> None:
    """Append what changed since the last flush as one JSON line (O_APPEND: one write)."""
    funcs = []
    for code, (calls, total, own, *_) in list(snap["functions"].items()):
        rel, qual, first, last, _ = _meta[code]
        key = (rel, qual, first)
        before = _live_sent.get(key, (0, 0, 0))
        if (calls, total, own) != before:
            _live_sent[key] = (calls, total, own)
            funcs.append({"file": rel, "name": qual, "line": first, "end": last, "calls": calls - before[0],
                          "total": (total - before[1]) / 1e9, "own": (own - before[2]) / 1e9})
    totals: dict[tuple[Any, ...], list[int]] = {}
    for excs in snap["exceptions"]:
        for (code, line, tname), (raised, caught) in list(excs.items()):
            rel, qual, _, _, _ = _meta[code]
            t = totals.setdefault((tname, rel, line, qual), [0, 0])
            t[0] += raised
            t[1] += caught
    excs_out = []
    for (tname, rel, line, qual), (raised, caught) in totals.items():
        ekey = ("exc", tname, rel, line)
        seen = _live_sent.get(ekey, (0, 0))
        if (raised, caught) != seen:
            _live_sent[ekey] = (raised, caught)
            excs_out.append({"type": tname, "file": rel, "line": line, "function": qual,
                             "raised": raised - seen[0], "caught": caught - seen[1]})
    n_unc = _live_sent.get(("uncaught",), (0,))[0]
    uncaught = snap["uncaught"][n_unc:]
    _live_sent[("uncaught",)] = (len(snap["uncaught"]),)
    if not (funcs or excs_out or uncaught or snap["final"]):
        return
    record = {"pid": _pid, "at": time.time(), "final": snap["final"], "functions": funcs,
              "exceptions": excs_out, "uncaught": uncaught}
    data = (json.dumps(record, separators=(",", ":")) + "\n").encode("utf-8")
    fd = os.open(_LIVE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _live_loop() -> None:
    interval = _FLUSH_NS / 1e9
    while True:
        time.sleep(interval)
        flush()


def _at_exit() -> None:
    flush(final=True)
    stop()


def _on_sigterm(signum: int, frame: Any) -> None:
    flush(final=True)
    prev = _prev_sigterm
    if callable(prev):
        prev(signum, frame)
        return
    if prev == signal.SIG_IGN:
        return
    stop()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


_sigterm_held = False  # _before_fork blocked SIGTERM in the forking thread


def _before_fork() -> None:
    """Hold SIGTERM across a fork while our handler is installed.

    The child clears the signals that arrived before its interpreter was ready, so a SIGTERM
    sent to a just-forked child (``Pool.terminate()`` right after the pool started) would be
    lost with our handler where the default action would have killed it. Blocked, it waits
    until ``_after_fork`` lets it through.
    """
    global _sigterm_held
    try:
        if signal.getsignal(signal.SIGTERM) is _on_sigterm:
            _sigterm_held = signal.SIGTERM not in signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    except (AttributeError, OSError, ValueError):
        pass


def _release_sigterm() -> None:
    global _sigterm_held
    if _sigterm_held:
        _sigterm_held = False
        try:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        except (AttributeError, OSError, ValueError):
            pass


def _after_fork() -> None:
    """A forked child starts its own file with its own figures."""
    try:
        _child_state()
    finally:
        _release_sigterm()  # last: a SIGTERM that came meanwhile now runs our handler


def _child_state() -> None:
    global _pid, _started_ns, _started_wall, _states, _tls, _cur_cov, _last_flush_ns, _next_flush_ns
    global _flush_lock, _state_lock, _lsp, _lsp_left
    _flush_lock = threading.RLock()  # another thread may have held them at the fork
    _state_lock = threading.RLock()
    _pid = os.getpid()
    _started_ns = _last_flush_ns = _now()
    _next_flush_ns = _started_ns + _FLUSH_NS
    _started_wall = time.time()
    _states = []
    _tls = threading.local()
    _cur_cov = {}
    _cov.clear()  # instrument mode: blocks the parent ran are the parent's
    _cov_pending.clear()
    _tests.clear()
    _uncaught.clear()
    _live_sent.clear()
    _by_ident.clear()
    _lsp_left = 0  # the parent's other threads are not here: this one stays with Python
    if _mode == "monitoring":
        _held.clear()  # the parent's timed calls are not running here
        for cid, project in list(_kinds.items()):
            if project:  # lines seen by the parent must count again here
                code = _code_of[cid]
                _MON.set_local_events(_tool, code, 0)
                _MON.set_local_events(_tool, code, _LOCAL_EVENTS)
                if cid in _lsp_codes:
                    _set_local_events(code)
        if _lsp is not None:
            _lsp_extra.clear()
            _lsp = _lsprof.Profiler()  # a fresh one: the parent's figures are the parent's
            _timing_callbacks()
    mp_util = sys.modules.get("multiprocessing.util")
    if mp_util is not None:
        # The after-fork registry runs in multiprocessing's children only (and is cleared in
        # the child before its callbacks run): register there.
        mp_util.register_after_fork(_ANCHOR, _in_mp_child)


class _Anchor:
    """A weakly referenceable object that multiprocessing's after-fork registry can hold."""


_ANCHOR = _Anchor()


def _in_mp_child(_: object) -> None:
    """In a forked multiprocessing child, as it starts its target."""
    mp_util = sys.modules.get("multiprocessing.util")
    if mp_util is not None:
        # It leaves through os._exit (no atexit) but runs finalizers.
        mp_util.Finalize(None, flush, args=(True,), exitpriority=-1000)
    sync = sys.modules.get("multiprocessing.synchronize")
    if sync is not None:
        sync.SemLock.__enter__ = _semlock_enter


def _semlock_enter(self: Any) -> bool:
    """``SemLock.__enter__`` in multiprocessing children: waits in slices, so that our SIGTERM
    handler always gets to run.

    A Python-level handler runs only when the main thread gets back to bytecode. A SIGTERM
    that lands while glibc retries a futex wait (woken by a release another waiter won), or
    that another thread takes, leaves a plain ``sem_wait`` blocked with the handler pending:
    the child outlives ``Process.terminate()``, and ``Pool.terminate()`` joins it forever (a
    pool worker waits on its task queue's lock exactly when the pool is torn down). A timed
    wait gets back to bytecode every 50 ms, and the pending handler runs.
    """
    acquire = self._semlock.acquire
    while not acquire(True, 0.05):
        pass
    return True


# --- install / stop --------------------------------------------------------------------------

_LOCAL_EVENTS = 0
_RETURN = 0
_START = 0
_RESUME_OP = -1
_CWD = ""
_PREFIXES: tuple[str, ...] = ()


def _runs_project_script() -> bool:
    """Is this process ``python path/to/project_script.py``? (Its code is out of an import hook's reach.)"""
    argv = getattr(sys, "argv", None) or [""]
    script = argv[0]
    if not script or script in ("-c", "-m", "-"):
        return False
    return _relpath(os.path.abspath(script)) is not None


_RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_kaizen_main.py")
_SCRIPT_ENV = "KAIZEN_TRACE_SCRIPT"  # set across the re-exec: the original argv[0]
_script_run = False  # this process runs a project script through _kaizen_main


def _reexec_script() -> None:
    """3.11, ``python script.py``: start again as ``python _kaizen_main.py script.py``.

    The interpreter compiles a script given on the command line itself, out of any import
    hook's reach, so the script is run again by ``_kaizen_main`` (same interpreter, flags,
    arguments, pid, environment and streams), which compiles it with probes and executes it
    as ``__main__``: the process needs no ``sys.settrace``. Returns only when that cannot be done.
    """
    argv = sys.argv
    orig = list(getattr(sys, "orig_argv", ()))
    script = os.path.abspath(argv[0])
    n = len(argv)
    if os.name != "posix" or os.environ.get(_SCRIPT_ENV) is not None or len(orig) <= n or orig[-n:] != argv:
        return  # (elsewhere exec starts a new process, which the caller would not wait for)
    if script.endswith((".pyc", ".pyo")) or not os.path.isfile(script) or not os.path.isfile(_RUNNER):
        return
    try:
        with open(script, "rb") as fh:
            if fh.read(4) == b"PK\x03\x04":
                return  # a zip application
    except OSError:
        return
    os.environ[_SCRIPT_ENV] = orig[0]
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    try:
        os.execv(sys.executable, [sys.executable, *orig[1:-n], _RUNNER, *argv])
    except OSError:
        os.environ.pop(_SCRIPT_ENV, None)


def run_script() -> None:
    """In ``_kaizen_main``: run the script named next on the command line as ``__main__``."""
    global _script_run
    import builtins
    from importlib.machinery import SourceFileLoader

    _script_run = True
    orig0 = os.environ.pop(_SCRIPT_ENV, "")  # the script's own subprocesses decide for themselves
    runner = sys.argv.pop(0)
    orig = sys.orig_argv
    if runner in orig:
        i = orig.index(runner)
        orig[:] = [orig0 or orig[0], *orig[1:i], *orig[i + 1:]]
    path = os.path.abspath(sys.argv[0])  # as the interpreter has it: absolute since 3.9
    sys.path[0] = os.path.dirname(os.path.realpath(path))
    with open(path, "rb") as fh:
        data = fh.read()
    ki = sys.modules.get("_kaizen_instrument")
    code = ki.instrument_source(data, path) if ki is not None else None
    if code is None:  # not instrumented (a syntax error raises here, as it would have)
        code = compile(data, path, "exec", dont_inherit=True)
    namespace = sys.modules["__main__"].__dict__
    namespace.clear()
    namespace.update({
        "__name__": "__main__", "__doc__": None, "__package__": None, "__spec__": None, "__annotations__": {},
        "__loader__": SourceFileLoader("__main__", path), "__builtins__": builtins, "__file__": path,
        "__cached__": None,
    })
    exec(code, namespace)


def install() -> None:
    """Start tracing this process according to the KAIZEN_TRACE_* environment."""
    global _installed, _mode, _tool, _pid, _started_ns, _started_wall, _last_flush_ns, _next_flush_ns
    global _OUTDIR, _ROOT, _LIVE, _LINES, _TYPE_LIMIT, _FLUSH_NS, _CWD, _PREFIXES, _cur_test
    global _VALUE_LIMIT, _VALUE_BYTES, _NO_VALUES
    global _prev_sigterm, _prev_excepthook, _prev_thread_hook, _DISABLE, _LOCAL_EVENTS, _RETURN
    global _lsp, _lsp_tool, _smp_tool, _lsp_on, _START, _boot, _live_thread, _RESUME_OP
    if _installed:
        return
    env = os.environ
    _OUTDIR = env["KAIZEN_TRACE_DIR"]
    if not os.path.isdir(_OUTDIR):
        return
    _ROOT = os.path.join(os.path.realpath(env.get("KAIZEN_TRACE_ROOT") or os.getcwd()), "")
    _LIVE = env.get("KAIZEN_TRACE_LIVE", "")
    _LINES = env.get("KAIZEN_TRACE_LINES", "1") != "0"
    _TYPE_LIMIT = max(1, int(env.get("KAIZEN_TRACE_SAMPLES", "8") or 8))
    _VALUE_LIMIT = max(0, int(env.get("KAIZEN_TRACE_VALUES", "0") or 0))
    _VALUE_BYTES = max(64, int(env.get("KAIZEN_TRACE_VALUE_BYTES", "2048") or 2048))
    _NO_VALUES = tuple(g for g in env.get("KAIZEN_TRACE_NO_VALUES", "").split("\n") if g.strip())
    _FLUSH_NS = int(float(env.get("KAIZEN_TRACE_FLUSH", "5") or 5) * 1e9)
    global _SCHED
    _SCHED = _cpu_now is not None and os.path.exists("/proc/thread-self/schedstat")
    _CWD = os.getcwd()
    _cur_test = env.get("KAIZEN_TRACE_TEST", "")
    # Only a process that has the collector asks pytest for the plugin: a command that resets
    # PYTHONPATH then runs untraced instead of failing to import it.
    plugins = [p for p in env.get("PYTEST_PLUGINS", "").split(",") if p.strip()]
    if "_kaizen_pytest" not in plugins:
        env["PYTEST_PLUGINS"] = ",".join([*plugins, "_kaizen_pytest"])
    prefixes = {os.path.join(os.path.realpath(p), "") for p in (sys.prefix, sys.exec_prefix)}
    prefixes |= {os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(__file__))), "")}
    _PREFIXES = tuple(p for p in prefixes if p.startswith(_ROOT) and p != _ROOT)
    _pid = os.getpid()
    _started_ns = _last_flush_ns = _now()
    _next_flush_ns = _started_ns + _FLUSH_NS
    _started_wall = time.time()
    wanted = env.get("KAIZEN_TRACE_MODE", "auto")
    if _MON is None and wanted != "settrace" and _runs_project_script():
        _reexec_script()  # returns only when it cannot: then sys.settrace
    if _MON is not None and wanted not in ("settrace", "instrument"):
        # Tool ids 3 and 4 are nobody's and 5 is reserved for an optimizer that CPython
        # 3.12-3.13 do not have; 2 is cProfile's, taken last so that a traced program can
        # still profile itself.
        free = [tool for tool in (3, 4, 5, 2) if _MON.get_tool(tool) is None]
        if free:
            _tool = free[0]
        if len(free) > 2 and wanted != "monitoring-python" and hasattr(_lsprof, "Profiler"):
            _lsp_tool, _smp_tool = free[1], free[2]
    _installed = True
    if _tool >= 0:
        mon = _MON
        ev = mon.events
        _mode = "monitoring"
        _DISABLE = mon.DISABLE
        # Python switches PY_RETURN on per function only while a call of it is timed
        # (_m_timed). Generators and coroutines never get it, nor PY_YIELD/PY_RESUME: each
        # resume would cost two callbacks. Their calls are counted exactly (PY_START fires on
        # the first start only); their time is not measured and stays in the consumer's own
        # time (so _lsprof times only functions that are not generators).
        _LOCAL_EVENTS = ev.LINE if _LINES else 0
        import opcode

        _RESUME_OP = opcode.opmap["RESUME"]
        _START, _RETURN = ev.PY_START, ev.PY_RETURN
        mon.use_tool_id(_tool, "kaizen")
        for event, fn in (
            (ev.PY_START, _b_start), (ev.PY_RETURN, _m_return), (ev.PY_UNWIND, _m_unwind),
            (ev.RAISE, _m_raise), (ev.LINE, _m_line),
        ):
            mon.register_callback(_tool, event, fn)
        if _lsp_tool >= 0:
            mon.use_tool_id(_lsp_tool, "kaizen-timing")
            mon.use_tool_id(_smp_tool, "kaizen-types")
            _lsp = _lsprof.Profiler()
            _lsp_on = True
            _timing_callbacks()
            mon.register_callback(_smp_tool, ev.PY_START, _s_start)
            mon.register_callback(_smp_tool, ev.PY_RETURN, _s_return)
            _boot = threading.Thread._bootstrap_inner.__code__  # type: ignore[attr-defined]
            mon.set_local_events(_tool, _boot, ev.PY_RETURN)
        mon.set_events(_tool, ev.PY_START | ev.PY_UNWIND | ev.RAISE)
    elif wanted == "instrument" or (wanted != "settrace" and not _runs_project_script()):
        _mode = "instrument"
        if not _install_instrument():
            _mode = "settrace"
    else:
        _mode = "settrace"
    if _mode == "settrace":
        threading.settrace(_t_call)
        sys.settrace(_t_call)
    atexit.register(_at_exit)
    os.register_at_fork(before=_before_fork, after_in_parent=_release_sigterm, after_in_child=_after_fork)
    argv = getattr(sys, "argv", None) or [""]
    if argv[0] == "-c" and argv[-1] == "--multiprocessing-fork":  # a spawned multiprocessing child
        try:
            import multiprocessing.synchronize  # the task queues' own import, only earlier

            multiprocessing.synchronize.SemLock.__enter__ = _semlock_enter  # type: ignore[method-assign]
        except Exception:
            pass
    _prev_excepthook = sys.excepthook
    sys.excepthook = _excepthook
    _prev_thread_hook = threading.excepthook
    threading.excepthook = _thread_excepthook
    try:
        if threading.current_thread() is threading.main_thread():
            _prev_sigterm = signal.getsignal(signal.SIGTERM)
            signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):
        pass
    if _LIVE:
        _live_thread = threading.Thread(target=_live_loop, name="kaizen-trace-live", daemon=True)
        _live_thread.start()


def stop() -> None:
    """Stop tracing (data already gathered stays; used at exit)."""
    if not _installed:
        return
    if _mode == "monitoring" and _tool >= 0:
        try:
            _MON.set_events(_tool, 0)
            for tool in (_lsp_tool, _smp_tool):
                if tool >= 0:
                    _MON.register_callback(tool, _START, None)
                    _MON.register_callback(tool, _RETURN, None)
        except Exception:
            pass
    elif _mode == "settrace":
        sys.settrace(None)
        threading.settrace(None)
