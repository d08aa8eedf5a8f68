"""Trace-driven suggestions (codes KZ8xx, source RUNTIME) and runtime evidence for the rest.

What a static analyzer cannot know, the latest trace tells. Each code is a rule declared
(and documented) in ``suggestions/analyze/rules/runtime/``; its code, category,
applicability and confidence come from there:

* KZ801 — a hot function that is pure by static inspection and was called again and again
  with the same hashable arguments: ``@functools.cache`` (UNSAFE), ranked by the time the
  cache would have saved in the traced run.
* KZ802 — unannotated functions whose observed argument and return types were uniform:
  annotations from those types, one suggestion per module (UNSAFE: a run only shows some of
  the types; see ``runtime_notes.py`` for what is never annotated).
* KZ803 — a ``try/except`` used for control flow, the exception raised thousands of times:
  a check or ``dict.get`` instead, with the raise count (a fix for the ``x = d[k]`` form).
* KZ804 — functions never executed by a full test run: one dead-code note per module
  (DISPLAY_ONLY; never an automatic deletion), out of the default list.

An edit does not drop them: :func:`remap_runtime_suggestions` re-locates each one in the new
content (see there for what survives an edit).

:func:`attach_evidence` adds the figures of the code a suggestion touches (share of time,
calls, exceptions) to any suggestion, static or not, so that ranking can weigh it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import tree_sitter

from analysis.inventory import scan_inventory
from analysis.trace_store import TraceInfo, TraceStore
from analysis.tracing import ExceptionStats, FunctionStats
from suggestions.analyze.rules.runtime.annotate_observed_types import AnnotateObservedTypes
from suggestions.analyze.rules.runtime.dead_code import DeadCode
from suggestions.analyze.rules.runtime.hot_exception import HotException
from suggestions.analyze.rules.runtime.memoize_hot_function import MemoizeHotFunction
from suggestions.analyze.runtime_base import (
    TEST_FILE,
    FunctionDef,
    SourceFile,
    function_defs,
    header,
    load_file,
    make_suggestion,
    node_text,
    parse_file,
    text_hash,
    walk,
)
from suggestions.analyze.runtime_notes import (
    Annotation,
    annotation_for,
    annotations_suggestion,
    hidden_by_default,
    never_ran_suggestion,
    remap_annotations,
    remap_never_ran,
)
from suggestions.diff import patch_diff
from suggestions.model import Edit, Patch, Source, Suggestion
from suggestions.store import Store

__all__ = [
    "ANNOTATE",
    "DEAD_CODE",
    "HOT_EXCEPT",
    "MEMOIZE",
    "FunctionDef",
    "attach_evidence",
    "function_defs",
    "hidden_by_default",
    "is_pure",
    "refresh_runtime_suggestions",
    "remap_runtime_suggestions",
    "runtime_after_edit",
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
_ADVICE = {
    "KeyError": "look the key up with `d.get(key, default)` (or test `key in d`)",
    "AttributeError": "use `getattr(obj, name, default)` (or check with `hasattr`)",
    "IndexError": "check the index against `len(...)` first",
    "StopIteration": "use `next(iterator, default)`",
    "ValueError": "validate the input before converting it (e.g. `str.isdigit()`)",
    "TypeError": "check the type first (`isinstance`)",
}


def _param_names(fn: tree_sitter.Node) -> list[str]:
    params = fn.child_by_field_name("parameters")
    names = []
    for p in params.named_children if params else []:
        if p.type == "identifier":
            names.append(node_text(p))
        elif p.type in ("default_parameter", "typed_parameter", "typed_default_parameter"):
            ident = p.child_by_field_name("name") or next((c for c in p.named_children if c.type == "identifier"), None)
            if ident is not None:
                names.append(node_text(ident))
        elif p.type in ("list_splat_pattern", "dictionary_splat_pattern"):
            ident = next((c for c in p.named_children if c.type == "identifier"), None)
            if ident is not None:
                names.append(node_text(ident))
    return names


def is_pure(fd: FunctionDef) -> tuple[bool, str]:
    """A conservative static purity check; returns (pure, the reason when it is not)."""
    fn = fd.node
    if fd.in_class or fd.nested:
        return False, "methods and nested functions are not cached (self and closures)"
    if fd.outer is not fn:
        return False, "already decorated"
    if node_text(fn).startswith("async"):
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
    for node in walk(body) if body is not None else ():
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
        if obj is not None and obj.type == "identifier" and node_text(obj) in _IMPURE_MODULES:
            return f"uses `{node_text(obj)}`"
    if t == "identifier" and node_text(node) in _IMPURE_MODULES and node.parent is not None \
            and node.parent.type in ("call", "argument_list"):
        return f"uses `{node_text(node)}`"
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
    if func.type == "identifier" and node_text(func) in _IMPURE_CALLS:
        return f"calls `{node_text(func)}`"
    if func.type == "attribute":
        obj = func.child_by_field_name("object")
        attr = node_text(func.child_by_field_name("attribute"))
        if obj is not None and obj.type == "identifier" and node_text(obj) in params and attr in _MUTATORS:
            return f"mutates argument `{node_text(obj)}`"
    return ""


def _mutated_argument(target: tree_sitter.Node | None, params: set[str]) -> str:
    """An assignment or ``del`` target that writes into an argument (``arg.x = ``, ``arg[i] = ``)."""
    for sub in walk(target) if target is not None else ():
        if sub.type in ("attribute", "subscript"):
            base = sub.child_by_field_name("object") or sub.child_by_field_name("value")
            while base is not None and base.type in ("attribute", "subscript"):
                base = base.child_by_field_name("object") or base.child_by_field_name("value")
            if base is not None and base.type == "identifier" and node_text(base) in params:
                return f"mutates argument `{node_text(base)}`"
    return ""


# --- the suggestions ---------------------------------------------------------------------------


def _import_edit(f: SourceFile) -> Edit | None:
    """``import functools`` after the module's leading imports, unless it is there."""
    root = f.tree.root_node
    insert_at = 0
    for child in root.named_children:
        if (child.type == "import_statement" and re.search(r"\bimport\s+functools\b(?!\s*\.)", node_text(child))
                and " as " not in node_text(child)):
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


def _memoize_patch(f: SourceFile, fd: FunctionDef) -> Patch:
    indent = " " * fd.node.start_point[1]
    edits = [Edit(fd.outer.start_byte, fd.outer.start_byte, f"@functools.cache\n{indent}")]
    imp = _import_edit(f)
    if imp is not None:
        edits.append(imp)
    return Patch(f.path, f.base_hash, tuple(edits))


def _memoize(f: SourceFile, stats: FunctionStats, fd: FunctionDef, share: float) -> Suggestion | None:
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
    patch = _memoize_patch(f, fd)
    evidence = {"function": fd.qualname, "text": text_hash(fd.outer),
        "calls": stats.calls, "calls_exact": True, "time_exact": stats.time_exact, "total_s": round(stats.total, 6),
        "time_share": round(share, 4), "repeat_ratio": round(repeat, 3),
        "argument_samples": stats.hashable, "distinct_samples": stats.distinct,
        "estimated_saving_s": round(saved, 6),
    }
    return make_suggestion(
        MemoizeHotFunction, f, (fd.node, fd.node), f"Cache `{fd.qualname}`: {stats.calls} calls, ~{repeat:.0%} with repeated arguments",
        f"`{fd.qualname}` looks pure (no global writes, I/O, randomness, clock or argument mutation) and "
        f"the traced run called it {stats.calls} times, {repeat:.0%} of the sampled calls with arguments "
        f"already seen; `functools.cache` would have saved about {saved * 1000:.1f} ms of "
        f"{stats.total * 1000:.1f} ms. Unsafe: the cache keeps every argument alive and assumes the "
        "result depends on the arguments only.",
        patch, evidence, header(fd),
    )


def _handled_types(clause: tree_sitter.Node) -> set[str]:
    text = node_text(clause).split(":", 1)[0]
    text = re.sub(r"^except\*?", "", text).split(" as ")[0]
    return set(re.findall(r"[A-Za-z_][A-Za-z_0-9.]*", text)) or {"BaseException"}


def _innermost_try(f: SourceFile, line: int, exc_type: str) -> tuple[tree_sitter.Node, tree_sitter.Node] | None:
    best: tuple[tree_sitter.Node, tree_sitter.Node] | None = None
    for node in walk(f.tree.root_node):
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
    if _handled_types(clause) != {"KeyError"} or " as " in node_text(clause).split(":", 1)[0]:
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


def _dict_get_fix(f: SourceFile, try_node: tree_sitter.Node, clause: tree_sitter.Node) -> Edit | None:
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
                return f"{node_text(left)} = ", right
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
                f"{p1[0]}{node_text(mapping)}.get({node_text(key)}, {node_text(default)})")


def _hot_except(f: SourceFile, exc: ExceptionStats) -> Suggestion | None:
    if exc.raised < HOT_RAISES or exc.caught < MIN_CAUGHT * exc.raised:
        return None
    found = _innermost_try(f, exc.line, exc.type)
    if found is None:
        return None
    try_node, clause = found
    edit = _dict_get_fix(f, try_node, clause) if exc.type == "KeyError" else None
    patch = Patch(f.path, f.base_hash, (edit,)) if edit else None
    advice = _ADVICE.get(exc.type, "test for the condition instead of raising and catching")
    return make_suggestion(
        HotException, f, (try_node, try_node),
        f"`{exc.type}` raised {exc.raised} times here and caught: {advice.split(' (')[0]}",
        f"In the traced run line {exc.line} raised `{exc.type}` {exc.raised} times and {exc.caught} were "
        f"caught: the exception is control flow, and raising costs far more than a check. Instead, {advice}."
        + (" Unsafe: `.get` skips `__missing__` (defaultdict, Counter)." if patch else ""),
        patch,
        {"exception": exc.type, "raised": exc.raised, "caught": exc.caught, "line": exc.line,
         "function": exc.function, "text": text_hash(try_node)},
        f"{exc.type}:{node_text(try_node)}",
    )


def runtime_suggestions(root: Path | str, traces: TraceStore, paths: Sequence[str] | None = None) -> list[Suggestion]:
    """KZ8xx suggestions from the latest trace (optionally only for ``paths``)."""
    root = Path(root)
    info = traces.latest()
    if info is None:
        return []
    wanted = set(paths) if paths is not None else None
    cache: dict[str, SourceFile | None] = {}
    out: list[Suggestion] = []
    denominator = info.process_seconds or 1e-9
    functions = traces.functions(info.id)
    annotations: dict[str, list[tuple[FunctionDef, Annotation]]] = {}
    for stats in functions:
        if wanted is not None and stats.path not in wanted:
            continue
        f = load_file(root, stats.path, cache)
        fd = f.find(stats) if f else None
        if f is None or fd is None:
            continue
        memo = _memoize(f, stats, fd, stats.total / denominator)
        if memo is not None:
            out.append(memo)
        a = annotation_for(f, stats, fd)
        if a is not None:
            annotations.setdefault(f.path, []).append((fd, a))
    for path, found in annotations.items():
        f = cache[path]
        group = annotations_suggestion(f, found) if f is not None else None
        if group is not None:
            out.append(group)
    for exc in traces.exceptions(info.id):
        if wanted is not None and exc.path not in wanted:
            continue
        f = load_file(root, exc.path, cache)
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
               wanted: set[str] | None, cache: dict[str, SourceFile | None]) -> list[Suggestion]:
    """Never-executed functions of imported, non-test modules after a complete test run."""
    if not info.tests or info.status in ("timeout", "interrupted"):
        return []
    executed = {(f.path, f.name) for f in functions if f.calls}
    imported = {f.path for f in functions if f.name == "<module>" and f.calls}
    paths = sorted(wanted) if wanted is not None else [
        sf.path for sf in scan_inventory(root).files if sf.language == "python"]
    out = []
    for path in paths:
        if path not in imported or TEST_FILE.search(path):
            continue
        f = load_file(root, path, cache)
        if f is None:
            continue
        dead = []
        for fd in f.defs:
            if (path, fd.qualname) in executed or fd.nested:
                continue
            if fd.name.startswith("__") and fd.name.endswith("__") and fd.name != "__init__":
                continue  # protocol methods are called by Python, often outside the tests
            decorators = node_text(fd.outer) if fd.outer is not fd.node else ""
            if re.search(r"@(typing\.)?overload|@(abc\.)?abstractmethod", decorators):
                continue
            dead.append(fd)
        note = never_ran_suggestion(f, dead, info.tests)
        if note is not None:
            out.append(note)
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


def remap_runtime_suggestions(path: str, data: bytes, old: Iterable[Suggestion]) -> list[Suggestion]:
    """The runtime suggestions ``old`` of ``path``, re-located in its new content ``data``.

    An edit keeps the trace's evidence where it still applies, found by qualified name and
    the text hash each suggestion recorded, not by line: a cache (KZ801) stays while its
    function's text is unchanged (purity was read from it), with the patch made again for the
    new content; an annotation group (KZ802) keeps the functions whose text is unchanged; a
    hot ``try`` (KZ803) stays while the same ``try`` is in the file; a never-ran note (KZ804)
    keeps every function that still exists (its body may have changed: it still never ran).
    The others are dropped, as is everything when the file no longer parses as Python.
    """
    try:
        f = parse_file(path, data)
    except ValueError:
        return []
    out: list[Suggestion] = []
    for s in old:
        if s.source is not Source.RUNTIME:
            continue
        new: Suggestion | None = None
        if s.code == ANNOTATE:
            new = remap_annotations(f, s)
        elif s.code == DEAD_CODE:
            new = remap_never_ran(f, s)
        elif s.code == MEMOIZE:
            fd = f.named(str(s.evidence.get("function", "")), str(s.evidence.get("text", "")))
            if fd is not None and text_hash(fd.outer) == s.evidence.get("text"):
                new = _moved(s, f, fd.node, fd.node, _memoize_patch(f, fd))
        elif s.code == HOT_EXCEPT:
            new = _remap_hot_except(f, s)
        if new is not None:
            out.append(new)
    return out


def _moved(s: Suggestion, f: SourceFile, first: tree_sitter.Node, last: tree_sitter.Node,
           patch: Patch | None) -> Suggestion:
    """``s`` at the new place of its code, its patch made for the new content."""
    span = type(s.span)(first.start_point[0] + 1, first.start_point[1], last.end_point[0] + 1, last.end_point[1],
                        first.start_byte, last.end_byte)
    return s.replace(span=span, patch=patch, diff=patch_diff(patch, f.data) if patch else "")


def _remap_hot_except(f: SourceFile, s: Suggestion) -> Suggestion | None:
    want = s.evidence.get("text")
    for node in walk(f.tree.root_node):
        if node.type == "try_statement" and text_hash(node) == want:
            shift = node.start_point[0] + 1 - s.span.start_line
            ev = s.evidence
            exc = ExceptionStats(str(ev.get("exception")), f.path, int(ev.get("line", 0)) + shift,
                                 str(ev.get("function", "")), int(ev.get("raised", 0)), int(ev.get("caught", 0)))
            fresh = _hot_except(f, exc)
            return fresh if fresh is not None and fresh.fingerprint == s.fingerprint else None
    return None


def runtime_after_edit(root: Path, path: str, old: Sequence[Suggestion], old_hash: str,
                       new_hash: str) -> list[Suggestion]:
    """The runtime suggestions ``old`` of ``path`` once its content is ``new_hash``: as they
    are while it is the content they were made for, else re-mapped (the service's re-analysis
    of an edited file)."""
    if not old or old_hash == new_hash:
        return list(old)
    try:
        data = (root / path).read_bytes()
    except OSError:
        return []
    # Changed again since it was analysed? Mapped onto what is there now all the same: the
    # next event finds them current.
    return remap_runtime_suggestions(path, data, old)
