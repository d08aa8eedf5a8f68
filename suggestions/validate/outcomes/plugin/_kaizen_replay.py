"""Kaizen's differential replay (``python -m _kaizen_replay PLAN``): old and new code, real inputs.

The plan (JSON) names a module (import name and file), the patched source of that file, and
per function (qualified name) the recorded calls, each a base64 pickle of ``(args, kwargs)``.
The original module is imported as it is (this runs in the unpatched sandbox); the new one is
the patched source exec'd into a fresh module object with the same name and file, which is
put in ``sys.modules`` only while the new side unpickles, runs and pickles (so the recorded
``self`` is an instance of the new class, and its results pickle under the same names as the
old ones). Each call runs on a fresh unpickled copy of its arguments, twice on the old code
(a call that gives two different answers there is not judged) and once on the new, with
``random`` seeded alike, output swallowed and a time limit (SIGALRM). Compared: the return
value (type, then ``==``, else the pickles: NaN-safe), the type of a raised exception, and
the arguments after the call (their pickles). Results go to the plan's ``results`` file
after each function.

Stdlib only: it runs in the project's interpreter.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import io
import itertools
import json
import os
import pickle
import random
import re
import reprlib
import signal
import sys
import time
import types
from collections.abc import Iterator
from typing import Any

_MAX_ITEMS = 10_000  # items taken from a returned generator
_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = 6
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


class _CallTimeout(BaseException):
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise _CallTimeout


@contextlib.contextmanager
def _registered(name: str, module: types.ModuleType) -> Iterator[None]:
    saved = sys.modules.get(name)
    sys.modules[name] = module
    try:
        yield
    finally:
        if saved is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = saved


def _function(module: types.ModuleType, qualname: str) -> Any:
    """The function ``qualname`` names (methods from their class's dict), or None."""
    parts = qualname.split(".")
    obj: Any = module
    for part in parts[:-1]:
        obj = vars(obj).get(part) if isinstance(obj, (type, types.ModuleType)) else None
        if not isinstance(obj, type):
            return None
    todo = [vars(obj).get(parts[-1])]
    seen = 0
    while todo and seen < 20:
        seen += 1
        cur = todo.pop(0)
        if cur is None:
            continue
        if isinstance(cur, types.FunctionType) and cur.__code__.co_name == parts[-1]:
            return cur
        if isinstance(cur, (staticmethod, classmethod)):
            todo.append(cur.__func__)
        elif isinstance(cur, property):
            todo.extend(f for f in (cur.fget, cur.fset, cur.fdel) if f is not None)
        wrapped = getattr(cur, "__wrapped__", None) if not isinstance(cur, type) else None
        if wrapped is not None:
            todo.append(wrapped)
    return None


def _materialized(value: Any) -> Any:
    """A generator's or a builtin iterator's items (``map``, ``zip``, ``itertools``...), else itself."""
    if isinstance(value, types.GeneratorType) or (
            hasattr(value, "__next__") and type(value).__module__ in ("builtins", "itertools")):
        return list(itertools.islice(value, _MAX_ITEMS))
    return value


def _dumps(value: Any) -> bytes | None:
    try:
        return pickle.dumps(value, 4)
    except Exception:
        return None


def _message(exc: BaseException) -> str:
    try:
        text = " ".join(str(exc).split())
    except Exception:
        return ""
    return text if len(text) <= 120 else text[:119] + "…"


def _short(value: Any) -> str:
    try:
        return _ADDRESS.sub("", _repr.repr(value))
    except Exception:
        return f"<{type(value).__qualname__}>"


def _run(fn: Any, data: bytes, name: str, module: types.ModuleType, limit: float) -> dict[str, Any]:
    """One call of ``fn`` on a fresh copy of the recorded arguments, in ``module``'s context."""
    out: dict[str, Any] = {}
    with _registered(name, module):
        args, kwargs = pickle.loads(data)
        random.seed(0)
        old = signal.signal(signal.SIGALRM, _on_alarm)
        start = time.perf_counter()
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                signal.setitimer(signal.ITIMER_REAL, max(0.01, limit))
                try:
                    value = fn(*args, **kwargs)
                    if isinstance(value, (types.CoroutineType, types.AsyncGeneratorType)):
                        if isinstance(value, types.CoroutineType):
                            value.close()
                        out = {"kind": "skip"}  # what it does happens in an event loop: not judged here
                    else:
                        items = _materialized(value)
                        # Any one-pass iterator is as good as another: what it yields is compared.
                        kind = "iterator" if items is not value else type(value).__qualname__
                        out = {"kind": "return", "value": items, "type": kind}
                except _CallTimeout:
                    out = {"kind": "timeout"}
                except BaseException as exc:  # SystemExit and KeyboardInterrupt too: they are behaviour
                    out = {"kind": "raise", "type": type(exc).__qualname__, "message": _message(exc)}
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
        except _CallTimeout:  # the alarm went off just as the call returned
            out = {"kind": "timeout"}
        finally:
            signal.signal(signal.SIGALRM, old)
        out["seconds"] = time.perf_counter() - start
        if out["kind"] == "return":
            out["pickled"] = _dumps(out["value"])
            out["repr"] = _short(out["value"])
        out["after"] = _dumps((args, kwargs))
    return out


def _same_value(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a["type"] != b["type"]:
        return False
    try:
        if (a["value"] == b["value"]) is True:
            return True
    except Exception:
        pass
    if a["pickled"] is not None and b["pickled"] is not None:
        return bool(a["pickled"] == b["pickled"])
    return bool(a["pickled"] is None and b["pickled"] is None and a["repr"] == b["repr"])


def _difference(a: dict[str, Any], b: dict[str, Any]) -> str:
    """How ``b`` behaved differently from ``a``, in words ("" when alike)."""
    if a["kind"] != b["kind"] or a["kind"] == "timeout":
        return f"{_outcome(a)} before and {_outcome(b)} after"
    if a["kind"] == "raise":
        if a["type"] != b["type"]:
            return f"{_outcome(a)} before and {_outcome(b)} after"
    elif not _same_value(a, b):
        return f"{_outcome(a)} before and {_outcome(b)} after"
    if a["after"] is not None and b["after"] is not None and a["after"] != b["after"]:
        return "left its arguments in a different state after the call (the old and the new code mutate them differently)"
    return ""


def _outcome(r: dict[str, Any]) -> str:
    if r["kind"] == "return":
        return f"returned {r['repr']}"
    if r["kind"] == "raise":
        return f"raised {r['type']}" + (f" ({r['message']})" if r.get("message") else "")
    if r["kind"] == "skip":
        return "returned a coroutine"
    return f"did not finish within {r.get('limit', 0):.1f}s"


def _call_words(qualname: str, fn: Any, data: bytes) -> str:
    try:
        args, kwargs = pickle.loads(data)
    except Exception:
        return f"{qualname}(...)"
    code = getattr(fn, "__code__", None)
    if "." in qualname and code is not None and code.co_varnames[:1] in (("self",), ("cls",)) and args:
        args = args[1:]
    words = [_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()]
    text = ", ".join(words)
    return f"{qualname}({text if len(text) <= 200 else text[:199] + '…'})"


def _replay_function(entry: dict[str, Any], name: str, old_mod: types.ModuleType, new_mod: types.ModuleType,
                     call_limit: float) -> dict[str, Any]:
    qualname = str(entry["qualname"])
    rec: dict[str, Any] = {"replayed": 0, "mismatches": 0, "first": "", "note": ""}
    old_fn, new_fn = _function(old_mod, qualname), _function(new_mod, qualname)
    if old_fn is None:
        rec["note"] = "not found in the original module"
        return rec
    if new_fn is None:
        rec["note"] = "not in the new code (renamed or removed): not replayed"
        return rec
    skipped = 0
    for encoded in entry.get("calls", []):
        data = base64.b64decode(encoded)
        try:
            a = _run(old_fn, data, name, old_mod, call_limit)
            again = _run(old_fn, data, name, old_mod, max(call_limit, 2 * a["seconds"] + 0.5))
        except Exception:  # the recorded arguments no longer unpickle
            skipped += 1
            continue
        if a["kind"] in ("timeout", "skip") or _difference(a, again):
            skipped += 1  # slow or not deterministic on the old code: it cannot judge the new one
            continue
        limit = min(call_limit, max(1.0, 20 * a["seconds"] + 0.5))
        try:
            b = _run(new_fn, data, name, new_mod, limit)
        except Exception as exc:
            b = {"kind": "raise", "type": type(exc).__qualname__, "message": _message(exc), "after": None}
        b["limit"] = limit
        rec["replayed"] += 1
        diff = _difference(a, b)
        if diff:
            rec["mismatches"] += 1
            if not rec["first"]:
                rec["first"] = f"{_call_words(qualname, old_fn, data)} {diff}"
            if b["kind"] == "timeout":
                break  # the rest would hang as well
    if skipped:
        rec["note"] = (f"{skipped} recorded call(s) not judged (slow, not deterministic or a coroutine on "
                       "the old code)")
    return rec


def _write(path: str, data: dict[str, Any]) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)


def _modules(plan: dict[str, Any]) -> tuple[types.ModuleType, types.ModuleType]:
    name = str(plan["module"])
    old_mod = importlib.import_module(name)
    file = str(plan["file"])
    if os.path.realpath(getattr(old_mod, "__file__", "") or "") != os.path.realpath(file):
        raise ImportError(f"{name} imports {getattr(old_mod, '__file__', None)}, not {file}")
    new_mod = types.ModuleType(name, old_mod.__doc__)
    for attr in ("__file__", "__package__", "__spec__", "__loader__", "__path__"):
        if hasattr(old_mod, attr):
            setattr(new_mod, attr, getattr(old_mod, attr))
    with _registered(name, new_mod):
        exec(compile(str(plan["patched"]), file, "exec", dont_inherit=True), new_mod.__dict__)
    return old_mod, new_mod


def main(argv: list[str]) -> int:
    with open(argv[0], encoding="utf-8") as fh:
        plan = json.load(fh)
    results: dict[str, Any] = {"functions": {}, "done": False}
    path = str(plan["results"])
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            old_mod, new_mod = _modules(plan)
    except BaseException as exc:
        results.update(done=True, error=f"cannot load the module: {type(exc).__name__}: {_message(exc)}")
        _write(path, results)
        return 0
    limit = float(plan.get("call_timeout_s", 5.0))
    for entry in plan.get("functions", []):
        results["functions"][str(entry["qualname"])] = _replay_function(entry, str(plan["module"]), old_mod,
                                                                        new_mod, limit)
        _write(path, results)
    results["done"] = True
    _write(path, results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
