"""Every SAFE fix of every rule, applied to the whole standard library, keeps the meaning.

A temporary copy of the running interpreter's standard library is scanned with every
rule; for each file, all SAFE patches that do not overlap are merged into one and
applied. The result must parse, and its AST must equal the original's once both are
put through :class:`Canon`, which rewrites each pattern a SAFE rule claims to be
equivalent into one canonical form (``x == None`` and ``x is None`` both become
``x is None``, ``"%s" % (a,)`` and ``f"{a!s}"`` the same JoinedStr, and so on). A fix
that does anything else — drops a statement, reorders operands, changes a constant —
shows up as an AST difference, reported with the file and the rule code.

Then each file is taken to convergence as ``kaizen apply --all-safe`` does: re-analysed and
its next round of SAFE fixes applied until none is left (``converge.MAX_ROUNDS``); the end
result must still compile and have the original's canonical AST, and a re-analysis must
find no SAFE fix left.

The canonical forms are written independently of the rules (on Python's own AST, not
tree-sitter), so a rule's bug is not reproduced by its checker.
"""

from __future__ import annotations

import ast
import copy
import multiprocessing
import os
import re
import string
import sys
import sysconfig
import warnings
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from analysis.config import load_config
from analysis.inventory import read_source
from suggestions.analyze.scan import scan_project
from suggestions.model import Applicability, Edit, Patch, Suggestion

pytestmark = pytest.mark.slow

_SKIP_DIRS = {"site-packages", "__pycache__", "idlelib", "turtledemo"}


def _parses(data: bytes | str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(data)
    except (SyntaxError, ValueError):
        return False
    return True


def _copy_stdlib(dest: Path) -> int:
    """Copy every parseable .py file of the stdlib; returns how many."""
    src = Path(sysconfig.get_paths()["stdlib"])
    n = 0
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS and not d.startswith(".")]
        rel = Path(dirpath).relative_to(src)
        for name in filenames:
            if not name.endswith(".py"):
                continue
            data = (Path(dirpath) / name).read_bytes()
            if len(data) > 1_500_000 or not _parses(data):
                continue  # test data that does not parse (badsyntax_*, lib2to3 data)
            out = dest / rel / name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
            n += 1
    return n


# --- canonical forms ---------------------------------------------------------------------------

_BOOL_OPS = (ast.In, ast.NotIn, ast.Is, ast.IsNot)
_TYPING = {
    "List": "list",
    "Dict": "dict",
    "Set": "set",
    "FrozenSet": "frozenset",
    "Tuple": "tuple",
    "Type": "type",
}


def _name(node: ast.AST, *ids: str) -> bool:
    return isinstance(node, ast.Name) and node.id in ids


def _const(node: ast.AST, *values: Any) -> bool:
    return isinstance(node, ast.Constant) and any(
        node.value is v or (type(node.value) is type(v) and node.value == v) for v in values
    )


def _call(node: ast.AST, *ids: str) -> bool:
    return isinstance(node, ast.Call) and _name(node.func, *ids)


_PLAIN_CALLS = ("len", "isinstance", "issubclass", "hasattr", "callable", "bool", "id", "ord", "chr")


def _plain(node: ast.AST) -> bool:
    """A literal or a builtin call that gives an int, str or bool (== on two is a bool)."""
    return (isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None)))) or (
        isinstance(node, ast.JoinedStr) or _call(node, *_PLAIN_CALLS))


def _bool_valued(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return True
    if _call(node, "isinstance", "issubclass", "hasattr", "callable", "bool"):
        return True
    return isinstance(node, ast.Compare) and (
        all(isinstance(op, _BOOL_OPS) for op in node.ops)
        or all(_plain(o) for o in (node.left, *node.comparators)))


def _exits(body: list[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], (ast.Return, ast.Raise))


def _returns(stmt: ast.stmt, value: bool) -> bool:
    return isinstance(stmt, ast.Return) and stmt.value is not None and _const(stmt.value, value)


def _joined(parts: list[ast.expr]) -> ast.JoinedStr:
    merged: list[ast.expr] = []
    for p in parts:
        if isinstance(p, ast.Constant) and merged and isinstance(merged[-1], ast.Constant):
            merged[-1] = ast.Constant(merged[-1].value + p.value)
        elif not (isinstance(p, ast.Constant) and p.value == ""):
            merged.append(p)
    return ast.JoinedStr(merged)


def _percent(fmt: str, args: list[ast.expr]) -> ast.JoinedStr | None:
    parts: list[ast.expr] = []
    i = used = 0
    buf = ""
    while i < len(fmt):
        c = fmt[i]
        if c != "%":
            buf += c
            i += 1
            continue
        if i + 1 >= len(fmt):
            return None
        spec = fmt[i + 1]
        if spec == "%":
            buf += "%"
        elif spec in "sra" and used < len(args):
            # KZ502: `%s` of a literal is `{3}` (format() and str() agree on every built-in
            # literal); of anything else the fix is not SAFE, and the strict form stays `!s`.
            literal = spec == "s" and isinstance(args[used], ast.Constant)
            conv = -1 if literal else ord(spec)
            parts += [ast.Constant(buf), ast.FormattedValue(args[used], conv, None)]
            buf = ""
            used += 1
        else:
            return None
        i += 2
    if used != len(args) or not used:
        return None
    return _joined([*parts, ast.Constant(buf)])


def _format(fmt: str, args: list[ast.expr]) -> ast.JoinedStr | None:
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        return None
    parts: list[ast.expr] = []
    auto = 0
    for literal, field, spec, conv in fields:
        parts.append(ast.Constant(literal))
        if field is None:
            continue
        if field == "":
            index, auto = auto, auto + 1
        elif field.isdigit():
            index = int(field)
        else:
            return None
        if index >= len(args) or (spec and "{" in spec):
            return None
        fspec = ast.JoinedStr([ast.Constant(spec)]) if spec else None
        parts.append(
            ast.FormattedValue(copy.deepcopy(args[index]), ord(conv) if conv else -1, fspec)
        )
    return _joined(parts)


def _flatten(node: ast.BoolOp) -> ast.BoolOp:
    values: list[ast.expr] = []
    for v in node.values:
        if isinstance(v, ast.BoolOp) and type(v.op) is type(node.op):
            values.extend(v.values)
        else:
            values.append(v)
    node.values = values
    return node


def _merge_isinstance(node: ast.BoolOp) -> ast.expr:
    out: list[ast.expr] = []
    for v in node.values:
        prev = out[-1] if out else None
        if (
            _call(v, "isinstance")
            and isinstance(prev, ast.Call)
            and _call(prev, "isinstance")
            and len(v.args) == 2
            and len(prev.args) == 2
            and not v.keywords
            and not prev.keywords
            and isinstance(v.args[0], ast.Name)
            and ast.dump(v.args[0]) == ast.dump(prev.args[0])
        ):
            types = [
                t
                for a in (prev.args[1], v.args[1])
                for t in (a.elts if isinstance(a, ast.Tuple) else [a])
            ]
            out[-1] = ast.Call(prev.func, [prev.args[0], ast.Tuple(types, ast.Load())], [])
        else:
            out.append(v)
    if len(out) == 1:
        return out[0]
    node.values = out
    return node


def _annotation(node: ast.expr) -> ast.expr:
    """Canonical form of an annotation: builtin generics and ``|`` unions."""

    class Ann(ast.NodeTransformer):
        def visit_Name(self, n: ast.Name) -> ast.expr:
            return ast.Name(_TYPING.get(n.id, n.id), n.ctx)

        def visit_Attribute(self, n: ast.Attribute) -> ast.expr:
            self.generic_visit(n)
            if _name(n.value, "typing") and n.attr in _TYPING:
                return ast.Name(_TYPING[n.attr], n.ctx)
            return n

        def visit_Subscript(self, n: ast.Subscript) -> ast.expr:
            self.generic_visit(n)
            head = n.value
            kind = (
                head.id
                if isinstance(head, ast.Name)
                else head.attr
                if isinstance(head, ast.Attribute) and _name(head.value, "typing")
                else ""
            )
            members = n.slice.elts if isinstance(n.slice, ast.Tuple) else [n.slice]
            if kind == "Optional" and len(members) == 1:
                members = [members[0], ast.Constant(None)]
            elif kind != "Union" or len(members) < 2:
                return n
            if any(isinstance(m, ast.Constant) and isinstance(m.value, str) for m in members):
                return n
            out: ast.expr = members[0]
            for m in members[1:]:
                out = ast.BinOp(out, ast.BitOr(), m)
            return out

    result: ast.expr = Ann().visit(node)
    return result


_ALIASES = {  # KZ114: removed unittest aliases and Logger.warn
    "assertEquals": "assertEqual",
    "assertNotEquals": "assertNotEqual",
    "assertAlmostEquals": "assertAlmostEqual",
    "assertNotAlmostEquals": "assertNotAlmostEqual",
    "assert_": "assertTrue",
    "failUnless": "assertTrue",
    "failIf": "assertFalse",
    "failUnlessEqual": "assertEqual",
    "failIfEqual": "assertNotEqual",
    "failUnlessAlmostEqual": "assertAlmostEqual",
    "failIfAlmostEqual": "assertNotAlmostEqual",
    "failUnlessRaises": "assertRaises",
    "assertRegexpMatches": "assertRegex",
    "assertNotRegexpMatches": "assertNotRegex",
    "assertRaisesRegexp": "assertRaisesRegex",
    "warn": "warning",
}


def _no_keys(node: ast.expr) -> ast.expr:
    """KZ205-KZ207: ``d.keys()`` where only the keys are iterated is ``d``."""
    if (
        isinstance(node, ast.Call)
        and not node.args
        and not node.keywords
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "keys"
        and isinstance(node.func.value, ast.Name)
    ):
        return node.func.value
    return node


def _drop_dead_stores(func: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
    """KZ109: ``name = <constant or name>`` in a function whose name is never read there."""
    read = {
        n.id for n in ast.walk(func) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Store)
    }
    read |= {
        n.target.id
        for n in ast.walk(func)
        if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)
    }
    declared = {
        name
        for n in ast.walk(func)
        if isinstance(n, (ast.Global, ast.Nonlocal))
        for name in n.names
    }

    def dead(stmt: ast.stmt) -> bool:
        return (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and stmt.targets[0].id not in read
            and stmt.targets[0].id not in declared
            and (
                isinstance(stmt.value, (ast.Constant, ast.Name))
                or (
                    isinstance(stmt.value, ast.UnaryOp)
                    and isinstance(stmt.value.operand, ast.Constant)
                )
            )
        )

    def clean(node: ast.AST) -> None:
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                kept = [b for b in body if not dead(b)]
                setattr(node, field, kept or [ast.Pass()])
        for child in ast.iter_child_nodes(node):
            if not isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
            ):
                clean(child)
        if isinstance(node, ast.Try):
            for h in node.handlers:
                clean(h)

    clean(func)


class Canon(ast.NodeTransformer):
    """Rewrites what each SAFE rule claims is equivalent into one form (bottom-up)."""

    def visit_For(self, node: ast.For) -> ast.AST:
        self.generic_visit(node)
        node.iter = _no_keys(node.iter)
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        node.iter = _no_keys(node.iter)
        return node

    # KZ404 / KZ403 / KZ405 / KZ602 / KZ108: statement lists
    def _stmts(self, body: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        queue = list(body)
        while queue:
            stmt = queue.pop(0)
            if isinstance(stmt, ast.If) and stmt.orelse and _exits(stmt.body):
                queue[0:0] = stmt.orelse  # KZ404: else after return/raise, dedented
                stmt.orelse = []
            if isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1:
                inner = stmt.body[0]
                if isinstance(inner, ast.If) and not inner.orelse:  # KZ405
                    stmt = ast.If(
                        _flatten(ast.BoolOp(ast.And(), [stmt.test, inner.test])), inner.body, []
                    )
                    queue.insert(0, stmt)
                    continue
            if (  # KZ403, the form without else
                isinstance(stmt, ast.If)
                and not stmt.orelse
                and len(stmt.body) == 1
                and queue
                and any(
                    _returns(stmt.body[0], v) and _returns(queue[0], not v) for v in (True, False)
                )
            ):
                stmt.orelse = [queue.pop(0)]
            if isinstance(stmt, ast.If) and len(stmt.body) == 1 and len(stmt.orelse) == 1:
                for v in (True, False):
                    if _returns(stmt.body[0], v) and _returns(stmt.orelse[0], not v):
                        value: ast.expr = (
                            ast.Call(ast.Name("bool", ast.Load()), [stmt.test], [])
                            if v
                            else ast.UnaryOp(ast.Not(), stmt.test)
                        )
                        stmt = ast.Return(self._expr(value))
                        break
            out.append(stmt)
        if len(out) > 1:
            out = [s for s in out if not isinstance(s, ast.Pass)] or out[:1]  # KZ602
        return out

    def _expr(self, node: ast.expr) -> ast.expr:
        result: ast.expr = self.visit(node)
        return result

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        for field in ("body", "orelse", "finalbody"):
            value = getattr(node, field, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                setattr(node, field, self._stmts(value))
        return node

    # KZ403: return bool(c) where c is already a bool
    def visit_Return(self, node: ast.Return) -> ast.AST:
        self.generic_visit(node)
        if (
            node.value is not None
            and _call(node.value, "bool")
            and len(node.value.args) == 1
            and _bool_valued(node.value.args[0])
        ):
            node.value = node.value.args[0]
        return node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            arg = node.operand
            if (
                isinstance(arg, ast.Compare)
                and len(arg.ops) == 1
                and isinstance(arg.ops[0], (ast.In, ast.Is, ast.NotIn, ast.IsNot))
            ):
                flip = {ast.In: ast.NotIn, ast.Is: ast.IsNot, ast.NotIn: ast.In, ast.IsNot: ast.Is}
                return ast.Compare(arg.left, [flip[type(arg.ops[0])]()], arg.comparators)  # KZ407
            if isinstance(arg, ast.UnaryOp) and isinstance(arg.op, ast.Not):
                return ast.Call(
                    ast.Name("bool", ast.Load()), [arg.operand], []
                )  # KZ403 inverted `not`
            if (  # KZ403: `not (a == b)` is `a != b` between plain values
                isinstance(arg, ast.Compare) and len(arg.ops) == 1 and isinstance(arg.ops[0], (ast.Eq, ast.NotEq))
                and _plain(arg.left) and _plain(arg.comparators[0])
            ):
                flipped = ast.NotEq() if isinstance(arg.ops[0], ast.Eq) else ast.Eq()
                return ast.Compare(arg.left, [flipped], arg.comparators)
            if isinstance(arg, ast.BoolOp):  # KZ403: De Morgan (the same truth value, and a bool)
                dual = ast.Or() if isinstance(arg.op, ast.And) else ast.And()
                return self._expr(ast.BoolOp(dual, [ast.UnaryOp(ast.Not(), v) for v in arg.values]))
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        operands = [node.left, *node.comparators]
        ops: list[ast.cmpop] = []
        for i, op in enumerate(node.ops):  # KZ103: == None -> is None
            if isinstance(op, (ast.Eq, ast.NotEq)) and (
                _const(operands[i], None) or _const(operands[i + 1], None)
            ):
                op = ast.Is() if isinstance(op, ast.Eq) else ast.IsNot()
            ops.append(op)
        node.ops = ops
        node.comparators = [
            _no_keys(c) if isinstance(op, (ast.In, ast.NotIn)) else c
            for op, c in zip(node.ops, node.comparators, strict=True)
        ]
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        node = _flatten(node)
        return _merge_isinstance(node) if isinstance(node.op, ast.Or) else node  # KZ413

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        self.generic_visit(node)
        if (
            isinstance(node.test, ast.Name)
            and isinstance(node.body, ast.Name)
            and node.test.id == node.body.id
        ):
            return _flatten(ast.BoolOp(ast.Or(), [node.body, node.orelse]))  # KZ408
        return node

    def visit_ListComp(self, node: ast.ListComp) -> ast.AST:
        self.generic_visit(node)
        return self._copy_comp(node, "list")

    def visit_SetComp(self, node: ast.SetComp) -> ast.AST:
        self.generic_visit(node)
        return self._copy_comp(node, "set")

    def _copy_comp(self, node: ast.ListComp | ast.SetComp, fn: str) -> ast.expr:
        if len(node.generators) == 1:  # KZ409
            gen = node.generators[0]
            if (
                not gen.ifs
                and not gen.is_async
                and isinstance(node.elt, ast.Name)
                and _name(gen.target, node.elt.id)
            ):
                return ast.Call(ast.Name(fn, ast.Load()), [gen.iter], [])
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        f = node.func
        if _call(node, "dict", "list", "tuple") and not node.args and not node.keywords:  # KZ406
            return {
                "dict": ast.Dict([], []),
                "list": ast.List([], ast.Load()),
                "tuple": ast.Tuple([], ast.Load()),
            }[f.id]  # type: ignore[attr-defined]
        if _call(node, "set") and len(node.args) == 1 and not node.keywords:  # KZ410
            arg = node.args[0]
            if isinstance(arg, (ast.List, ast.Tuple)):
                return ast.Set(arg.elts) if arg.elts else ast.Call(f, [], [])
            if isinstance(arg, ast.ListComp):
                return ast.SetComp(arg.elt, arg.generators)
        if _call(node, "sorted", "set", "frozenset", "list", "tuple") and node.args:
            node.args[0] = _no_keys(node.args[0])
        if _call(node, "sorted", "set", "frozenset", "list", "tuple") and node.args:  # KZ208
            inner = node.args[0]
            if (
                _call(inner, "list", "tuple")
                and len(inner.args) == 1
                and not inner.keywords
                and not isinstance(inner.args[0], ast.Starred)
            ):  # type: ignore[attr-defined]
                node.args[0] = inner.args[0]  # type: ignore[attr-defined]
        if (
            _call(node, "list")
            and len(node.args) == 1
            and not node.keywords
            and _call(node.args[0], "sorted")
        ):
            return node.args[0]
        if isinstance(f, ast.Attribute) and _name(f.value, "io") and f.attr == "open":  # KZ509
            node.func = f = ast.Name("open", ast.Load())
        if _call(node, "open"):  # KZ412, KZ508

            def mode_ok(m: ast.expr) -> bool:
                return isinstance(m, ast.Constant) and isinstance(m.value, str)

            if len(node.args) >= 2 and mode_ok(node.args[1]):
                node.args[1] = ast.Constant(_mode(node.args[1].value))  # type: ignore[attr-defined]
            for kw in node.keywords:
                if kw.arg == "mode" and mode_ok(kw.value):
                    kw.value = ast.Constant(_mode(kw.value.value))  # type: ignore[attr-defined]
            if len(node.args) == 2 and _const(node.args[1], "r", "rt"):
                node.args = node.args[:1]
            node.keywords = [
                k for k in node.keywords if not (k.arg == "mode" and _const(k.value, "r", "rt"))
            ]
        if (
            _call(node, "super")
            and len(node.args) == 2
            and all(isinstance(a, ast.Name) for a in node.args)
        ):  # KZ501
            node.args = []
        if (  # KZ503
            isinstance(f, ast.Attribute)
            and f.attr == "format"
            and isinstance(f.value, ast.Constant)
            and isinstance(f.value.value, str)
            and node.args
            and not node.keywords
            and not any(isinstance(a, ast.Starred) for a in node.args)
        ):
            joined = _format(f.value.value, node.args)
            if joined is not None:
                return joined
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if (  # KZ502
            isinstance(node.op, ast.Mod)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)
            and isinstance(node.right, ast.Tuple)
            and not any(isinstance(e, ast.Starred) for e in node.right.elts)
        ):
            joined = _percent(node.left.value, node.right.elts)
            if joined is not None:
                return joined
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        self.generic_visit(node)
        for v in node.values:  # `{3!s}` and `{3}` agree for a literal (see the % form above)
            if isinstance(v, ast.FormattedValue) and v.conversion == ord("s") and isinstance(v.value, ast.Constant) \
                    and v.format_spec is None:
                v.conversion = -1
        if all(isinstance(v, ast.Constant) for v in node.values):  # KZ601
            return ast.Constant("".join(v.value for v in node.values))  # type: ignore[attr-defined]
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return ast.Constant(node.value)  # KZ511: drop kind="u"

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in ("IOError", "EnvironmentError"):  # KZ510
            return ast.Name("OSError", node.ctx)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        node.attr = _ALIASES.get(node.attr, node.attr)
        if (
            node.attr == "error"
            and _name(node.value, "socket", "select")
            and isinstance(node.ctx, ast.Load)
        ):
            return ast.Name("OSError", node.ctx)  # KZ510
        return node

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        self.generic_visit(node)
        seen: set[str] = set()  # KZ107: an exact repetition (same key, same simple value)
        keys: list[ast.expr | None] = []
        values: list[ast.expr] = []
        for k, v in zip(node.keys, node.values, strict=True):
            simple = isinstance(k, (ast.Constant, ast.Name)) and isinstance(
                v, (ast.Constant, ast.Name)
            )
            sig = ast.dump(k) + ast.dump(v) if simple and k is not None else None
            if sig is not None and sig in seen:
                continue
            if sig is not None:
                seen.add(sig)
            keys.append(k)
            values.append(v)
        node.keys, node.values = keys, values
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.generic_visit(node)
        node.bases = [b for b in node.bases if not _name(b, "object")]  # KZ506
        return node

    def _annotations(self, node: ast.AST) -> None:  # KZ504, KZ505
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.returns is not None:
                node.returns = _annotation(node.returns)
            a = node.args
            for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
                if arg is not None and arg.annotation is not None:
                    arg.annotation = _annotation(arg.annotation)
        elif isinstance(node, ast.AnnAssign):
            node.annotation = _annotation(node.annotation)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        self._annotations(node)
        _drop_dead_stores(node)
        return self.generic_visit(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        self._annotations(node)
        _drop_dead_stores(node)
        return self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        self._annotations(node)
        return self.generic_visit(node)


def _mode(mode: str) -> str:
    if "U" not in mode:
        return mode
    mode = mode.replace("U", "")
    return mode if any(c in mode for c in "rwax") else "r" + mode


_WORD = re.compile(r"(?<![\w.])[A-Za-z_]\w*")  # as KZ108 counts words: `.support` is not `support`


def _drop_unused_imports(tree: ast.Module, source: str) -> None:
    """KZ108: imports whose name is used nowhere (as a name, attribute root or string)."""
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    used |= {
        w
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
        for w in _WORD.findall(n.value)
    }

    class Drop(ast.NodeTransformer):
        def visit_Import(self, node: ast.Import) -> ast.AST | None:
            node.names = [a for a in node.names if (a.asname or a.name.split(".")[0]) in used]
            return node if node.names else None

        def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST | None:
            if node.module == "__future__" or any(a.name == "*" for a in node.names):
                return node
            node.names = [a for a in node.names if (a.asname or a.name) in used]
            return node if node.names else None

        def generic_visit(self, node: ast.AST) -> ast.AST:
            super().generic_visit(node)
            for field in ("body", "orelse", "finalbody"):
                if (
                    getattr(node, field, None) == []
                    and field == "body"
                    and not isinstance(node, ast.Module)
                ):
                    setattr(node, field, [ast.Pass()])
            return node

    Drop().visit(tree)


def canonical(source: bytes | str, passes: int = 4) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = ast.parse(source)
    dumped = ""
    for _ in range(passes):  # to a fixed point: one rewrite can enable another
        tree = Canon().visit(tree)
        _drop_unused_imports(tree, "")  # after Canon: `Optional` unused once `X | None`
        now = ast.dump(tree)
        if now == dumped:
            break
        dumped = now
    return dumped


# --- applying the fixes ------------------------------------------------------------------------


def merge_safe(suggestions: list[Suggestion], path: str) -> tuple[Patch | None, list[str]]:
    """All SAFE, non-overlapping patches of one file as one patch, and the codes used."""
    accepted: list[Edit] = []
    codes: list[str] = []
    base = ""
    for s in sorted(
        suggestions,
        key=lambda s: (s.patch.edits[0].start if s.patch and s.patch.edits else 0, s.code),
    ):
        if s.applicability is not Applicability.SAFE or s.patch is None:
            continue
        edits = s.patch.edits
        if any(
            (e.start < a.end and a.start < e.end) or (e.start == a.start and e.end == a.end)
            for e in edits
            for a in accepted
        ):
            continue  # overlaps an accepted fix: a second round would pick it up
        accepted.extend(edits)
        codes.append(s.code)
        base = s.patch.base_hash
    if not accepted:
        return None, []
    return Patch(path, base, tuple(accepted)), codes


def check_file(args: tuple[str, str, list[dict[str, Any]]]) -> list[tuple[str, str, str]]:
    """(path, code(s), problem) for one file whose SAFE fixes change more than they claim,
    first for the first round's fixes, then for the fixes applied until none is left (as
    ``kaizen apply --all-safe`` does)."""
    root, path, raw = args
    suggestions = [Suggestion.from_dict(d) for d in raw]
    # Offsets are into the UTF-8 form of the decoded text (a latin-1 file is re-encoded).
    data = read_source(Path(root) / path, 10_000_000).data
    patch, codes = merge_safe(suggestions, path)
    if patch is None:
        return []
    first = patch.apply(data)
    problem = _problem(data, first)
    if problem is None:
        return _converged(root, path, data, first)
    # Attribute the failure: each code's fixes alone.
    failures = []
    for code in sorted(set(codes)):
        alone, _ = merge_safe([s for s in suggestions if s.code == code], path)
        if alone is not None:
            p = _problem(data, alone.apply(data))
            if p is not None:
                failures.append((path, code, p))
    return failures or [(path, "+".join(sorted(set(codes))), f"only in combination: {problem}")]


_ANALYZER: dict[str, Any] = {}


def _safe_fixes(root: str, path: str, data: bytes) -> list[Suggestion]:
    """The round of SAFE fixes `--all-safe` would apply to ``data`` (no two overlap)."""
    from analysis.parsing import ParsedFile, parse
    from suggestions.analyze.scan import analyzer_for
    from suggestions.model import content_hash
    from suggestions.project.converge import safe_round

    if root not in _ANALYZER:
        _ANALYZER[root] = analyzer_for(load_config(Path(root)))
    parsed = ParsedFile(path, "python", data, parse("python", data))
    return safe_round(_ANALYZER[root].analyze(parsed, content_hash(data)))


def _converged(root: str, path: str, original: bytes, current: bytes) -> list[tuple[str, str, str]]:
    """Apply the SAFE fixes round after round (the first round is done): the result must
    parse, compile, keep the meaning, and leave no SAFE fix behind within the round bound."""
    from suggestions.project.converge import MAX_ROUNDS

    for done in range(2, MAX_ROUNDS + 2):
        todo = _safe_fixes(root, path, current)
        if not todo:
            break
        codes = "+".join(sorted({s.code for s in todo}))
        edits = tuple(e for s in todo if s.patch is not None for e in s.patch.edits)
        current = Patch(path, "", edits).apply(current)
        problem = _problem(original, current)
        if problem is not None:
            return [(path, codes, f"round {done}: {problem}")]
    else:
        left = sorted({s.code for s in _safe_fixes(root, path, current)})
        return [(path, "+".join(left), f"safe fixes still left after {MAX_ROUNDS} rounds")]
    try:
        compile(current.decode("utf-8"), path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        return [(path, "converged", f"does not compile: {exc}")]
    return []


def _problem(before_data: bytes, after_data: bytes) -> str | None:
    # Parse text, not bytes: a coding cookie must not re-decode the UTF-8 form.
    before, after = before_data.decode("utf-8"), after_data.decode("utf-8", "replace")
    if not _parses(after):
        try:
            ast.parse(after)
        except SyntaxError as exc:
            return f"does not parse: {exc.msg} at line {exc.lineno}"
        return "does not parse"
    if canonical(before, 1) == canonical(after, 1):
        return None  # the common case: one pass each already agrees
    a, b = canonical(before), canonical(after)
    if a == b:
        return None
    i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
    return f"AST differs: ...{a[max(0, i - 80) : i + 80]}... vs ...{b[max(0, i - 80) : i + 80]}..."


@pytest.mark.timeout(900)
def test_every_safe_fix_keeps_the_stdlib_meaning(tmp_path: Path) -> None:
    root = tmp_path / "stdlib"
    copied = _copy_stdlib(root)
    assert copied > 500
    # Workers read the settings from disk: the running interpreter is the target version,
    # and the structure rules (no fixes) are skipped to save time.
    (root / "kaizen.toml").write_text(
        f'target-version = "{sys.version_info[0]}.{sys.version_info[1]}"\nignore = ["KZ7"]\n',
        encoding="utf-8",
    )
    config = load_config(root)
    result = scan_project(root, config, jobs=2)
    per_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
    applied: dict[str, int] = defaultdict(int)
    for s in result.suggestions:
        if s.applicability is Applicability.SAFE and s.patch is not None:
            per_file[s.path].append(s.to_dict())
            applied[s.code] += 1
    assert applied, "no SAFE fix at all: the rules did not run"
    jobs = [(str(root), path, items) for path, items in sorted(per_file.items())]
    failures: list[tuple[str, str, str]] = []
    ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        for found in pool.map(check_file, jobs, chunksize=8):
            failures.extend(found)
    summary = "\n".join(
        f"{path} [{code}]: {problem[:400]}" for path, code, problem in failures[:25]
    )
    print(
        f"\n{copied} files, {len(per_file)} changed, SAFE fixes per rule: {dict(sorted(applied.items()))}"
    )
    assert not failures, f"{len(failures)} file(s) changed beyond what the rule claims:\n{summary}"


def test_canonical_forms_catch_a_wrong_fix() -> None:
    """The checker itself: equivalent rewrites compare equal, a real change does not."""
    assert canonical(b"x = dict()\nif not a in b: pass\n") == canonical(
        b"x = {}\nif a not in b: pass\n"
    )
    assert canonical(b'y = "%s-%r" % (a, b.c)\n') == canonical(b'y = f"{a!s}-{b.c!r}"\n')
    assert canonical(b'y = "{} {:>3}".format(a, b)\n') == canonical(b'y = f"{a} {b:>3}"\n')
    assert canonical(
        b"def f(x):\n    if x:\n        return 1\n    else:\n        return 2\n"
    ) == canonical(b"def f(x):\n    if x:\n        return 1\n    return 2\n")
    assert canonical(
        b"def f(x):\n    if x:\n        return 1\n    else:\n        return 2\n"
    ) != canonical(b"def f(x):\n    if x:\n        return 1\n        return 2\n")
    assert canonical(b"if a:\n    if b:\n        c()\n") == canonical(b"if a and b:\n    c()\n")
    assert canonical(b"if a:\n    if b:\n        c()\n") != canonical(b"if a or b:\n    c()\n")
    assert canonical(b'y = "%s" % (a,)\n') != canonical(b'y = f"{a!r}"\n')
    assert canonical(b'y = "%s-%r" % (3, a)\n') == canonical(b'y = f"{3}-{a!r}"\n')
    # KZ403's bare forms: a comparison of plain values is a bool; De Morgan when exact.
    assert canonical(b"def f(x):\n    if len(x) == 0:\n        return True\n    return False\n") == canonical(
        b"def f(x):\n    return len(x) == 0\n")
    assert canonical(b"def f(a, b):\n    if a and len(b) != 0:\n        return False\n    return True\n") == (
        canonical(b"def f(a, b):\n    return not a or len(b) == 0\n"))
    assert canonical(b"def f(a, b):\n    if a and b != 0:\n        return False\n    return True\n") != (
        canonical(b"def f(a, b):\n    return not a or b == 0\n"))
    assert canonical(b"def f(a, b):\n    if a == b:\n        return True\n    return False\n") != canonical(
        b"def f(a, b):\n    return a == b\n")
