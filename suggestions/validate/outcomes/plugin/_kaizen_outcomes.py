"""pytest plugin of Kaizen's validator (``-p _kaizen_outcomes``): outcomes on a machine channel.

Writes JSON lines to ``$KAIZEN_OUTCOMES_DIR/<pid>.jsonl``, a file opened when the plugin is
imported, before any conftest or test module:

* ``report``: every phase report of every test (and collection errors), whatever the
  terminal looks like (``--color=yes``, ``-q``, pytest-sugar, xdist workers);
* ``body``: for each test function, whether its own code object started running during the
  call phase (and, on 3.12+, whether it finished without an exception). A candidate that
  turns the runner into a no-op (``Function.runtest = lambda self: None``) gets its tests
  reported passed, but their bodies never start;
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
    _emit({"event": "finish", "main": main, "exitstatus": int(exitstatus),
           "collected": int(getattr(session, "testscollected", 0) or 0)})
