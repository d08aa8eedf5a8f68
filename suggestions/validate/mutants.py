"""Mutation adequacy: do the tests that cover a change notice when that code is wrong?

A small, deterministic set of mutants of the ORIGINAL changed region (tree-sitter: flipped
comparisons and boolean operators, ``+``/``-`` swaps, off-by-one constants, ``return None``
or the first argument, a deleted statement, ``break``/``continue``) runs against the tests
that cover the change, in ONE pytest process in the unpatched sandbox: the
``_kaizen_mutants`` plugin (:data:`PLUGIN_MODULE`, in the outcomes plugin folder) runs the
selected tests once, then for each mutant swaps the mutated function's ``__code__`` in place
and re-runs the tests in-process until one fails (killed), a time limit passes (killed, as
mutation tools count it) or none fails (a survivor). Results are cached by region, tests
and generator version, so re-validations are cheap.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import tree_sitter

from analysis.atomic import write_atomic
from analysis.parsing import parse
from suggestions.validate.runner import RunResult

__all__ = ["ENV_PLAN", "GENERATOR_VERSION", "PLUGIN_MODULE", "Mutant", "MutationResult", "RunTests",
           "generate_mutants", "mutation_score"]

GENERATOR_VERSION = 1  # bump when generation changes: cached results then no longer apply
PLUGIN_MODULE = "_kaizen_mutants"
ENV_PLAN = "KAIZEN_MUTANTS_PLAN"
# A test's time limit under a mutant: TIMEOUT_FACTOR times its own time on the original code
# plus TIMEOUT_MIN_S, in CPU seconds (and a wall-clock backstop of four times that plus 2 s).
# A mutant stuck in a loop is killed by it (and counted killed, as mutation tools do); the
# limit bounds what such a one costs.
TIMEOUT_FACTOR = 3.0
TIMEOUT_MIN_S = 0.5

# run(tests, extra_args, extra_env, writable_dirs, timeout): pytest in the unpatched sandbox
RunTests = Callable[[Sequence[str], Sequence[str], dict[str, str], Sequence[Path], float], RunResult]

_FLIP = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "==", "in": "not in",
         "not in": "in", "is": "is not", "is not": "is"}
_ARITH = {"+": "-", "-": "+", "*": "/", "/": "*", "//": "/"}
_AUGMENTED = {"+=": "-=", "-=": "+=", "*=": "/=", "/=": "*="}
_QUIET_CALLS = ("print", "log", "logger", "logging", "warnings", "warn", "debug", "info", "warning", "error",
                "exception", "critical", "_log", "LOG", "LOGGER")
_TEXT_LITERALS = ("string", "concatenated_string", "list", "list_comprehension")
_FORMATTERS = ("__repr__", "__str__", "__format__")
_SNIPPET = 40


@dataclass(frozen=True, slots=True)
class Mutant:
    """One small wrong version of the original code."""

    line: int  # 1-based line of the original file
    kind: str  # compare, boolean, not, arith, constant, literal, return, delete, loop
    description: str  # "line 12: `<` → `>=`"
    start: int  # byte offsets in the original file of the replaced text
    end: int
    replacement: bytes
    qualname: str  # the function swapped in the test process (outermost reachable def)
    unit_start: int  # byte offsets of that function's definition (without decorators)
    unit_end: int
    in_class: bool  # the function is a method (compiled inside a class, for super()'s cell)
    lines: tuple[int, int] = (0, 0)  # its first decorator's line and its def line (what co_firstlineno may be)

    def apply(self, source: bytes) -> bytes:
        return source[: self.start] + self.replacement + source[self.end:]

    def unit_source(self, source: bytes) -> str:
        """The mutated function, dedented, at its original line (compilable on its own)."""
        text = self.apply(source)[self.unit_start: self.unit_end + len(self.replacement) - (self.end - self.start)]
        line_start = source.rfind(b"\n", 0, self.unit_start) + 1
        indent = self.unit_start - line_start
        lines = text.decode("utf-8", "replace").split("\n")
        body = [lines[0]] + [ln[indent:] if ln[:indent].strip() == "" else ln for ln in lines[1:]]
        first = source.count(b"\n", 0, self.unit_start)
        if self.in_class:
            return "\n" * max(0, first - 1) + "class _KaizenMutant:\n" + "\n".join("    " + ln for ln in body) + "\n"
        return "\n" * first + "\n".join(body) + "\n"


@dataclass(frozen=True, slots=True)
class MutationResult:
    total: int  # mutants run against the tests (not counting ones that could not be run)
    killed: int  # timeouts included
    survivors: tuple[str, ...] = ()  # descriptions of the mutants no test noticed
    timed_out: int = 0
    cached: bool = False
    note: str = ""

    @property
    def score(self) -> float | None:
        return self.killed / self.total if self.total else None


# --- generation ----------------------------------------------------------------------------


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 1] + "…"


def _unit_of(node: tree_sitter.Node) -> tuple[tree_sitter.Node, str, bool] | None:
    """The outermost function enclosing ``node`` that a qualname reaches from the module."""
    chain: list[tree_sitter.Node] = []
    cur: tree_sitter.Node | None = node
    while cur is not None:
        if cur.type in ("function_definition", "class_definition"):
            chain.append(cur)
        cur = cur.parent
    chain.reverse()  # outermost first
    names: list[str] = []
    for i, n in enumerate(chain):
        name_node = n.child_by_field_name("name")
        names.append(_text(name_node) if name_node is not None else "?")
        if n.type == "function_definition":
            return n, ".".join(names), i > 0 and chain[i - 1].type == "class_definition"
    return None


def _in_quiet_call(node: tree_sitter.Node) -> bool:
    """Inside the arguments of print/logging/warnings, an annotation, an f-string, or the
    parameters (default values live in ``__defaults__``, which swapping ``__code__`` keeps)."""
    cur = node.parent
    while cur is not None and cur.type not in ("function_definition", "module"):
        if cur.type in ("type", "interpolation", "decorator", "parameters", "lambda_parameters"):
            return True
        if cur.type == "call":
            fn = cur.child_by_field_name("function")
            words = _text(fn).replace(".", " ").split() if fn is not None else []
            if any(w in _QUIET_CALLS for w in words[:1] + words[-1:]):
                return True
        cur = cur.parent
    return False


def _enclosing_def(node: tree_sitter.Node) -> tree_sitter.Node | None:
    cur = node.parent
    while cur is not None and cur.type != "function_definition":
        cur = cur.parent
    return cur


def _first_param(fn: tree_sitter.Node) -> str | None:
    params = fn.child_by_field_name("parameters")
    if params is None:
        return None
    for p in params.named_children:
        name = p if p.type == "identifier" else p.child_by_field_name("name")
        if p.type in ("default_parameter", "typed_parameter", "typed_default_parameter") and name is None:
            name = next((c for c in p.named_children if c.type == "identifier"), None)
        if name is None or name.type != "identifier":
            return None  # *args, **kwargs, /, *
        text = _text(name)
        return None if text in ("self", "cls") else text
    return None


def _is_docstring(stmt: tree_sitter.Node) -> bool:
    return stmt.named_child_count == 1 and stmt.named_children[0].type in ("string", "concatenated_string")


Found = tuple[str, int, int, bytes, str]  # kind, start, end, replacement, description


def _neutral(op: str, right: tree_sitter.Node | None) -> bool:
    """``x + 0`` / ``x - 0`` and ``x * 1`` / ``x / 1``: the swap would change nothing."""
    if right is None or right.type not in ("integer", "float"):
        return False
    try:
        value = float(_text(right).replace("_", ""))
    except ValueError:
        return False
    return (op in ("+", "-") and value == 0) or (op in ("*", "/", "//") and value == 1)


def _operator_mutants(node: tree_sitter.Node) -> list[Found]:
    out: list[Found] = []
    t = node.type
    if t == "comparison_operator":
        for tok in node.children:
            old = " ".join(_text(tok).split())
            if not tok.is_named and old in _FLIP:
                out.append(("compare", tok.start_byte, tok.end_byte, _FLIP[old].encode(), f"`{old}` → `{_FLIP[old]}`"))
    elif t == "boolean_operator":
        op = node.child_by_field_name("operator")
        if op is not None:
            new = "or" if _text(op) == "and" else "and"
            out.append(("boolean", op.start_byte, op.end_byte, new.encode(), f"`{_text(op)}` → `{new}`"))
    elif t == "not_operator":
        arg = node.child_by_field_name("argument")
        if arg is not None:
            text = _text(arg)
            rep = f"({text})" if "\n" not in text else text
            out.append(("not", node.start_byte, node.end_byte, rep.encode(), f"`{_snippet(_text(node))}` → `{_snippet(text)}`"))
    elif t == "binary_operator":
        op = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        textual = any(c is not None and c.type in _TEXT_LITERALS for c in (left, right))
        if op is not None and _text(op) in _ARITH and not textual and not _neutral(_text(op), right):
            old = _text(op)
            out.append(("arith", op.start_byte, op.end_byte, _ARITH[old].encode(), f"`{old}` → `{_ARITH[old]}`"))
    elif t == "augmented_assignment":
        op = node.child_by_field_name("operator")
        right = node.child_by_field_name("right")
        if op is not None and _text(op) in _AUGMENTED and not (right is not None and right.type in _TEXT_LITERALS):
            old = _text(op)
            out.append(("arith", op.start_byte, op.end_byte, _AUGMENTED[old].encode(), f"`{old}` → `{_AUGMENTED[old]}`"))
    return out


def _literal_mutants(node: tree_sitter.Node, fn: tree_sitter.Node | None) -> list[Found]:
    t = node.type
    fn_name = _text(fn.child_by_field_name("name") or fn) if fn is not None else ""
    if fn_name in _FORMATTERS:
        return []  # formatting constants: rarely asserted, and not worth a mutant
    if t == "integer":
        try:
            value = int(_text(node).replace("_", ""), 0)
        except ValueError:
            return []
        return [("constant", node.start_byte, node.end_byte, str(value + 1).encode(), f"`{_text(node)}` → `{value + 1}`")]
    if t in ("true", "false"):
        new = "False" if t == "true" else "True"
        return [("literal", node.start_byte, node.end_byte, new.encode(), f"`{_text(node)}` → `{new}`")]
    if t in ("break_statement", "continue_statement"):
        new = "continue" if t == "break_statement" else "break"
        return [("loop", node.start_byte, node.end_byte, new.encode(), f"`{_text(node)}` → `{new}`")]
    return []


def _statement_mutants(node: tree_sitter.Node, fn: tree_sitter.Node | None) -> list[Found]:
    t = node.type
    out: list[Found] = []
    if t == "return_statement" and node.named_child_count == 1:
        value = node.named_children[0]
        vtext = _text(value)
        if vtext != "None":
            out.append(("return", value.start_byte, value.end_byte, b"None", f"`return {_snippet(vtext)}` → `return None`"))
        first = _first_param(fn) if fn is not None else None
        if first and vtext != first:
            out.append(("return", value.start_byte, value.end_byte, first.encode(),
                        f"`return {_snippet(vtext)}` → `return {first}`"))
    elif t == "expression_statement" and not _is_docstring(node) and node.named_child_count == 1:
        inner = node.named_children[0]
        if inner.type == "assignment":
            left, right = inner.child_by_field_name("left"), inner.child_by_field_name("right")
            if left is None or right is None or _text(left) == _text(right) or inner.child_by_field_name("type"):
                return out
        elif inner.type == "call":
            fn_node = inner.child_by_field_name("function")
            words = _text(fn_node).replace(".", " ").split() if fn_node is not None else []
            if any(w in _QUIET_CALLS for w in words[:1] + words[-1:]):
                return out
        elif inner.type not in ("augmented_assignment",):
            return out
        out.append(("delete", node.start_byte, node.end_byte, b"pass", f"`{_snippet(_text(node))}` deleted"))
    return out


def _candidates(tree: tree_sitter.Tree, source: bytes, lines: set[int]) -> tuple[list[Mutant], int]:
    """Every mutant of nodes starting on ``lines``, and how many sat at module level."""
    out: list[Mutant] = []
    module_level = 0
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        stack.extend(reversed(node.children))
        line = node.start_point[0] + 1
        if line not in lines or node.type == "ERROR" or node.has_error:
            continue
        fn = _enclosing_def(node)
        found = _operator_mutants(node) + _literal_mutants(node, fn) + _statement_mutants(node, fn)
        if not found or _in_quiet_call(node):
            continue
        unit = _unit_of(node)
        if unit is None:
            module_level += len(found)
            continue
        unit_node, qualname, in_class = unit
        holder = unit_node.parent if unit_node.parent is not None and unit_node.parent.type == "decorated_definition" \
            else unit_node
        span = (holder.start_point[0] + 1, unit_node.start_point[0] + 1)
        for kind, start, end, rep, words in found:
            at = source.count(b"\n", 0, start) + 1
            out.append(Mutant(at, kind, f"line {at}: {words}", start, end, rep, qualname, unit_node.start_byte,
                              unit_node.end_byte, in_class, span))
    return out, module_level


def _well_formed(m: Mutant, source: bytes) -> bool:
    new = m.apply(source)
    if new == source:
        return False
    if parse("python", new).root_node.has_error:
        return False
    try:
        compile(m.unit_source(source), "<mutant>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def _spread(cands: list[Mutant], limit: int, seed: bytes) -> list[Mutant]:
    """Up to ``limit`` mutants, round-robin over kinds and spread over lines (seeded order)."""
    rng = random.Random(int.from_bytes(hashlib.sha256(seed).digest()[:8], "big"))
    buckets: dict[str, list[Mutant]] = {}
    for m in cands:
        buckets.setdefault(m.kind, []).append(m)
    for items in buckets.values():
        rng.shuffle(items)
    kinds = sorted(buckets)
    rng.shuffle(kinds)
    chosen: list[Mutant] = []
    used_lines: set[int] = set()
    while len(chosen) < limit and any(buckets.values()):
        progressed = False
        for kind in kinds:
            items = buckets[kind]
            if not items or len(chosen) >= limit:
                continue
            pick = next((m for m in items if m.line not in used_lines), None)
            if pick is None:
                continue
            items.remove(pick)
            chosen.append(pick)
            used_lines.add(pick.line)
            progressed = True
        if not progressed:
            used_lines.clear()
    return chosen


def region_source(original: bytes, ranges: Sequence[tuple[int, int]]) -> bytes:
    """The text of the region's lines (what seeds the mutant order and keys the cache)."""
    lines = original.split(b"\n")
    return b"\n--\n".join(b"\n".join(lines[max(0, a - 1): b]) for a, b in sorted(ranges))


def generate_mutants(original: bytes, ranges: Sequence[tuple[int, int]], limit: int) -> tuple[list[Mutant], str]:
    """Up to ``limit`` well-formed mutants of ``original`` on the 1-based line ``ranges``.

    Returns them with a note on what was left out ("" when nothing was). Deterministic: the
    same region always gives the same mutants.
    """
    if limit <= 0:
        return [], ""
    lines = {n for a, b in ranges for n in range(a, b + 1)}
    tree = parse("python", original)
    cands, module_level = _candidates(tree, original, lines)
    seen: set[tuple[int, int, bytes]] = set()
    unique = []
    for m in cands:
        if (m.start, m.end, m.replacement) not in seen:
            seen.add((m.start, m.end, m.replacement))
            unique.append(m)
    good: list[Mutant] = []
    for m in _spread(unique, len(unique), region_source(original, ranges)):
        if len(good) >= limit:
            break
        if _well_formed(m, original):
            good.append(m)
    good.sort(key=lambda m: (m.start, m.description))
    note = f"{module_level} possible mutant(s) at module level not run (only functions are swapped)" if module_level else ""
    return good, note


# --- running -------------------------------------------------------------------------------


def _test_files_hash(box_path: Path, tests: Sequence[str]) -> str:
    h = hashlib.sha256()
    for f in sorted({t.split("::", 1)[0] for t in tests}):
        h.update(f.encode() + b"\0")
        try:
            h.update(hashlib.sha256((box_path / f).read_bytes()).digest())
        except OSError:
            h.update(b"?")
    return h.hexdigest()


def _cache_key(rel: str, original: bytes, ranges: Sequence[tuple[int, int]], tests: Sequence[str],
               box_path: Path, limit: int) -> str:
    h = hashlib.sha256()
    for part in (f"v{GENERATOR_VERSION}", rel, str(limit), json.dumps(sorted(tests)), _test_files_hash(box_path, tests)):
        h.update(part.encode() + b"\0")
    # The whole original file: a mutant runs in its module, and other code there decides its effect.
    h.update(hashlib.sha256(original).digest())
    h.update(region_source(original, ranges))
    return h.hexdigest()


def _cached(cache_dir: Path | None, key: str) -> MutationResult | None:
    if cache_dir is None:
        return None
    try:
        d = json.loads((cache_dir / f"{key}.json").read_text(encoding="utf-8"))
        return MutationResult(int(d["total"]), int(d["killed"]), tuple(str(s) for s in d["survivors"]),
                              int(d["timed_out"]), True, str(d.get("note", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store(cache_dir: Path | None, key: str, result: MutationResult) -> None:
    if cache_dir is None:
        return
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(cache_dir / f"{key}.json", json.dumps({
            "total": result.total, "killed": result.killed, "survivors": list(result.survivors),
            "timed_out": result.timed_out, "note": result.note, "at": time.time()}))
    except OSError:
        pass  # a cache that cannot be written costs time, not correctness


def _read_results(path: Path) -> tuple[list[dict[str, object]], dict[str, object], bool, str]:
    mutants: list[dict[str, object]] = []
    baseline: dict[str, object] = {}
    done = False
    error = ""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return mutants, baseline, done, error
    for line in text.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue  # cut short by a killed process
        if not isinstance(rec, dict):
            continue
        ev = rec.get("event")
        if ev == "mutant":
            mutants.append(rec)
        elif ev == "baseline":
            baseline = rec
        elif ev == "done":
            done = True
        elif ev == "error":
            error = str(rec.get("error", ""))
    return mutants, baseline, done, error


def _judged(mutants: Sequence[Mutant], records: list[dict[str, object]], notes: list[str]) -> MutationResult:
    by_id = {int(str(r.get("id"))): r for r in records if str(r.get("id", "")).isdigit()}
    killed = timed_out = 0
    survivors: list[str] = []
    not_run: list[str] = []
    for i, m in enumerate(mutants):
        r = by_id.get(i)
        status = str(r.get("status")) if r else "not-run"
        if status == "killed":
            killed += 1
        elif status == "timeout":
            killed += 1
            timed_out += 1
        elif status == "survived":
            survivors.append(m.description)
        else:
            not_run.append(f"{m.description} ({r.get('reason', 'not reached') if r else 'not reached'})")
    if not_run:
        notes.append(f"{len(not_run)} mutant(s) not run: " + "; ".join(not_run[:4]))
    total = killed + len(survivors)
    return MutationResult(total, killed, tuple(survivors), timed_out, False, "; ".join(n for n in notes if n))


def mutation_score(
    box_path: Path,
    rel: str,
    original: bytes,
    ranges: Sequence[tuple[int, int]],
    tests: Sequence[str],
    run: RunTests,
    *,
    limit: int = 8,
    budget_s: float = 60.0,
    work_dir: Path,
    cache_dir: Path | None = None,
    timeout: float = 300.0,
) -> MutationResult:
    """Mutants of ``original``'s ``ranges`` (1-based lines of ``rel``) run against ``tests``.

    ``run`` runs pytest on ``tests`` in the UNPATCHED sandbox ``box_path`` with extra
    arguments and environment, ``writable_dirs`` writable, within ``timeout`` seconds (the
    plain run's ``timeout`` plus ``budget_s`` for the mutants is asked for). ``work_dir``
    holds the plan and the results; ``cache_dir`` the cached scores.
    """
    if limit <= 0:
        return MutationResult(0, 0, note="mutation testing is off (validation.mutants = 0)")
    if not tests:
        return MutationResult(0, 0, note="no test covers the change: no mutant run")
    mutants, gen_note = generate_mutants(original, ranges, limit)
    if not mutants:
        return MutationResult(0, 0, note=gen_note or "no mutant could be made of the changed code")
    key = _cache_key(rel, original, ranges, tests, Path(box_path), limit)
    hit = _cached(cache_dir, key)
    if hit is not None:
        return hit
    work = Path(tempfile.mkdtemp(prefix="mutants-", dir=work_dir))
    results = work / "results.jsonl"
    plan = {
        "version": GENERATOR_VERSION, "file": str(Path(box_path) / rel), "results": str(results),
        "budget_s": budget_s, "timeout_factor": TIMEOUT_FACTOR, "timeout_min_s": TIMEOUT_MIN_S,
        "mutants": [{"id": i, "qualname": m.qualname, "in_class": m.in_class, "source": m.unit_source(original),
                     "lines": list(m.lines),
                     "description": m.description} for i, m in enumerate(mutants)],
    }
    write_atomic(work / "plan.json", json.dumps(plan))
    res = run(list(tests), ["-p", PLUGIN_MODULE], {ENV_PLAN: str(work / "plan.json")}, [work], timeout + budget_s)
    records, baseline, done, error = _read_results(results)
    notes = [gen_note]
    if error:
        notes.append(f"the mutation run failed: {error}")
    if not baseline:
        why = "timed out" if res.timed_out else f"exit status {res.returncode}"
        return MutationResult(0, 0, note="; ".join(n for n in [*notes, f"the mutation run did not start ({why})"] if n))
    if not int(str(baseline.get("passed", 0))):
        notes.append("the covering tests do not pass on the original code: no mutant judged")
        return MutationResult(0, 0, note="; ".join(n for n in notes if n))
    if not done:
        notes.append("the mutation run was stopped before it finished" + (" (timed out)" if res.timed_out else ""))
    result = _judged(mutants, records, notes)
    if done and not error and len(records) == len(mutants) and all(r.get("reason") != "budget spent" for r in records):
        _store(cache_dir, key, result)
    for p in (results, work / "plan.json"):
        try:
            os.unlink(p)
        except OSError:
            pass
    try:
        os.rmdir(work)
    except OSError:
        pass
    return result
