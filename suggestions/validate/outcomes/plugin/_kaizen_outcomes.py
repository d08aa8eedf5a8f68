"""pytest plugin of Kaizen's validator (``-p _kaizen_outcomes``): outcomes on a machine channel.

Writes JSON lines to ``$KAIZEN_OUTCOMES_DIR/<pid>.jsonl``, a file opened when the plugin is
imported, before any conftest or test module:

* ``report``: every phase report of every test (and collection errors), whatever the
  terminal looks like (``--color=yes``, ``-q``, pytest-sugar, xdist workers);
* ``body``: for each test function, whether its own code object started running during the
  call phase (and, on 3.12+, whether it finished without an exception). A candidate that
  turns the runner into a no-op (``Function.runtest = lambda self: None``) gets its tests
  reported passed, but their bodies never start;
* ``lines``: with ``$KAIZEN_WATCH`` naming a JSON file ``{"files": {rel: [lines]}}``, which of
  those lines (the changed lines of the patched files, relative to the working folder) each
  test executed (its setup, call and teardown); the lines run outside any test (at import,
  during collection) under the test id ``""``. On 3.12+ with ``sys.monitoring`` (LINE events
  only in those files' code objects, every other code object disabled after its first
  start), else ``sys.settrace`` tracing only frames of those files, and not even those once
  every watched line of the code object ran in the current test;
* ``finish``: the session's exit status, from the main process only.

Stdlib and pytest only: it runs in the project's interpreter.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Generator
from typing import Any

import pytest

# Taken now, before project code can replace them.
_write = os.write
_dumps = json.dumps
_setprofile = sys.setprofile
_getprofile = sys.getprofile
_monitoring = getattr(sys, "monitoring", None)
_pid = os.getpid()

_fd: int | None = None
_dir = os.environ.get("KAIZEN_OUTCOMES_DIR", "")
if _dir:
    try:
        _fd = os.open(os.path.join(_dir, f"{_pid}.jsonl"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError:
        _fd = None


def _emit(rec: dict[str, Any]) -> None:
    if _fd is None:
        return
    try:
        _write(_fd, (_dumps(rec) + "\n").encode("utf-8", "replace"))
    except (OSError, TypeError, ValueError):
        pass


_emit({"event": "start", "pid": _pid})


# --- changed-line recording --------------------------------------------------------------------


def _load_watch() -> dict[str, set[int]]:
    """``{real path: watched lines}`` from ``$KAIZEN_WATCH`` (empty: record nothing)."""
    spec = os.environ.get("KAIZEN_WATCH", "")
    if not spec:
        return {}
    try:
        with open(spec, encoding="utf-8") as fh:
            files = json.load(fh).get("files", {})
        base = os.getcwd()
        return {os.path.realpath(os.path.join(base, rel)): {int(n) for n in lines}
                for rel, lines in files.items() if lines}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


_watch_files = _load_watch()
_rel_of = {path: os.path.relpath(path, os.getcwd()).replace(os.sep, "/") for path in _watch_files}
_hits: dict[str, dict[str, set[int]]] = {}  # test ("" outside tests) -> rel -> lines run
_line_state: dict[str, Any] = {"test": "", "seen": 0}  # seen: watched lines the current test ran
_total_watched = sum(len(v) for v in _watch_files.values())
_complete: list[Any] = [None]  # called when the current test ran every watched line
_code_watch: dict[Any, tuple[str, frozenset[int]]] = {}  # code -> (rel, watched lines of it)
_by_name: dict[str, tuple[str, set[int]] | None] = {}  # co_filename -> (rel, watched lines) or None


def _watched_code(code: Any) -> tuple[str, frozenset[int]] | None:
    """(rel, the watched lines this code object holds), None for code of other files."""
    found = _code_watch.get(code)
    if found is not None:
        return found
    name = code.co_filename
    try:
        of_file = _by_name[name]
    except KeyError:
        path = os.path.realpath(name) if name else ""
        lines = _watch_files.get(path)
        of_file = _by_name[name] = (_rel_of[path], lines) if lines is not None else None
    if of_file is None:
        return None
    mine = {n for _s, _e, n in code.co_lines() if n is not None} | {code.co_firstlineno}
    found = (of_file[0], frozenset(of_file[1] & mine))
    _code_watch[code] = found
    return found


def _hit(rel: str, line: int) -> set[int]:
    per_test = _hits.setdefault(_line_state["test"], {})
    got = per_test.setdefault(rel, set())
    if line not in got:
        got.add(line)
        _line_state["seen"] += 1
        if _line_state["seen"] >= _total_watched and _complete[0] is not None:
            _complete[0]()  # nothing left to learn in this test: stop paying for it
    return got


def _flush_lines(test: str) -> None:
    got = _hits.pop(test, None)
    if got:
        _emit({"event": "lines", "test": test, "files": {rel: sorted(v) for rel, v in got.items()}})


_LINE_TOOL: int | None = None
if _watch_files and _monitoring is not None:
    for _tool in (2, 5, 1, 3, 4):
        if _monitoring.get_tool(_tool) is None:
            _monitoring.use_tool_id(_tool, "kaizen-lines")
            _LINE_TOOL = _tool
            break

if _LINE_TOOL is not None:
    _LE = _monitoring.events  # type: ignore[union-attr]
    _DISABLE = _monitoring.DISABLE  # type: ignore[union-attr]
    _lines_set: set[Any] = set()

    def _line_start(code: Any, offset: int) -> Any:
        found = _watched_code(code)
        if found is None:
            return _DISABLE  # never again for this code object (until a test restarts events)
        rel, lines = found
        if code not in _lines_set:
            _lines_set.add(code)
            _monitoring.set_local_events(_LINE_TOOL, code, _LE.LINE)  # type: ignore[union-attr]
        if code.co_firstlineno in lines:
            _hit(rel, code.co_firstlineno)  # entering a function runs its def line
        return _DISABLE

    def _line_event(code: Any, line: int) -> Any:
        found = _code_watch.get(code)
        if found is not None and line in found[1]:
            _hit(found[0], line)
        return _DISABLE  # once per line per test: events restart when the next test starts

    _monitoring.register_callback(_LINE_TOOL, _LE.PY_START, _line_start)  # type: ignore[union-attr]
    _monitoring.register_callback(_LINE_TOOL, _LE.LINE, _line_event)  # type: ignore[union-attr]
    _monitoring.set_events(_LINE_TOOL, _LE.PY_START)  # type: ignore[union-attr]

    def _lines_restart() -> None:
        _monitoring.restart_events()  # type: ignore[union-attr]

elif _watch_files:
    import threading as _threading

    _settrace = sys.settrace
    _gettrace = sys.gettrace

    def _local(frame: Any, event: str, arg: Any) -> Any:
        if event != "line":
            return _local
        found = _code_watch.get(frame.f_code)
        if found is None:
            return None
        rel, lines = found
        if frame.f_lineno in lines:
            got = _hit(rel, frame.f_lineno)
            if lines <= got:
                frame.f_trace_lines = False  # every watched line of it ran in this test
        return _local

    def _global(frame: Any, event: str, arg: Any) -> Any:
        code = frame.f_code
        if _by_name.get(code.co_filename, 0) is None:
            return None  # the fast path: a file known not to be watched
        found = _watched_code(code)
        if found is None:
            return None
        rel, lines = found
        if code.co_firstlineno in lines:
            _hit(rel, code.co_firstlineno)
        got = _hits.get(_line_state["test"], {}).get(rel, set())
        if not lines or lines <= got:
            return None  # nothing left to learn from this frame in this test
        return _local

    _settrace(_global)
    _threading.settrace(_global)
    _complete[0] = lambda: _settrace(None)  # 3.11 runs everything slower while a tracer is set

    def _lines_restart() -> None:
        if _gettrace() is None:
            _settrace(_global)  # a test that switched tracing off only loses its own lines

else:

    def _lines_restart() -> None:
        pass

_config: Any = None
_codes: dict[int, tuple[Any, ...]] = {}  # id(item) -> code objects of the test function
_state: dict[str, Any] = {"test": "", "started": 0, "returned": 0}
_watched: set[Any] = set()
_TOOL: int | None = None


def _test_codes(item: Any) -> tuple[Any, ...]:
    obj = getattr(item, "obj", None) if isinstance(item, pytest.Function) else None
    found: list[Any] = []
    seen = 0
    while obj is not None and seen < 20:
        seen += 1
        fn = getattr(obj, "__func__", obj)
        code = getattr(fn, "__code__", None)
        if code is not None and code not in found:
            found.append(code)
        obj = getattr(fn, "__wrapped__", None)
    return tuple(found)


def _test_id(nodeid: str) -> str:
    try:
        return str(_config.cwd_relative_nodeid(nodeid)) if _config is not None else nodeid
    except Exception:
        return nodeid


# --- body tracking ---------------------------------------------------------------------------

if _monitoring is not None:
    for _tool in (4, 3):
        if _monitoring.get_tool(_tool) is None:
            _monitoring.use_tool_id(_tool, "kaizen-outcomes")
            _TOOL = _tool
            break

if _TOOL is not None:
    _E = _monitoring.events  # type: ignore[union-attr]
    _outer: list[Any] = [None]  # the code object pytest calls (item.obj's own)

    def _on_start(code: Any, offset: int) -> Any:
        if _state["test"]:
            _state["started"] += 1
        return None

    def _on_return(code: Any, offset: int, retval: Any) -> Any:
        if _state["test"] and code is _outer[0]:
            _state["returned"] += 1
        return None

    _monitoring.register_callback(_TOOL, _E.PY_START, _on_start)  # type: ignore[union-attr]
    _monitoring.register_callback(_TOOL, _E.PY_RETURN, _on_return)  # type: ignore[union-attr]

    def _watch(codes: tuple[Any, ...]) -> None:
        _outer[0] = codes[0]
        for code in codes:
            if code not in _watched:
                _watched.add(code)
                # PY_RETURN only on the outer one: a decorator may retry an inner body.
                events = _E.PY_START | (_E.PY_RETURN if code is codes[0] else 0)
                _monitoring.set_local_events(_TOOL, code, events)  # type: ignore[union-attr]

    def _unwatch() -> None:
        pass

else:
    _profile_codes: list[tuple[Any, ...]] = [()]
    _previous: list[Any] = [None]

    def _profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code in _profile_codes[0]:
            _state["started"] += 1
            _setprofile(_previous[0])  # the body runs at full speed

    def _watch(codes: tuple[Any, ...]) -> None:
        _profile_codes[0] = codes
        _previous[0] = _getprofile()
        _setprofile(_profile)

    def _unwatch() -> None:
        if _getprofile() is _profile:
            _setprofile(_previous[0])


# --- hooks -----------------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: Any) -> None:
    global _config
    _config = config


@pytest.hookimpl(trylast=True)
def pytest_itemcollected(item: Any) -> None:
    try:
        codes = _test_codes(item)
    except Exception:
        codes = ()
    if codes:
        _codes[id(item)] = codes


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Generator[None, None, None]:
    if not _watch_files:
        yield
        return
    test = _test_id(item.nodeid)
    _flush_lines("")  # what ran before this test (imports, collection, the previous teardown)
    _line_state.update(test=test, seen=0)
    _lines_restart()
    try:
        yield
    finally:
        _line_state.update(test="", seen=sum(len(v) for v in _hits.get("", {}).values()))
        _flush_lines(test)
        if _LINE_TOOL is None:
            _lines_restart()  # settrace: tracing again for what runs between tests (module teardown)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_call(item: Any) -> Generator[None, None, None]:
    codes = _codes.get(id(item), ())
    if codes:
        _state.update(test=item.nodeid, started=0, returned=0)
        _watch(codes)
    try:
        yield
    finally:
        if codes:
            _unwatch()
            entered = _state["started"] > 0
            raised = _TOOL is not None and entered and _state["returned"] == 0
            _state["test"] = ""
            _emit({"event": "body", "test": _test_id(item.nodeid), "entered": entered, "raised": raised})


def pytest_runtest_logreport(report: Any) -> None:
    _emit({
        "event": "report",
        "test": _test_id(report.nodeid),
        "when": report.when,
        "outcome": report.outcome,
        "wasxfail": hasattr(report, "wasxfail"),
    })


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        _emit({"event": "report", "test": _test_id(report.nodeid) or ".", "when": "collect",
               "outcome": "failed", "wasxfail": False})


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: Any, exitstatus: Any) -> None:
    main = not hasattr(session.config, "workerinput")  # not an xdist worker
    _flush_lines("")
    _emit({"event": "finish", "main": main, "exitstatus": int(exitstatus),
           "collected": int(getattr(session, "testscollected", 0) or 0)})
