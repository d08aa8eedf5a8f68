"""Differential replay: the old and the new version of each changed function, called on the real
arguments a trace recorded (``trace.value-samples``), must behave alike.

For the functions of the ORIGINAL file that the change touches, the recorded calls (pickled
``(args, kwargs)``, see :meth:`analysis.trace_store.TraceStore.call_samples`) go into a plan
that ``python -m _kaizen_replay PLAN`` (:data:`REPLAY_MODULE`, in the outcomes plugin folder)
runs in the unpatched sandbox: it imports the module as it is, builds the patched version
from its source beside it, calls both on fresh copies of each recorded call and compares the
return values (``==``, else their pickles; NaN-safe), the type of a raised exception, and
what each did to its arguments. A mismatch names the input in words.
"""

from __future__ import annotations

import base64
import json
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import tree_sitter

from analysis.atomic import write_atomic
from analysis.parsing import parse
from suggestions.validate.runner import RunResult

__all__ = ["REPLAY_MODULE", "CallSamples", "ReplayResult", "RunPython", "changed_functions", "module_name",
           "replay_change"]

REPLAY_MODULE = "_kaizen_replay"
CALL_TIMEOUT_S = 5.0  # the longest one recorded call may run on the old code
MAX_CALLS = 64  # recorded calls replayed per change at most

# run(argv, extra_env, writable_dirs, timeout): ``python ARGV`` in the unpatched sandbox
RunPython = Callable[[Sequence[str], dict[str, str], Sequence[Path], float], RunResult]


class CallSamples(Protocol):
    def call_samples(self, path: str, qualname: str) -> list[bytes]: ...


@dataclass(frozen=True, slots=True)
class ReplayResult:
    replayed: int  # recorded calls run on both versions and compared
    mismatches: int
    first_mismatch: str = ""  # "projected_growth(10) returned 11.0 before and 12.1 after"
    note: str = ""


def _name(node: tree_sitter.Node) -> str:
    n = node.child_by_field_name("name")
    return (n.text or b"").decode("utf-8", "replace") if n is not None else "?"


def changed_functions(original: bytes, ranges: Sequence[tuple[int, int]]) -> list[str]:
    """Qualified names of the functions of ``original`` that overlap the 1-based line ``ranges``.

    A change inside a nested function counts for the outermost function a qualified name
    reaches (``Class.method``; not ``f.<locals>.g``, which no trace can call from outside).
    A name that two functions share (a property's getter and setter) is left out.
    """
    tree = parse("python", original)
    found: list[str] = []
    seen: dict[str, int] = {}

    def visit(node: tree_sitter.Node, prefix: list[str]) -> None:
        for child in node.named_children:
            target = child
            if child.type == "decorated_definition":
                target = child.child_by_field_name("definition") or child
            first, last = child.start_point[0] + 1, child.end_point[0] + 1
            overlaps = any(a <= last and b >= first for a, b in ranges)
            if target.type == "function_definition":
                q = ".".join([*prefix, _name(target)])
                seen[q] = seen.get(q, 0) + 1
                if overlaps and q not in found:
                    found.append(q)
            elif target.type == "class_definition":
                body = target.child_by_field_name("body")
                if body is not None:
                    visit(body, [*prefix, _name(target)])
            elif child.type in ("if_statement", "try_statement", "block", "else_clause", "except_clause",
                                "finally_clause", "elif_clause", "with_statement"):
                visit(child, prefix)  # functions defined under a module-level if/try

    visit(tree.root_node, [])
    # Two functions of one name (a property's getter and setter, a redefinition): the trace
    # keeps their calls under that one name, so they cannot be told apart.
    return [q for q in found if seen[q] == 1]


def module_name(rel: str) -> str:
    """The import name of a project file (``src/`` layouts import from inside ``src``)."""
    parts = rel.removesuffix(".py").split("/")
    if parts and parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _words(results: dict[str, Any]) -> tuple[int, int, str, list[str]]:
    replayed = mismatches = 0
    first = ""
    notes: list[str] = []
    for qual, r in (results.get("functions") or {}).items():
        if not isinstance(r, dict):
            continue
        replayed += int(r.get("replayed", 0))
        mismatches += int(r.get("mismatches", 0))
        first = first or str(r.get("first", ""))
        if r.get("note"):
            notes.append(f"{qual}: {r['note']}")
    return replayed, mismatches, first, notes


def replay_change(
    box_path: Path,
    rel: str,
    original: bytes,
    patched: bytes,
    ranges: Sequence[tuple[int, int]],
    trace_store: CallSamples,
    run: RunPython,
    *,
    timeout: float,
    work_dir: Path,
) -> ReplayResult:
    """Replay the recorded calls of ``rel``'s changed functions on ``original`` and ``patched``.

    ``run`` runs ``python ARGV`` confined in the UNPATCHED sandbox ``box_path`` (Kaizen's
    plugin folder importable), with ``work_dir`` writable, within ``timeout`` seconds.
    """
    functions = []
    total = 0
    for qual in changed_functions(original, ranges):
        calls = trace_store.call_samples(rel, qual)[: max(0, MAX_CALLS - total)]
        if calls:
            total += len(calls)
            functions.append({"qualname": qual, "calls": [base64.b64encode(c).decode("ascii") for c in calls]})
    if not functions:
        return ReplayResult(0, 0, note="no recorded calls of the changed functions (trace the tests to get some)")
    Path(work_dir).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="replay-", dir=work_dir))
    results = work / "results.json"
    plan = work / "plan.json"
    write_atomic(plan, json.dumps({
        "file": str(Path(box_path) / rel), "module": module_name(rel), "patched": patched.decode("utf-8", "replace"),
        "functions": functions, "results": str(results), "call_timeout_s": CALL_TIMEOUT_S,
    }))
    res = run(["-m", REPLAY_MODULE, str(plan)], {}, [work], timeout)
    try:
        data = json.loads(results.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        why = "timed out" if res.timed_out else f"exit status {res.returncode}"
        tail = res.output.strip().splitlines()[-1:] if res.output.strip() else []
        return ReplayResult(0, 0, note=f"replay did not run ({why}{': ' + tail[0][:200] if tail else ''})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    replayed, mismatches, first, notes = _words(data if isinstance(data, dict) else {})
    if data.get("error"):
        notes.insert(0, str(data["error"]))
    if not data.get("done"):
        notes.append("replay stopped before it finished" + (" (timed out)" if res.timed_out else ""))
    return ReplayResult(replayed, mismatches, first, "; ".join(notes[:6]))
