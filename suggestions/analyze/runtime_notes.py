"""The grouped runtime suggestions: annotations from observed types (KZ802) and never-ran
notes (KZ804), one suggestion per module each.

A traced run of a real suite yields hundreds of both; one row per function buries everything
else in the list. So a module gets one "annotate 23 functions" suggestion with one combined
patch, and one "12 functions never ran" note (hidden from the default list: see
:func:`hidden_by_default`), each listing its functions in the rationale and in
``evidence["functions"]``: the entries :func:`remap_annotations` and :func:`remap_never_ran`
re-locate in an edited file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from analysis.tracing import FunctionStats
from suggestions.analyze.rules.runtime.annotate_observed_types import AnnotateObservedTypes
from suggestions.analyze.rules.runtime.dead_code import DeadCode
from suggestions.analyze.runtime_base import (
    FunctionDef,
    SourceFile,
    in_test,
    make_suggestion,
    node_text,
    text_hash,
    walk,
)
from suggestions.model import Edit, Patch, Suggestion

__all__ = [
    "MIN_TYPE_CALLS",
    "MIN_TYPE_SAMPLES",
    "Annotation",
    "annotation_for",
    "annotations_suggestion",
    "hidden_by_default",
    "merge_types",
    "never_ran_suggestion",
    "remap_annotations",
    "remap_never_ran",
]

MIN_TYPE_SAMPLES = 3  # sampled calls needed before their types are believed
MIN_TYPE_CALLS = 3  # calls of the function in the traced run
MAX_LISTED = 40  # functions a rationale names one by one
_ANNOTATABLE = frozenset({"int", "float", "str", "bytes", "bool", "complex", "None", "list", "dict", "set",
                          "frozenset", "tuple", "bytearray", "range", "slice", "type", "object", "..."})


def hidden_by_default(s: Suggestion) -> bool:
    """A never-ran note: out of the default list (``kaizen suggest --never-ran``, the filter
    bar's "Never ran" box show them)."""
    return s.code == DeadCode.code


def merge_types(types: Mapping[str, int]) -> str | None:
    """One annotation for the observed type names, or None when they do not make one."""
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
        return f"{(names - {'None'}).pop()} | None"
    return None


@dataclass(frozen=True)
class Annotation:
    """The annotations of one function: ``params`` by name (those left out stay bare)."""

    qualname: str
    params: tuple[tuple[str, str], ...]
    returns: str  # "" leaves the return bare
    calls: int
    sampled: int
    text: str  # text_hash of the function when the trace saw it

    def signature(self) -> str:
        args = ", ".join(f"{n}: {a}" for n, a in self.params)
        return f"{self.qualname}({args})" + (f" -> {self.returns}" if self.returns else "")

    def as_dict(self) -> dict[str, Any]:
        return {"function": self.qualname, "params": dict(self.params), "returns": self.returns,
                "calls": self.calls, "sampled_calls": self.sampled, "text": self.text}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Annotation:
        return cls(str(d["function"]), tuple((str(k), str(v)) for k, v in dict(d["params"]).items()),
                   str(d.get("returns", "")), int(d.get("calls", 0)), int(d.get("sampled_calls", 0)),
                   str(d.get("text", "")))


def _returns_value(fd: FunctionDef) -> bool:
    """Does the body ``return`` something other than a bare ``return`` / ``return None``?"""
    body = fd.node.child_by_field_name("body")
    for n in walk(body) if body is not None else ():
        if n.type in ("function_definition", "lambda", "class_definition") and n is not fd.node:
            continue
        if n.type == "return_statement" and n.named_children and n.named_children[0].type != "none":
            return True
    return False


def _bare_params(fd: FunctionDef) -> list[str] | None:
    """The parameters to annotate, or None when the function is not a candidate at all."""
    fn = fd.node
    params = fn.child_by_field_name("parameters")
    if params is None or fn.child_by_field_name("return_type") is not None:
        return None
    body = fn.child_by_field_name("body")
    if body is not None and any(n.type in ("yield", "await") for n in walk(body)):
        return None
    names: list[str] = []
    for i, p in enumerate(params.named_children):
        if p.type in ("typed_parameter", "typed_default_parameter", "list_splat_pattern",
                      "dictionary_splat_pattern"):
            return None  # partly annotated (the author chose), or *args/**kwargs
        ident = p if p.type == "identifier" else p.child_by_field_name("name") if p.type == "default_parameter" else None
        if ident is None:
            continue  # the bare `*` or `/` separators
        name = node_text(ident)
        if not (i == 0 and fd.in_class and name in ("self", "cls")):
            names.append(name)
    return names


def annotation_for(f: SourceFile, stats: FunctionStats, fd: FunctionDef) -> Annotation | None:
    """What the traced calls of ``fd`` say its annotations are (None: nothing worth writing).

    A parameter seen only as ``None`` stays bare (a default nobody overrode in the tests says
    nothing about its type); ``X | None`` needs ``None`` beside one other type; ``-> None`` is
    written only for a function that never returns a value; test code is never annotated.
    """
    if stats.sampled < MIN_TYPE_SAMPLES or stats.calls < MIN_TYPE_CALLS or in_test(f.path, fd, f.defs):
        return None
    names = _bare_params(fd)
    if names is None:
        return None
    params = []
    for name in names:
        observed = stats.arg_types.get(name)
        if observed and set(observed) <= {"NoneType", "None"}:
            continue  # only None seen: leave it bare (never `msg: None = None`)
        ann = merge_types(observed) if observed else None
        if ann is None:
            return None  # a type that cannot be written: the signature would be half true
        params.append((name, ann))
    ret = merge_types(stats.return_types) if stats.return_types else None
    if ret == "None" and _returns_value(fd):
        ret = None
    if not params and ret is None:
        return None
    return Annotation(fd.qualname, tuple(params), ret or "", stats.calls, stats.sampled, text_hash(fd.outer))


def _edits(fd: FunctionDef, a: Annotation) -> list[Edit] | None:
    """The edits that write ``a`` into ``fd``'s header (None when the header no longer fits)."""
    names = _bare_params(fd)
    params = fd.node.child_by_field_name("parameters")
    if names is None or params is None:
        return None
    wanted = dict(a.params)
    edits = []
    for p in params.named_children:
        if p.type == "identifier" and node_text(p) in wanted:
            edits.append(Edit(p.end_byte, p.end_byte, f": {wanted.pop(node_text(p))}"))
        elif p.type == "default_parameter":
            ident, value = p.child_by_field_name("name"), p.child_by_field_name("value")
            if ident is not None and value is not None and node_text(ident) in wanted:
                # PEP 8: spaces around `=` once annotated
                edits.append(Edit(ident.end_byte, value.start_byte, f": {wanted.pop(node_text(ident))} = "))
    if wanted:
        return None
    if a.returns:
        edits.append(Edit(params.end_byte, params.end_byte, f" -> {a.returns}"))
    return edits


def annotations_suggestion(f: SourceFile, found: Sequence[tuple[FunctionDef, Annotation]]) -> Suggestion | None:
    """One suggestion that annotates every function of ``found`` (one combined patch)."""
    edits: list[Edit] = []
    done: list[tuple[FunctionDef, Annotation]] = []
    for fd, a in found:
        e = _edits(fd, a)
        if e:
            edits.extend(e)
            done.append((fd, a))
    if not done:
        return None
    done.sort(key=lambda x: x[0].def_line)
    module = f.path.rsplit("/", 1)[-1]
    n = len(done)
    listed = "\n".join(f"- line {fd.def_line}: `{a.signature()}` ({a.sampled} of {a.calls} calls sampled)"
                       for fd, a in done[:MAX_LISTED])
    more = f"\n- ... and {n - MAX_LISTED} more" if n > MAX_LISTED else ""
    title = (f"Annotate `{done[0][1].signature()}` from observed types" if n == 1
             else f"Annotate {n} functions in {module} from observed types")
    return make_suggestion(
        AnnotateObservedTypes, f, (done[0][0].node, done[-1][0].node), title,
        f"The traced run sampled the argument and return types of these functions; every sample agreed "
        f"(parameters seen only as `None` are left bare):\n{listed}{more}\n"
        "Unsafe: a run only shows the types it exercised.",
        Patch(f.path, f.base_hash, tuple(sorted(edits, key=lambda e: e.start))),
        {"functions": [dict(a.as_dict(), line=fd.def_line) for fd, a in done], "count": n},
        "annotate:" + ",".join(sorted(a.qualname for _, a in done)),
    )


def never_ran_suggestion(f: SourceFile, defs: Sequence[FunctionDef], tests: int) -> Suggestion | None:
    """One note for the functions of a module that the traced test run never called."""
    if not defs:
        return None
    defs = sorted(defs, key=lambda fd: fd.def_line)
    module = f.path.rsplit("/", 1)[-1]
    n = len(defs)
    listed = "\n".join(f"- line {fd.def_line}: `{fd.qualname}`" for fd in defs[:MAX_LISTED])
    more = f"\n- ... and {n - MAX_LISTED} more" if n > MAX_LISTED else ""
    title = (f"`{defs[0].qualname}` never ran during the test suite" if n == 1
             else f"{n} functions in {module} never ran during the test suite")
    return make_suggestion(
        DeadCode, f, (defs[0].node, defs[-1].node), title,
        f"The traced test run ({tests} tests) imported this module but never called:\n{listed}{more}\n"
        "They may be dead code, or code your tests do not reach: delete them or add tests. "
        "Advice only; Kaizen never deletes code by itself.",
        None,
        {"calls": 0, "tests": tests, "count": n,
         "functions": [{"function": fd.qualname, "line": fd.def_line, "text": text_hash(fd.outer)} for fd in defs]},
        "never-ran",  # one note per module: a decision on it holds while functions come and go
    )


def remap_annotations(f: SourceFile, old: Suggestion) -> Suggestion | None:
    """``old`` on the edited file ``f``: the functions whose text is unchanged, re-patched."""
    found = []
    for d in old.evidence.get("functions", ()):
        a = Annotation.from_dict(d)
        fd = f.named(a.qualname, a.text)
        if fd is not None and text_hash(fd.outer) == a.text:
            found.append((fd, a))
    return annotations_suggestion(f, found)


def remap_never_ran(f: SourceFile, old: Suggestion) -> Suggestion | None:
    """``old`` on the edited file ``f``: the functions that still exist, at their new lines."""
    defs = []
    for d in old.evidence.get("functions", ()):
        fd = f.named(str(d.get("function", "")), str(d.get("text", "")))
        if fd is not None:
            defs.append(fd)
    return never_ran_suggestion(f, defs, int(old.evidence.get("tests", 0)))
