"""pytest plugin of Kaizen's mutation testing (``-p _kaizen_mutants``): many mutants, one process.

The plan (JSON, path in ``$KAIZEN_MUTANTS_PLAN``) names a module file and mutants of its
functions, each as the mutated function's source. The session's selected tests run once as
usual; then, for each mutant, the function's ``__code__`` is replaced by the mutated one in
every module object loaded from that file, the tests that passed are run again in-process
(``runtestprotocol``, nothing reported) until one fails, and the code is put back. A mutant
is killed by the first failing test or by its time limit (SIGALRM), and survives when every
test passes. One JSON line per event goes to the plan's ``results`` file as it happens, so a
killed process still leaves what it had judged.

Stdlib and pytest only: it runs in the project's interpreter.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import types
from collections.abc import Generator
from typing import Any

import pytest
from _pytest.runner import runtestprotocol

_plan: dict[str, Any] | None = None
_fd: int | None = None
_path = os.environ.get("KAIZEN_MUTANTS_PLAN", "")
if _path:
    try:
        with open(_path, encoding="utf-8") as fh:
            _plan = json.load(fh)
        _fd = os.open(str(_plan["results"]), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except (OSError, ValueError, KeyError, TypeError):
        _plan = None

_failed: set[str] = set()
_passed: set[str] = set()
_seconds: dict[str, float] = {}


class _MutantTimeout(BaseException):
    """Raised by SIGALRM when a mutant's tests run past its time limit."""


def _emit(rec: dict[str, Any]) -> None:
    if _fd is not None:
        try:
            os.write(_fd, (json.dumps(rec) + "\n").encode("utf-8", "replace"))
        except (OSError, TypeError, ValueError):
            pass


def pytest_runtest_logreport(report: Any) -> None:
    if _plan is None:
        return
    _seconds[report.nodeid] = _seconds.get(report.nodeid, 0.0) + float(getattr(report, "duration", 0.0) or 0.0)
    if report.failed:
        _failed.add(report.nodeid)
    elif report.when == "call" and report.passed:
        _passed.add(report.nodeid)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: Any) -> None:
    """One process: xdist workers would each judge every mutant on their share of the tests."""
    if _plan is not None and getattr(config.option, "numprocesses", None):
        config.option.numprocesses = 0
        config.option.dist = "no"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtestloop(session: Any) -> Generator[None, None, None]:
    yield
    if _plan is None:
        return
    try:
        _run_mutants(session, _plan)
    except Exception as exc:  # never let Kaizen's machinery fail the session
        _emit({"event": "error", "error": repr(exc)[:500]})
    _emit({"event": "done"})


# --- finding and swapping functions -----------------------------------------------------------


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.realpath(a) == os.path.realpath(b)
    except (OSError, ValueError):
        return False


def _modules(file: str) -> list[types.ModuleType]:
    return [m for m in list(sys.modules.values())
            if isinstance(m, types.ModuleType) and isinstance(getattr(m, "__file__", None), str)
            and _same_file(m.__file__ or "", file)]


def _unwrap(obj: Any, name: str, file: str, lines: tuple[int, int], clear: list[Any]) -> types.FunctionType | None:
    seen = 0
    todo = [obj]
    while todo and seen < 20:
        seen += 1
        cur = todo.pop(0)
        if callable(getattr(cur, "cache_clear", None)):
            clear.append(cur)
        if isinstance(cur, types.FunctionType):
            code = cur.__code__
            # By line too: a property's getter and setter share their name.
            if (code.co_name == name and _same_file(code.co_filename, file)
                    and (not lines[1] or lines[0] <= code.co_firstlineno <= lines[1])):
                return cur
        if isinstance(cur, (staticmethod, classmethod)):
            todo.append(cur.__func__)
        elif isinstance(cur, property):
            todo.extend(f for f in (cur.fget, cur.fset, cur.fdel) if f is not None)
        wrapped = getattr(cur, "__wrapped__", None) if not isinstance(cur, type) else None
        if wrapped is not None:
            todo.append(wrapped)
    return None


def _targets(file: str, qualname: str, lines: tuple[int, int]) -> tuple[list[types.FunctionType], list[Any]]:
    """The function objects ``qualname`` names in every module loaded from ``file``."""
    found: list[types.FunctionType] = []
    clear: list[Any] = []
    parts = qualname.split(".")
    for module in _modules(file):
        obj: Any = module
        for part in parts[:-1]:
            obj = (vars(obj) if isinstance(obj, (type, types.ModuleType)) else {}).get(part)
            if not isinstance(obj, type):
                obj = None
                break
        if obj is None:
            continue
        attr = vars(obj).get(parts[-1])
        fn = _unwrap(attr, parts[-1], file, lines, clear) if attr is not None else None
        if fn is not None and fn not in found:
            found.append(fn)
    return found, clear


def _mutated_code(source: str, file: str, name: str, in_class: bool) -> types.CodeType | None:
    top = compile(source, file, "exec", dont_inherit=True)
    holders = [top]
    if in_class:
        holders = [c for c in top.co_consts if isinstance(c, types.CodeType) and c.co_name == "_KaizenMutant"]
    for holder in holders:
        for c in holder.co_consts:
            if isinstance(c, types.CodeType) and c.co_name == name:
                return c
    return None


# --- running ----------------------------------------------------------------------------------


_alarmed = [False]


def _on_alarm(signum: int, frame: Any) -> None:
    _alarmed[0] = True
    raise _MutantTimeout


def _timers(cpu: float, wall: float) -> list[tuple[int, int, Any]]:
    """Arm a CPU-time limit (SIGPROF: a loaded machine does not make it fire, and pytest-timeout's
    SIGALRM does not cancel it) and a wall-clock backstop (SIGALRM: a mutant that blocks)."""
    armed: list[tuple[int, int, Any]] = []
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return armed
    for which, sig, seconds in ((signal.ITIMER_PROF, signal.SIGPROF, cpu), (signal.ITIMER_REAL, signal.SIGALRM, wall)):
        try:
            old = signal.signal(sig, _on_alarm)
            signal.setitimer(which, max(0.01, seconds))
            armed.append((which, sig, old))
        except (OSError, ValueError):
            pass
    return armed


def _disarm(armed: list[tuple[int, int, Any]]) -> None:
    for which, sig, old in armed:
        signal.setitimer(which, 0)
        signal.signal(sig, old)


def _judge(session: Any, items: list[Any], limits: dict[str, float], left: float) -> tuple[str, str]:
    """Run ``items`` until one fails: ("killed"|"timeout"|"survived", the deciding test).

    Each test gets its own time limit (``limits``: a few times its own time on the original
    code, in CPU seconds) and the mutant as a whole what is ``left`` of the budget. Fixtures
    stay set up between the tests of one mutant (``nextitem``) and are all torn down after
    it, so each mutant starts as the session did."""
    stop = time.monotonic() + left
    _alarmed[0] = False
    armed: list[tuple[int, int, Any]] = []
    try:
        for i, item in enumerate(items):
            nextitem = items[i + 1] if i + 1 < len(items) else None
            limit = min(limits.get(item.nodeid, 1.0), max(0.01, stop - time.monotonic()))
            armed = _timers(limit, 4 * limit + 2.0)
            started = time.monotonic()
            reports = runtestprotocol(item, log=False, nextitem=nextitem)
            _disarm(armed)
            armed = []
            if _alarmed[0]:
                return "timeout", item.nodeid
            if any(rep.failed for rep in reports):
                return "killed", item.nodeid
            if time.monotonic() - started > 4 * limit + 2.0:
                return "timeout", item.nodeid
        return "survived", ""
    except _MutantTimeout:
        return "timeout", ""
    finally:
        _disarm(armed)
        try:
            session._setupstate.teardown_exact(None)
        except Exception:
            pass


def _quiet_outcomes() -> tuple[Any, Any]:
    """Silence Kaizen's outcomes plugin: mutant runs are not the session's test results."""
    mod = sys.modules.get("_kaizen_outcomes")
    if mod is None:
        return None, None
    saved = getattr(mod, "_fd", None)
    mod._fd = None  # type: ignore[attr-defined]
    return mod, saved


def _one(session: Any, mutant: dict[str, Any], file: str, items: list[Any], limits: dict[str, float],
         left: float) -> dict[str, Any]:
    rec: dict[str, Any] = {"event": "mutant", "id": mutant["id"]}
    qualname = str(mutant["qualname"])
    name = qualname.rsplit(".", 1)[-1]
    span = [int(x) for x in mutant.get("lines") or (0, 0)]
    targets, caches = _targets(file, qualname, (span[0], span[-1]))
    if not targets:
        return {**rec, "status": "not-run", "reason": f"{qualname} is not reachable in the loaded module"}
    try:
        code = _mutated_code(str(mutant["source"]), file, name, bool(mutant.get("in_class")))
    except (SyntaxError, ValueError) as exc:
        return {**rec, "status": "not-run", "reason": f"does not compile: {exc}"}
    if code is None:
        return {**rec, "status": "not-run", "reason": "mutated function not found in its source"}
    originals = [fn.__code__ for fn in targets]
    if any(code.co_freevars != c.co_freevars for c in originals):
        return {**rec, "status": "not-run", "reason": "the function's closure differs"}
    mod, saved = _quiet_outcomes()
    try:
        for fn in targets:
            fn.__code__ = code
        for c in caches:
            c.cache_clear()
        status, test = _judge(session, items, limits, left)
    finally:
        for fn, old in zip(targets, originals, strict=True):
            fn.__code__ = old
        for c in caches:
            try:
                c.cache_clear()
            except Exception:
                pass
        if mod is not None:
            mod._fd = saved
    return {**rec, "status": status, "test": test}


def _run_mutants(session: Any, plan: dict[str, Any]) -> None:
    file = str(plan["file"])
    items = [it for it in session.items if it.nodeid in _passed and it.nodeid not in _failed]
    base = sum(_seconds.get(it.nodeid, 0.0) for it in items)
    _emit({"event": "baseline", "passed": len(items), "failed": len(_failed), "seconds": base})
    if not items:
        return
    budget = float(plan.get("budget_s", 60.0))
    factor = float(plan.get("timeout_factor", 3.0))
    floor = float(plan.get("timeout_min_s", 0.5))
    limits = {it.nodeid: factor * _seconds.get(it.nodeid, 0.0) + floor for it in items}
    started = time.monotonic()
    for mutant in plan.get("mutants", []):
        left = budget - (time.monotonic() - started)
        if left <= 0:
            _emit({"event": "mutant", "id": mutant["id"], "status": "not-run", "reason": "budget spent"})
            continue
        try:
            rec = _one(session, mutant, file, items, limits, left)
        except _MutantTimeout:  # the alarm went off just as the last test ended
            rec = {"event": "mutant", "id": mutant["id"], "status": "timeout", "test": ""}
            try:
                session._setupstate.teardown_exact(None)
            except Exception:
                pass
        _emit(rec)
        killer = rec.get("test")
        if killer:  # the test that killed this mutant is tried first on the next ones
            items.sort(key=lambda it: it.nodeid != killer)
