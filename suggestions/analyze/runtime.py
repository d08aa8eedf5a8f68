"""Trace-driven suggestions (codes KZ8xx, source RUNTIME) and runtime evidence for the rest.

What a static analyzer cannot know, the latest trace tells. Each code is a rule declared
(and documented) in ``suggestions/analyze/rules/runtime/``; its code, category,
applicability and confidence come from there:

* KZ801 — a hot function that is pure by static inspection and was called again and again
  with the same hashable arguments: ``@functools.cache`` (UNSAFE), ranked by the time the
  cache would have saved in the traced run.
* KZ802 — an unannotated function whose observed argument and return types were uniform:
  annotations from those types (UNSAFE: a run only shows some of the types).
* KZ803 — a ``try/except`` used for control flow, the exception raised thousands of times:
  a check or ``dict.get`` instead, with the raise count (a fix for the ``x = d[k]`` form).
* KZ804 — a function never executed by a full test run: dead-code advice (DISPLAY_ONLY;
  never an automatic deletion).

:func:`attach_evidence` adds the figures of the code a suggestion touches (share of time,
calls, exceptions) to any suggestion, static or not, so that ranking can weigh it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tree_sitter

from analysis.inventory import read_source, scan_inventory
from analysis.parsing import parse
from analysis.trace_store import TraceInfo, TraceStore
from analysis.tracing import ExceptionStats, FunctionStats
from suggestions.analyze.framework import Rule
from suggestions.analyze.rules.runtime.annotate_observed_types import AnnotateObservedTypes
from suggestions.analyze.rules.runtime.dead_code import DeadCode
from suggestions.analyze.rules.runtime.hot_exception import HotException
from suggestions.analyze.rules.runtime.memoize_hot_function import MemoizeHotFunction
from suggestions.diff import patch_diff
from suggestions.model import Applicability, Edit, Patch, Source, Span, Suggestion, fingerprint_of
from suggestions.store import Store

__all__ = [
    "ANNOTATE",
    "DEAD_CODE",
    "HOT_EXCEPT",
    "MEMOIZE",
    "FunctionDef",
    "attach_evidence",
    "function_defs",
    "is_pure",
    "runtime_suggestions",
]

MEMOIZE, ANNOTATE, HOT_EXCEPT, DEAD_CODE = (
    MemoizeHotFunction.code, AnnotateObservedTypes.code, HotException.code, DeadCode.code)

MIN_CALLS = 500  # a function called fewer times is not worth a cache
MIN_HASH_SAMPLES = 16  # argument samples needed to believe the repetition figure
MIN_REPEAT = 0.5  # share of sampled calls whose arguments had been seen before
MIN_SAVED_S = 0.0005  # the cache must have saved at least this much in the traced run
HOT_RAISES = 1000  # an exception raised this often in one place is control flow
MIN_CAUGHT = 0.9  # ... and almost always caught
MIN_TYPE_SAMPLES = 2

_IMPURE_CALLS = frozenset({
    "print", "open", "input", "exec", "eval", "compile", "__import__", "setattr", "delattr", "globals",
    "locals", "vars", "breakpoint", "exit", "quit", "help", "id", "hash", "iter", "next",
})
_IMPURE_MODULES = frozenset({
    "random", "time", "datetime", "os", "sys", "uuid", "secrets", "socket", "subprocess", "logging",
    "shutil", "pathlib", "io", "tempfile", "requests", "urllib", "http", "threading", "asyncio",
    "multiprocessing", "signal", "sqlite3", "json", "pickle", "warnings", "np", "numpy",
})
_MUTATORS = frozenset({
    "append", "extend", "insert", "pop", "remove", "clear", "update", "add", "discard", "setdefault",
    "sort", "reverse", "popitem", "write", "writelines", "send", "close", "put", "appendleft",
    "extendleft", "popleft", "rotate", "fill", "resize", "seek", "truncate", "__setitem__",
})
_IMMUTABLE_RETURNS = frozenset({"int", "float", "str", "bytes", "bool", "NoneType", "complex", "tuple", "frozenset"})
_SIMPLE_TYPE = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")
_ANNOTATABLE = frozenset({"int", "float", "str", "bytes", "bool", "complex", "None", "list", "dict", "set",
                          "frozenset", "tuple", "bytearray", "range", "slice", "type", "object", "..."})
_TEST_FILE = re.compile(r"(^|/)(tests?/|test_[^/]*\.py$|[^/]*_test\.py$|conftest\.py$)")
_ADVICE = {
    "KeyError": "look the key up with `d.get(key, default)` (or test `key in d`)",
    "AttributeError": "use `getattr(obj, name, default)` (or check with `hasattr`)",
    "IndexError": "check the index against `len(...)` first",
    "StopIteration": "use `next(iterator, default)`",
    "ValueError": "validate the input before converting it (e.g. `str.isdigit()`)",
    "TypeError": "check the type first (`isinstance`)",
}


@dataclass(frozen=True)
class FunctionDef:
    """A ``def`` found by tree-sitter, with the qualified name Python would give it."""

    qualname: str
    name: str
    def_line: int  # the `def` line (1-based)
    start_line: int  # first decorator line, else the def line (what co_firstlineno says)
    end_line: int
    node: tree_sitter.Node  # function_definition
    outer: tree_sitter.Node  # decorated_definition when decorated, else the function itself
    in_class: bool
    nested: bool


def function_defs(tree: tree_sitter.Tree) -> list[FunctionDef]:
    """Every function in a module with its ``__qualname__`` (``C.m``, ``f.<locals>.g``)."""
    out: list[FunctionDef] = []

    def walk(node: tree_sitter.Node, prefix: str, in_class: bool, nested: bool) -> None:
        for child in node.named_children:
            target, outer = child, child
            if child.type == "decorated_definition":
                inner = child.child_by_field_name("definition")
                if inner is None:
                    continue
                target = inner
            if target.type == "function_definition":
                name_node = target.child_by_field_name("name")
                name = _text(name_node) if name_node else "?"
                qual = f"{prefix}{name}"
                out.append(FunctionDef(qual, name, target.start_point[0] + 1, outer.start_point[0] + 1,
                                       target.end_point[0] + 1, target, outer, in_class, nested))
                body = target.child_by_field_name("body")
                if body is not None:
                    walk(body, f"{qual}.<locals>.", False, True)
            elif target.type == "class_definition":
                name_node = target.child_by_field_name("name")
                body = target.child_by_field_name("body")
                if name_node is not None and body is not None:
                    walk(body, f"{prefix}{_text(name_node)}.", True, nested)
            elif child.type in ("if_statement", "try_statement", "with_statement", "else_clause", "elif_clause",
                                "except_clause", "finally_clause", "block", "for_statement", "while_statement"):
                walk(child, prefix, in_class, nested)  # defs in blocks keep the enclosing prefix

    walk(tree.root_node, "", False, False)
    return out


def _text(node: tree_sitter.Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def _walk(node: tree_sitter.Node) -> Iterable[tree_sitter.Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def _param_names(fn: tree_sitter.Node) -> list[str]:
    params = fn.child_by_field_name("parameters")
    names = []
    for p in params.named_children if params else []:
        if p.type == "identifier":
            names.append(_text(p))
        elif p.type in ("default_parameter", "typed_parameter", "typed_default_parameter"):
            ident = p.child_by_field_name("name") or next((c for c in p.named_children if c.type == "identifier"), None)
            if ident is not None:
                names.append(_text(ident))
        elif p.type in ("list_splat_pattern", "dictionary_splat_pattern"):
            ident = next((c for c in p.named_children if c.type == "identifier"), None)
            if ident is not None:
                names.append(_text(ident))
    return names


def is_pure(fd: FunctionDef) -> tuple[bool, str]:
    """A conservative static purity check; returns (pure, the reason when it is not)."""
    fn = fd.node
    if fd.in_class or fd.nested:
        return False, "methods and nested functions are not cached (self and closures)"
    if fd.outer is not fn:
        return False, "already decorated"
    if _text(fn).startswith("async"):
        return False, "coroutine"
    params = set(_param_names(fn))
    if not params:
        return False, "no arguments"
    for p in (fn.child_by_field_name("parameters") or fn).named_children:
        if p.type in ("default_parameter", "typed_default_parameter"):
            value = p.child_by_field_name("value")
            if value is not None and value.type in ("list", "dictionary", "set", "call"):
                return False, "mutable default"
    body = fn.child_by_field_name("body")
    for node in _walk(body) if body is not None else ():
        why = _impurity(node, params)
        if why:
            return False, why
    return True, ""


def _impurity(node: tree_sitter.Node, params: set[str]) -> str:
    """Why this one node of a function body makes it impure ("" when it does not)."""
    t = node.type
    if t in ("global_statement", "nonlocal_statement"):
        return f"`{t.split('_')[0]}` statement"
    if t in ("yield", "await"):
        return "generator or coroutine"
    if t == "call":
        return _call_impurity(node, params)
    if t == "attribute":
        obj = node.child_by_field_name("object")
        if obj is not None and obj.type == "identifier" and _text(obj) in _IMPURE_MODULES:
            return f"uses `{_text(obj)}`"
    if t == "identifier" and _text(node) in _IMPURE_MODULES and node.parent is not None \
            and node.parent.type in ("call", "argument_list"):
        return f"uses `{_text(node)}`"
    if t in ("assignment", "augmented_assignment", "delete_statement"):
        targets = [node.child_by_field_name("left")] if t != "delete_statement" else node.named_children
        for target in targets:
            why = _mutated_argument(target, params)
            if why:
                return why
    return ""


def _call_impurity(node: tree_sitter.Node, params: set[str]) -> str:
    func = node.child_by_field_name("function")
    if func is None:
        return ""
    if func.type == "identifier" and _text(func) in _IMPURE_CALLS:
        return f"calls `{_text(func)}`"
    if func.type == "attribute":
        obj = func.child_by_field_name("object")
        attr = _text(func.child_by_field_name("attribute"))
        if obj is not None and obj.type == "identifier" and _text(obj) in params and attr in _MUTATORS:
            return f"mutates argument `{_text(obj)}`"
    return ""


def _mutated_argument(target: tree_sitter.Node | None, params: set[str]) -> str:
    """An assignment or ``del`` target that writes into an argument (``arg.x = ``, ``arg[i] = ``)."""
    for sub in _walk(target) if target is not None else ():
        if sub.type in ("attribute", "subscript"):
            base = sub.child_by_field_name("object") or sub.child_by_field_name("value")
            while base is not None and base.type in ("attribute", "subscript"):
                base = base.child_by_field_name("object") or base.child_by_field_name("value")
            if base is not None and base.type == "identifier" and _text(base) in params:
                return f"mutates argument `{_text(base)}`"
    return ""


# --- the suggestions ---------------------------------------------------------------------------


@dataclass
class _File:
    path: str
    data: bytes
    base_hash: str
    tree: tree_sitter.Tree
    defs: list[FunctionDef]

    def find(self, stats: FunctionStats) -> FunctionDef | None:
        for fd in self.defs:
            if fd.qualname == stats.name and stats.line in (fd.start_line, fd.def_line):
                return fd
        same = [fd for fd in self.defs if fd.qualname == stats.name]
        return same[0] if len(same) == 1 else None


def _load(root: Path, path: str, cache: dict[str, _File | None]) -> _File | None:
    if path in cache:
        return cache[path]
    f: _File | None = None
    if path.endswith(".py"):
        try:
            src = read_source(root / path)
            tree = parse("python", src.data)
            f = _File(path, src.data, src.raw_hash, tree, function_defs(tree))
        except (OSError, ValueError):
            f = None
    cache[path] = f
    return f


def _suggestion(rule: type[Rule], f: _File, node: tree_sitter.Node, title: str, rationale: str,
                patch: Patch | None, evidence: dict[str, Any], target: str) -> Suggestion:
    """A suggestion of ``rule`` (its declared applicability, confidence and category)."""
    applicability = rule.applicability if patch is not None else Applicability.DISPLAY_ONLY
    (sr, sc), (er, ec) = node.start_point, node.end_point
    return Suggestion(
        fingerprint=fingerprint_of(rule.code, f.path, target),
        code=rule.code,
        title=title,
        rationale=rationale,
        path=f.path,
        span=Span(sr + 1, sc, er + 1, ec, node.start_byte, node.end_byte),
        patch=patch,
        applicability=applicability,
        confidence=rule.confidence,
        source=Source.RUNTIME,
        category=rule.category.value,
        diff=patch_diff(patch, f.data) if patch else "",
        evidence=evidence,
    )


def _header(fd: FunctionDef) -> str:
    body = fd.node.child_by_field_name("body")
    end = body.start_byte if body is not None else fd.node.end_byte
    return fd.node.text[: end - fd.node.start_byte].decode("utf-8", "replace") if fd.node.text else fd.qualname


def _import_edit(f: _File) -> Edit | None:
    """``import functools`` after the module's leading imports, unless it is there."""
    root = f.tree.root_node
    insert_at = 0
    for child in root.named_children:
        if (child.type == "import_statement" and re.search(r"\bimport\s+functools\b(?!\s*\.)", _text(child))
                and " as " not in _text(child)):
            return None
        if child.type in ("import_statement", "import_from_statement", "future_import_statement") or (
            child.type == "expression_statement" and child.named_children
            and child.named_children[0].type == "string" and insert_at == 0
        ) or child.type == "comment":
            insert_at = child.end_byte
            continue
        break
    if insert_at == 0:
        return Edit(0, 0, "import functools\n\n")
    # after the statement's line end
    nl = f.data.find(b"\n", insert_at)
    pos = len(f.data) if nl < 0 else nl + 1
    prefix = "" if nl >= 0 else "\n"
    return Edit(pos, pos, f"{prefix}import functools\n")


def _memoize(f: _File, stats: FunctionStats, fd: FunctionDef, share: float) -> Suggestion | None:
    if stats.calls < MIN_CALLS or stats.unhashable or stats.hashable < MIN_HASH_SAMPLES:
        return None
    repeat = 1.0 - stats.distinct / stats.hashable
    saved = stats.total * repeat
    if repeat < MIN_REPEAT or saved < MIN_SAVED_S:
        return None
    if any(t.split("[")[0] not in _IMMUTABLE_RETURNS for t in stats.return_types):
        return None  # a cached mutable result would be shared between callers
    pure, _ = is_pure(fd)
    if not pure:
        return None
    indent = " " * fd.node.start_point[1]
    edits = [Edit(fd.outer.start_byte, fd.outer.start_byte, f"@functools.cache\n{indent}")]
    imp = _import_edit(f)
    if imp is not None:
        edits.append(imp)
    patch = Patch(f.path, f.base_hash, tuple(edits))
    evidence = {
        "calls": stats.calls, "calls_exact": True, "time_exact": stats.time_exact, "total_s": round(stats.total, 6),
        "time_share": round(share, 4), "repeat_ratio": round(repeat, 3),
        "argument_samples": stats.hashable, "distinct_samples": stats.distinct,
        "estimated_saving_s": round(saved, 6),
    }
    return _suggestion(
        MemoizeHotFunction, f, fd.node, f"Cache `{fd.qualname}`: {stats.calls} calls, ~{repeat:.0%} with repeated arguments",
        f"`{fd.qualname}` looks pure (no global writes, I/O, randomness, clock or argument mutation) and "
        f"the traced run called it {stats.calls} times, {repeat:.0%} of the sampled calls with arguments "
        f"already seen; `functools.cache` would have saved about {saved * 1000:.1f} ms of "
        f"{stats.total * 1000:.1f} ms. Unsafe: the cache keeps every argument alive and assumes the "
        "result depends on the arguments only.",
        patch, evidence, _header(fd),
    )


def _merge_types(types: dict[str, int]) -> str | None:
    names = {t for t in types if t != "..."}
    if "..." in types or not names:
        return None
    names = {"None" if t == "NoneType" else t for t in names}
    for t in list(names):
        if "[" not in t and any(o.startswith(t + "[") for o in names):
            names.discard(t)  # an empty list next to list[int]: list[int]
    if names == {"int", "float"}:
        names = {"float"}
    if names == {"int", "bool"}:
        names = {"int"}
    if not all(set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*|\.\.\.", t)) <= _ANNOTATABLE for t in names):
        return None  # only builtins: anything else would need imports
    if len(names) == 1:
        return names.pop()
    if len(names) == 2 and "None" in names:
        other = (names - {"None"}).pop()
        return f"{other} | None"
    return None


def _annotate(f: _File, stats: FunctionStats, fd: FunctionDef) -> Suggestion | None:
    fn = fd.node
    params = fn.child_by_field_name("parameters")
    if params is None or fn.child_by_field_name("return_type") is not None or stats.sampled < MIN_TYPE_SAMPLES:
        return None
    body = fn.child_by_field_name("body")
    if body is not None and any(n.type in ("yield", "await") for n in _walk(body)):
        return None
    edits: list[Edit] = []
    shown: list[str] = []
    for i, p in enumerate(params.named_children):
        if p.type in ("typed_parameter", "typed_default_parameter"):
            return None  # partly annotated: the author chose; leave it
        if p.type in ("list_splat_pattern", "dictionary_splat_pattern"):
            return None
        if p.type == "identifier":
            name, end = _text(p), p.end_byte
        elif p.type == "default_parameter":
            ident = p.child_by_field_name("name")
            value = p.child_by_field_name("value")
            if ident is None or value is None:
                return None
            name, end = _text(ident), ident.end_byte
        else:
            continue  # the bare `*` or `/` separators
        if i == 0 and fd.in_class and name in ("self", "cls"):
            continue
        observed = stats.arg_types.get(name)
        ann = _merge_types(observed) if observed else None
        if ann is None:
            return None
        if p.type == "identifier":
            edits.append(Edit(end, end, f": {ann}"))
        else:
            assert value is not None
            edits.append(Edit(end, value.start_byte, f": {ann} = "))  # PEP 8: spaces once annotated
        shown.append(f"{name}: {ann}")
    ret = _merge_types(stats.return_types) if stats.return_types else None
    if ret is None:
        return None
    edits.append(Edit(params.end_byte, params.end_byte, f" -> {ret}"))
    patch = Patch(f.path, f.base_hash, tuple(edits))
    signature = ", ".join(shown)
    return _suggestion(
        AnnotateObservedTypes, f, fn, f"Annotate `{fd.qualname}({signature}) -> {ret}` from observed types",
        f"The traced run sampled {stats.sampled} of {stats.calls} calls of `{fd.qualname}`; every sample "
        f"had these types. Unsafe: a run only shows the types it exercised.",
        patch,
        {"calls": stats.calls, "sampled_calls": stats.sampled, "arg_types": stats.arg_types,
         "return_types": stats.return_types}, _header(fd),
    )


def _handled_types(clause: tree_sitter.Node) -> set[str]:
    text = _text(clause).split(":", 1)[0]
    text = re.sub(r"^except\*?", "", text).split(" as ")[0]
    return set(re.findall(r"[A-Za-z_][A-Za-z_0-9.]*", text)) or {"BaseException"}


def _innermost_try(f: _File, line: int, exc_type: str) -> tuple[tree_sitter.Node, tree_sitter.Node] | None:
    best: tuple[tree_sitter.Node, tree_sitter.Node] | None = None
    for node in _walk(f.tree.root_node):
        if node.type != "try_statement":
            continue
        body = node.child_by_field_name("body")
        if body is None or not body.start_point[0] + 1 <= line <= body.end_point[0] + 1:
            continue
        for clause in node.named_children:
            if clause.type == "except_clause":
                handled = {h.rsplit(".", 1)[-1] for h in _handled_types(clause)}
                if handled & {exc_type, "Exception", "BaseException", "LookupError"}:
                    if best is None or node.start_byte >= best[0].start_byte:
                        best = (node, clause)
                    break
    return best


def _key_error_pair(try_node: tree_sitter.Node, clause: tree_sitter.Node) -> tuple[tree_sitter.Node, tree_sitter.Node] | None:
    """(the one statement tried, the one statement of the only ``except KeyError:``), or None."""
    if any(c.type in ("else_clause", "finally_clause") for c in try_node.named_children):
        return None
    if sum(1 for c in try_node.named_children if c.type == "except_clause") != 1:
        return None
    if _handled_types(clause) != {"KeyError"} or " as " in _text(clause).split(":", 1)[0]:
        return None
    body = try_node.child_by_field_name("body")
    handler = next((c for c in clause.named_children if c.type == "block"), None)
    if body is None or handler is None or len(body.named_children) != 1 or len(handler.named_children) != 1:
        return None
    return body.named_children[0], handler.named_children[0]


def _plain_default(default: tree_sitter.Node) -> bool:
    """A default that ``.get`` may evaluate eagerly: a name, a literal, a tuple of literals."""
    if default.type not in ("identifier", "integer", "float", "string", "none", "true", "false", "attribute", "tuple"):
        return False
    return default.type != "tuple" or all(c.type in ("integer", "string", "none") for c in default.named_children)


def _dict_get_fix(f: _File, try_node: tree_sitter.Node, clause: tree_sitter.Node) -> Edit | None:
    """``try: x = d[k] / except KeyError: x = v`` -> ``x = d.get(k, v)`` (also for ``return``)."""
    pair = _key_error_pair(try_node, clause)
    if pair is None:
        return None
    tried, fallback = pair

    def parts(stmt: tree_sitter.Node) -> tuple[str, tree_sitter.Node] | None:
        if stmt.type == "return_statement" and stmt.named_children:
            return "return ", stmt.named_children[0]
        if stmt.type == "expression_statement" and stmt.named_children and stmt.named_children[0].type == "assignment":
            a = stmt.named_children[0]
            left, right = a.child_by_field_name("left"), a.child_by_field_name("right")
            if left is not None and right is not None and a.child_by_field_name("type") is None:
                return f"{_text(left)} = ", right
        return None

    p1, p2 = parts(tried), parts(fallback)
    if p1 is None or p2 is None or p1[0] != p2[0]:
        return None
    sub, default = p1[1], p2[1]
    if sub.type != "subscript" or not _plain_default(default):
        return None
    mapping, key = sub.child_by_field_name("value"), sub.child_by_field_name("subscript")
    if mapping is None or key is None or key.type == "slice" or len([c for c in sub.named_children]) != 2:
        return None
    return Edit(try_node.start_byte, try_node.end_byte,
                f"{p1[0]}{_text(mapping)}.get({_text(key)}, {_text(default)})")


def _hot_except(f: _File, exc: ExceptionStats) -> Suggestion | None:
    if exc.raised < HOT_RAISES or exc.caught < MIN_CAUGHT * exc.raised:
        return None
    found = _innermost_try(f, exc.line, exc.type)
    if found is None:
        return None
    try_node, clause = found
    edit = _dict_get_fix(f, try_node, clause) if exc.type == "KeyError" else None
    patch = Patch(f.path, f.base_hash, (edit,)) if edit else None
    advice = _ADVICE.get(exc.type, "test for the condition instead of raising and catching")
    return _suggestion(
        HotException, f, try_node,
        f"`{exc.type}` raised {exc.raised} times here and caught: {advice.split(' (')[0]}",
        f"In the traced run line {exc.line} raised `{exc.type}` {exc.raised} times and {exc.caught} were "
        f"caught: the exception is control flow, and raising costs far more than a check. Instead, {advice}."
        + (" Unsafe: `.get` skips `__missing__` (defaultdict, Counter)." if patch else ""),
        patch,
        {"exception": exc.type, "raised": exc.raised, "caught": exc.caught, "line": exc.line},
        f"{exc.type}:{_text(try_node)}",
    )


def _dead(f: _File, fd: FunctionDef, tests: int) -> Suggestion:
    return _suggestion(
        DeadCode, f, fd.node, f"`{fd.qualname}` never ran during the test suite",
        f"The traced test run ({tests} tests) imported this module but never called `{fd.qualname}`. "
        "It may be dead code, or code your tests do not reach: delete it or add a test. "
        "Advice only; Kaizen never deletes code by itself.",
        None, {"calls": 0, "tests": tests}, _header(fd),
    )


def runtime_suggestions(root: Path | str, traces: TraceStore, paths: Sequence[str] | None = None) -> list[Suggestion]:
    """KZ8xx suggestions from the latest trace (optionally only for ``paths``)."""
    root = Path(root)
    info = traces.latest()
    if info is None:
        return []
    wanted = set(paths) if paths is not None else None
    cache: dict[str, _File | None] = {}
    out: list[Suggestion] = []
    denominator = info.process_seconds or 1e-9
    functions = traces.functions(info.id)
    for stats in functions:
        if wanted is not None and stats.path not in wanted:
            continue
        f = _load(root, stats.path, cache)
        fd = f.find(stats) if f else None
        if f is None or fd is None:
            continue
        for s in (_memoize(f, stats, fd, stats.total / denominator), _annotate(f, stats, fd)):
            if s is not None:
                out.append(s)
    for exc in traces.exceptions(info.id):
        if wanted is not None and exc.path not in wanted:
            continue
        f = _load(root, exc.path, cache)
        if f is not None:
            s = _hot_except(f, exc)
            if s is not None:
                out.append(s)
    out.extend(_dead_code(root, traces, info, functions, wanted, cache))
    seen: set[str] = set()
    unique = []
    for s in out:
        if s.fingerprint not in seen:
            seen.add(s.fingerprint)
            unique.append(s)
    unique.sort(key=lambda s: (s.path, s.line, s.code))
    return unique


def _dead_code(root: Path, traces: TraceStore, info: TraceInfo, functions: list[FunctionStats],
               wanted: set[str] | None, cache: dict[str, _File | None]) -> list[Suggestion]:
    """Never-executed functions of imported, non-test modules after a complete test run."""
    if not info.tests or info.status in ("timeout", "interrupted"):
        return []
    executed = {(f.path, f.name) for f in functions if f.calls}
    imported = {f.path for f in functions if f.name == "<module>" and f.calls}
    out = []
    for sf in scan_inventory(root).files:
        if sf.language != "python" or sf.path not in imported or _TEST_FILE.search(sf.path):
            continue
        if wanted is not None and sf.path not in wanted:
            continue
        f = _load(root, sf.path, cache)
        if f is None:
            continue
        for fd in f.defs:
            if (sf.path, fd.qualname) in executed or fd.nested:
                continue
            if fd.name.startswith("__") and fd.name.endswith("__") and fd.name != "__init__":
                continue  # protocol methods are called by Python, often outside the tests
            decorators = _text(fd.outer) if fd.outer is not fd.node else ""
            if re.search(r"@(typing\.)?overload|@(abc\.)?abstractmethod", decorators):
                continue
            out.append(_dead(f, fd, info.tests))
    return out


def attach_evidence(suggestions: Iterable[Suggestion], traces: TraceStore) -> list[Suggestion]:
    """Each suggestion with ``evidence["runtime"]``: the figures of the code it touches."""
    out = []
    memo: dict[tuple[str, int, int], dict[str, Any]] = {}
    has_trace = traces.latest() is not None
    for s in suggestions:
        if not has_trace:
            out.append(s)
            continue
        key = (s.path, s.span.start_line, s.span.end_line)
        if key not in memo:
            memo[key] = traces.evidence_for(*key)
        ev = memo[key]
        out.append(s.replace(evidence={**s.evidence, "runtime": ev}) if ev else s)
    return out


def refresh_runtime_suggestions(root: Path | str, store: Store) -> list[Suggestion]:
    """Replace the stored runtime suggestions (KZ8xx) with those of the latest trace.

    Called after a trace is stored (``kaizen trace``, the window's trace button), so that the
    service, ``kaizen suggest`` and the window all see the same runtime candidates. Decisions
    stay in the decisions table and follow the fingerprints.
    """
    old = {s.fingerprint: s for s in store.suggestions() if s.source is Source.RUNTIME}
    fresh = []
    for s in runtime_suggestions(root, TraceStore(store)):
        prev = old.get(s.fingerprint)
        if prev is not None and prev.patch is not None and s.patch is not None and prev.patch == s.patch:
            s = s.replace(validation=prev.validation)  # same fix on the same code: still valid
        fresh.append(s)
    keep = {s.fingerprint for s in fresh}
    stale = [fp for fp in old if fp not in keep]
    with store.transaction() as db:
        db.executemany("DELETE FROM suggestions WHERE fingerprint=?", [(fp,) for fp in stale])
    store.put_suggestions(fresh)
    return fresh
