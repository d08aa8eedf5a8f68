"""Python 3.11: the project's modules compiled with probes, so that no tracer has to run.

In 3.11 any ``sys.settrace`` or ``sys.setprofile`` function, even a no-op written in C,
switches every frame of the process (project, library, pytest) to the unspecialised
interpreter path: a real test suite already runs ~1.5x slower before the tracer does any
work, and a Python-level tracer adds a call per frame on top. So 3.11 traces nothing:
project modules are compiled, at import, from an AST with probes added, and every other
module runs exactly as it would without Kaizen.

The probes are names in ``builtins`` (so a module's own namespace gains nothing):

* each project function starts with ``_kaizen_e(uid)`` (a generator or coroutine with
  ``_kaizen_s(uid)``: counted on its first start, not timed) and its ``return X`` becomes
  ``return _kaizen_x(uid, X)``;
* its body is wrapped in ``try: ... except BaseException: _kaizen_u(uid); raise`` (generators:
  ``_kaizen_g``), which notes an exception leaving it; a bare ``raise`` adds no traceback
  entry, so tracebacks are unchanged;
* every ``except`` handler starts with ``_kaizen_h(uid)`` (a caught exception);
* when lines are recorded, the first statement of every straight-line block gets
  ``_kaizen_cov[n] = 1``: the block's lines are counted as run together (an exception in the
  middle of a block over-reports the rest of it, never under-reports).

Inserted nodes take the line of the statement they precede, so line numbers, tracebacks,
``__file__``, docstrings and ``co_firstlineno`` are the same as in a normal import; bytecode
caches are neither read nor written for instrumented files. Test modules that pytest rewrites
for assertions go through pytest's rewriter first, then through this transform (see
:func:`patch_pytest`); ``runpy.run_path`` (a ``multiprocessing`` spawn child re-running the
main script) is covered too. A project script run as ``python script.py`` is compiled by the
interpreter itself, out of reach of any import hook: the collector traces such processes
with ``sys.settrace`` instead.
"""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Callable
from importlib.machinery import (
    BYTECODE_SUFFIXES,
    EXTENSION_SUFFIXES,
    SOURCE_SUFFIXES,
    ExtensionFileLoader,
    FileFinder,
    SourceFileLoader,
    SourcelessFileLoader,
)
from types import CodeType
from typing import Any

ENTER, START, EXIT, UNWIND, PASSING, HANDLED, COV = (
    "_kaizen_e", "_kaizen_s", "_kaizen_x", "_kaizen_u", "_kaizen_p", "_kaizen_h", "_kaizen_cov")
_INSTRUMENTED = frozenset({ENTER, START})


class Registry:
    """What the collector provides: classification and the numbering of units and blocks."""

    def __init__(
        self,
        relpath: Callable[[str], str | None],
        new_unit: Callable[[str, str, int, int, bool, bool], int],
        new_block: Callable[[int, bool], int],
        block_lines: Callable[[int, tuple[int, ...]], None],
        map_code: Callable[[CodeType, int], None],
        error: Callable[[str], None],
        lines: bool,
    ) -> None:
        self.relpath = relpath
        self.new_unit = new_unit
        self.new_block = new_block
        self.block_lines = block_lines
        self.map_code = map_code
        self.error = error
        self.lines = lines


_REG: Registry | None = None


# --- the transform ---------------------------------------------------------------------------


def _is_doc(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _located(node: Any, line: int) -> Any:
    n: Any
    for n in ast.walk(node):
        if "lineno" in n._attributes:
            n.lineno = n.end_lineno = line
            n.col_offset = n.end_col_offset = 0
    return node


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(ast.Name(name, ast.Load()), list(args), [])


def _has_yield(fn: ast.AST) -> bool:
    todo = list(ast.iter_child_nodes(fn))
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        todo.extend(ast.iter_child_nodes(node))
    return False


def _header(node: Any) -> range:
    """The lines of a compound statement before its body (decorators included)."""
    start = min([d.lineno for d in getattr(node, "decorator_list", ())] + [node.lineno])
    body = node.body[0].lineno if getattr(node, "body", None) else node.lineno + 1
    return range(start, max(body, node.lineno + 1))


_COMPOUND: tuple[type, ...] = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try,
                              getattr(ast, "TryStar", ast.Try), ast.Match)


class _Ctx:
    __slots__ = ("body", "gen", "prefix", "uid")

    def __init__(self, uid: int, prefix: str, gen: bool, body: bool = False) -> None:
        self.uid = uid
        self.prefix = prefix  # qualname prefix for definitions in this scope
        self.gen = gen  # no ``return`` rewrite (module, class body, generator)
        self.body = body  # a module or class body: runs once, so one probe per statement


class _Transform:
    def __init__(self, reg: Registry, rel: str) -> None:
        self.reg = reg
        self.rel = rel
        self.units: dict[tuple[str, int], int] = {}
        self.module_uid = -1

    def module(self, tree: ast.Module) -> None:
        body = tree.body
        i = 1 if body and _is_doc(body[0]) else 0
        while i < len(body) and isinstance(body[i], ast.ImportFrom) and body[i].module == "__future__":  # type: ignore[attr-defined]
            i += 1
        head, rest = body[:i], body[i:]
        if not rest:
            return
        last = max(int(getattr(n, "end_lineno", 0) or n.lineno) for n in rest)
        uid = self.module_uid = self.reg.new_unit(self.rel, "<module>", 1, last, True, False)
        ctx = _Ctx(uid, "", True, True)
        line = rest[0].lineno
        new = self.stmts(rest, ctx, range(head[0].lineno, int(head[0].end_lineno or 0) + 1) if i else ())
        new.append(_located(ast.Expr(_call(EXIT, ast.Constant(uid), ast.Constant(None))), last))
        tree.body = [*head, _located(ast.Expr(_call(ENTER, ast.Constant(uid))), line),
                     self._wrap(new, uid, UNWIND, line, last)]

    def _wrap(self, body: list[ast.stmt], uid: int, probe: str, line: int, last: int) -> ast.Try:
        handler = _located(ast.ExceptHandler(
            type=ast.Name("BaseException", ast.Load()), name=None,
            body=[ast.Expr(_call(probe, ast.Constant(uid))), ast.Raise(exc=None, cause=None)]), last)
        node: ast.Try = _located(ast.Try(body=[], handlers=[handler], orelse=[], finalbody=[]), line)
        node.body = body
        return node

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, ctx: _Ctx) -> None:
        qual = ctx.prefix + node.name
        first = min([d.lineno for d in node.decorator_list] + [node.lineno])
        last = int(node.end_lineno or node.lineno)
        gen = isinstance(node, ast.AsyncFunctionDef) or _has_yield(node)
        self.lambdas([*node.decorator_list, *node.args.defaults, *(d for d in node.args.kw_defaults if d)], ctx)
        uid = self.reg.new_unit(self.rel, qual, first, last, False, gen)
        self.units[(node.name, first)] = uid
        body = node.body
        head = body[:1] if _is_doc(body[0]) else []
        rest = body[len(head):] or [_located(ast.Pass(), body[0].lineno)]
        line = rest[0].lineno
        inner = _Ctx(uid, qual + ".<locals>.", gen)
        new = self.stmts(rest, inner, ())
        if not gen:
            new.append(_located(ast.Return(_call(EXIT, ast.Constant(uid), ast.Constant(None))), last))
        node.body = [*head, _located(ast.Expr(_call(START if gen else ENTER, ast.Constant(uid))), line),
                     self._wrap(new, uid, PASSING if gen else UNWIND, line, last)]

    def lambdas(self, nodes: list[Any], ctx: _Ctx) -> None:
        """Lambdas in these expressions (not in nested statements) record their line when called."""
        if not self.reg.lines:
            return
        todo = list(nodes)
        while todo:
            node = todo.pop()
            if isinstance(node, ast.Lambda):
                block = self.reg.new_block(ctx.uid, True)
                self.reg.block_lines(block, tuple(range(node.lineno, int(node.end_lineno or node.lineno) + 1)))
                mark = ast.Call(ast.Attribute(ast.Name(COV, ast.Load()), "__setitem__", ast.Load()),
                                [ast.Constant(block), ast.Constant(1)], [])
                body = node.body
                node.body = ast.Subscript(ast.Tuple([_located(mark, body.lineno), body], ast.Load()),
                                          ast.Constant(1), ast.Load())
                ast.copy_location(node.body, body)
                ast.copy_location(node.body.value, body)
                ast.copy_location(node.body.slice, body)
                todo.append(body)
            elif not isinstance(node, ast.stmt) or node in nodes:
                todo.extend(ast.iter_child_nodes(node))

    def stmts(self, stmts: list[ast.stmt], ctx: _Ctx, extra: tuple[int, ...] | range) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        lines: list[int] | None = None
        block = -1
        need = self.reg.lines
        pending_extra = list(extra)
        s: Any
        for s in stmts:
            if need:
                lines = pending_extra
                pending_extra = []
                block = self.reg.new_block(ctx.uid, False)
                marker = ast.Assign(
                    targets=[ast.Subscript(ast.Name(COV, ast.Load()), ast.Constant(block), ast.Store())],
                    value=ast.Constant(1))
                out.append(_located(marker, s.lineno))
                need = False
            compound = False
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
                own = _header(s)
                self.function(s, ctx)
            elif isinstance(s, ast.ClassDef):
                own = _header(s)
                doc = s.body[:1] if _is_doc(s.body[0]) and len(s.body) > 1 else []  # stays first: the __doc__
                s.body = doc + self.stmts(s.body[len(doc):], _Ctx(ctx.uid, ctx.prefix + s.name + ".", True, True),
                                          range(doc[0].lineno, int(doc[0].end_lineno or 0) + 1) if doc else ())
                self.lambdas(s.decorator_list + s.bases + [k.value for k in s.keywords], ctx)
                compound = True
            elif type(s) in _COMPOUND:
                own = _header(s)
                compound = True
                if isinstance(s, ast.Match):
                    for case in s.cases:
                        case.body = self.stmts(case.body, ctx, range(case.pattern.lineno, case.body[0].lineno)
                                               or (case.pattern.lineno,))
                else:
                    s.body = self.stmts(s.body, ctx, ())
                    if isinstance(s, (ast.With, ast.AsyncWith)):
                        # An exception that a context manager swallows leaves no other trace.
                        s.body = [self._wrap(s.body, ctx.uid, PASSING, s.body[0].lineno, int(s.end_lineno or s.lineno))]
                self.lambdas([n for n in ast.iter_child_nodes(s) if isinstance(n, ast.expr)]
                             + [i.context_expr for i in getattr(s, "items", ())], ctx)
                for h in getattr(s, "handlers", ()):
                    h.body = [_located(ast.Expr(_call(HANDLED, ast.Constant(ctx.uid))), h.body[0].lineno),
                              *self.stmts(h.body, ctx, range(h.lineno, max(h.body[0].lineno, h.lineno + 1)))]
                for name in ("orelse", "finalbody"):
                    sub = getattr(s, name, None)
                    if sub:
                        setattr(s, name, self.stmts(sub, ctx, ()))
            else:
                own = range(s.lineno, int(s.end_lineno or s.lineno) + 1)
                self.lambdas([s], ctx)
                if isinstance(s, ast.Return) and not ctx.gen:
                    s.value = ast.copy_location(
                        _call(EXIT, ast.Constant(ctx.uid), s.value or ast.Constant(None)), s.value or s)
                    ast.fix_missing_locations(s)
                if isinstance(s, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
                    compound = True  # what follows (if anything) starts a new block
            if lines is not None:
                lines.extend(own)
                self.reg.block_lines(block, tuple(lines))
            out.append(s)
            if compound or ctx.body:
                need = self.reg.lines
        return out


def _map_codes(reg: Registry, code: CodeType, units: dict[tuple[str, int], int], parent: int) -> None:
    uid = units.get((code.co_name, code.co_firstlineno), parent) if code.co_flags & 0x01 else parent
    reg.map_code(code, uid)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            _map_codes(reg, const, units, uid)


def instrument(tree: ast.Module, filename: str) -> CodeType | None:
    """Compile ``tree`` (a project module) with probes; None if it is not project code or fails."""
    reg = _REG
    if reg is None:
        return None
    rel = reg.relpath(filename)
    if rel is None:
        return None
    try:
        tr = _Transform(reg, rel)
        tr.module(tree)
        code = compile(tree, filename, "exec", dont_inherit=True)
        _map_codes(reg, code, tr.units, tr.module_uid)
        return code
    except Exception as exc:
        reg.error(f"instrument {rel}: {exc!r}")
        return None


def instrument_source(data: bytes, filename: str) -> CodeType | None:
    import importlib.util

    try:
        tree = ast.parse(importlib.util.decode_source(data), filename=filename)
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return None  # the normal compile raises the same error the program expects
    return instrument(tree, filename)


# --- import machinery ------------------------------------------------------------------------


class _Loader(SourceFileLoader):
    """A source loader that compiles project files with probes (no bytecode cache)."""

    def get_code(self, fullname: str) -> Any:
        path = self.get_filename(fullname)
        try:
            data = self.get_data(path)
        except OSError:
            return super().get_code(fullname)
        code = instrument_source(data, path)
        return code if code is not None else super().get_code(fullname)


def install(reg: Registry) -> None:
    """Instrument project modules imported from now on (path hook + runpy + pytest)."""
    global _REG
    _REG = reg
    base = FileFinder.path_hook(
        (ExtensionFileLoader, EXTENSION_SUFFIXES), (_Loader, SOURCE_SUFFIXES),
        (SourcelessFileLoader, BYTECODE_SUFFIXES))

    def is_project_dir(path: str) -> bool:
        full = os.path.abspath(path or os.curdir)
        return os.path.isdir(full) and reg.relpath(os.path.join(full, "__init__.py")) is not None

    def kaizen_path_hook(path: str) -> Any:
        if not is_project_dir(path):
            raise ImportError("not a project folder")
        return base(path)

    sys.path_hooks.insert(0, kaizen_path_hook)
    for entry in list(sys.path_importer_cache):
        if isinstance(entry, str) and is_project_dir(entry):
            del sys.path_importer_cache[entry]
    _patch_runpy()


def _patch_runpy() -> None:
    import runpy

    orig = getattr(runpy, "_get_code_from_file", None)
    if orig is None:
        return

    def _get_code_from_file(*args: Any) -> Any:  # (run_name, fname) -> (code, fname); 3.13: fname -> code
        fname = args[-1]
        try:
            with open(os.path.abspath(os.fsdecode(fname)), "rb") as fh:
                code = instrument_source(fh.read(), os.fsdecode(fname))
            if code is not None:
                return (code, fname) if len(args) == 2 else code
        except Exception:
            pass
        return orig(*args)

    runpy._get_code_from_file = _get_code_from_file  # type: ignore[attr-defined]


def patch_pytest() -> None:
    """Have pytest's assertion rewriter compile project test modules with probes.

    ``_pytest.assertion.rewrite`` compiles the rewritten AST with the builtin ``compile``: a
    ``compile`` in that module's namespace instruments project files first. Its pyc cache is
    bypassed for them (an instrumented pyc must never be read by a plain run, nor a plain one
    by us).
    """
    rw = sys.modules.get("_pytest.assertion.rewrite")
    if rw is None or _REG is None or getattr(rw, "_kaizen_patched", False):
        return
    import builtins

    reg = _REG
    real_compile = builtins.compile

    def compile(source: Any, filename: Any, mode: str, *args: Any, **kwargs: Any) -> Any:
        if isinstance(source, ast.Module) and mode == "exec":
            code = instrument(source, os.fspath(filename))
            if code is not None:
                return code
        return real_compile(source, filename, mode, *args, **kwargs)

    read_pyc = getattr(rw, "_read_pyc", None)
    write_pyc = getattr(rw, "_write_pyc", None)
    if read_pyc is None or write_pyc is None:
        return  # an unknown pytest: leave its rewriting alone

    def _read_pyc(source: Any, *args: Any, **kwargs: Any) -> Any:
        if reg.relpath(os.fspath(source)) is not None:
            return None
        return read_pyc(source, *args, **kwargs)

    def _write_pyc(state: Any, co: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(co, CodeType) and _INSTRUMENTED.intersection(co.co_names):
            return False
        return write_pyc(state, co, *args, **kwargs)

    rw.compile = compile  # type: ignore[attr-defined]
    rw._read_pyc = _read_pyc  # type: ignore[attr-defined]
    rw._write_pyc = _write_pyc  # type: ignore[attr-defined]
    rw._kaizen_patched = True  # type: ignore[attr-defined]
