"""Python 3.11: the project's modules compiled with probes, so that no tracer has to run.

In 3.11 any ``sys.settrace`` or ``sys.setprofile`` function, even a no-op written in C,
switches every frame of the process (project, library, pytest) to the unspecialised
interpreter path: boltons' and attrs' test suites run 1.5-1.9x slower (CPU) before the tracer
does any work, and a Python-level tracer adds a call per frame on top. So 3.11 traces nothing:
project modules are compiled, at import, from an AST with probes added, and every other
module runs exactly as it would without Kaizen.

The probes are names in ``builtins`` (so a module's own namespace gains nothing); ``uid`` is
a constant string naming the function by file and rank (``"pkg/mod.py:3"``):

* each project function starts with ``_kaizen_e(uid)`` (a generator or coroutine with
  ``_kaizen_s(uid)``: counted on its first start, not timed) and its ``return X`` becomes
  ``return _kaizen_x(uid, X)``; a module body gets the same pair;
* its body is wrapped in ``try: ... except BaseException: _kaizen_u(uid); raise``, which notes
  an exception leaving it (generators and ``with`` bodies: ``_kaizen_p``, since a context
  manager may swallow the exception); a bare ``raise`` adds no traceback entry, so tracebacks
  are unchanged;
* every ``except`` handler starts with ``_kaizen_h(uid)`` (a caught exception; where it was
  raised is the deepest project frame of its traceback);
* when lines are recorded, the first statement of every straight-line block (every statement
  of a module or class body) gets ``_kaizen_cov["pkg/mod.py#n"] = 1`` and each lambda body
  sets its own key: a block's lines count as run together (an exception in the middle of a
  block over-reports the rest of it, never under-reports).

Inserted nodes take the line of the statement they precede, so line numbers, tracebacks,
``__file__``, docstrings and ``co_firstlineno`` are the same as in a normal import; bytecode
caches are neither read nor written for instrumented files; the instrumented code is cached
in Kaizen's store instead (``KAIZEN_TRACE_CACHE``), keyed by source and settings. Test modules that pytest rewrites
for assertions go through pytest's rewriter first, then through this transform (see
:func:`patch_pytest`); ``runpy.run_path`` (a ``multiprocessing`` spawn child re-running the
main script) is covered too. A project script run as ``python script.py`` is compiled by the
interpreter itself, out of reach of any import hook: the collector re-executes such a process
through ``_kaizen_main``, which compiles the script with :func:`instrument_source`.
"""

from __future__ import annotations

import ast
import bisect
import gc
import hashlib
import importlib.util
import marshal
import os
import sys
import threading
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

TYPE_CHECKING = False  # not typing's: importing typing costs a traced process ~7 ms
if TYPE_CHECKING:
    from typing import Any

ENTER, START, EXIT, UNWIND, PASSING, HANDLED, COV = (
    "_kaizen_e", "_kaizen_s", "_kaizen_x", "_kaizen_u", "_kaizen_p", "_kaizen_h", "_kaizen_cov")
_INSTRUMENTED = frozenset({ENTER, START})


class Registry:
    """What the collector provides: classification and the numbering of units and blocks."""

    def __init__(
        self,
        relpath: Callable[[str], str | None],
        add_unit: Callable[[str, str, str, int, int, bool], None],
        add_block: Callable[[str, str, list[int]], None],
        map_code: Callable[[CodeType, str], None],
        error: Callable[[str], None],
        lines: bool,
        cache_dir: str,
    ) -> None:
        self.add_unit = add_unit  # (uid, relpath, qualname, first line, last line, module body?)
        self.add_block = add_block  # (block key, uid, its lines: a list filled in later)
        self.cache_dir = cache_dir
        self.relpath = relpath
        self.map_code = map_code
        self.error = error
        self.lines = lines


_REG: Registry | None = None


# --- the transform ---------------------------------------------------------------------------


def _is_doc(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _at(line: int) -> dict[str, Any]:
    return {"lineno": line, "col_offset": 0, "end_lineno": line, "end_col_offset": 0}


def _name(name: str, line: int) -> ast.Name:
    return ast.Name(name, ast.Load(), **_at(line))


def _const(value: Any, line: int) -> ast.Constant:
    return ast.Constant(value, **_at(line))


def _call(line: int, name: str, *args: Any) -> ast.Call:
    """``name(*args)``; plain ints and None in args become constants."""
    values: list[ast.expr] = [a if isinstance(a, ast.expr) else _const(a, line) for a in args]
    return ast.Call(_name(name, line), values, [], **_at(line))


def _probe(line: int, name: str, *args: Any) -> ast.Expr:
    return ast.Expr(_call(line, name, *args), **_at(line))


def _scan(tree: ast.AST, source: bytes | None = None) -> tuple[set[int], list[ast.Lambda]]:
    """One walk: the functions that contain ``yield`` (by id), and every lambda.

    With the module's ``source``, the walk skips every node whose lines hold neither word: a
    ``yield`` or ``lambda`` node starts with its keyword, so none is missed, and most of a module
    is never visited (the walk took half of the transform's time on boltons).
    """
    marks: list[int] | None = None
    if source is not None:
        marks = [i for i, line in enumerate(source.splitlines(), 1) if b"yield" in line or b"lambda" in line]
        if not marks:
            return set(), []
    gens: set[int] = set()
    lambdas: list[ast.Lambda] = []
    todo: list[tuple[Any, Any]] = [(tree, None)]
    node_type = ast.AST
    while todo:
        node, fn = todo.pop()
        if marks is not None:
            start = getattr(node, "lineno", None)
            if start is not None:
                for d in getattr(node, "decorator_list", ()):  # decorators come before ``def``
                    start = min(start, d.lineno)
                i = bisect.bisect_left(marks, start)
                if i == len(marks) or marks[i] > (node.end_lineno or start):
                    continue
        t = type(node)
        if t is ast.Yield or t is ast.YieldFrom:
            if fn is not None:
                gens.add(id(fn))
        elif t is ast.Lambda:
            lambdas.append(node)
            fn = node
        elif t is ast.FunctionDef or t is ast.AsyncFunctionDef:
            fn = node
        elif t is ast.ClassDef:
            fn = None
        for field in node._fields:
            v = getattr(node, field, None)
            if type(v) is list:
                for x in v:
                    if isinstance(x, node_type) and x._fields:
                        todo.append((x, fn))
            elif isinstance(v, node_type) and v._fields:
                todo.append((v, fn))
    return gens, lambdas


def _header(node: Any) -> range:
    """The lines of a compound statement before its body (decorators included)."""
    start = min([d.lineno for d in getattr(node, "decorator_list", ())] + [node.lineno])
    body = node.body[0].lineno if getattr(node, "body", None) else node.lineno + 1
    return range(start, max(body, node.lineno + 1))


_COMPOUND: tuple[type, ...] = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try,
                              getattr(ast, "TryStar", ast.Try), ast.Match)


class _Ctx:
    __slots__ = ("body", "gen", "prefix", "uid")

    def __init__(self, uid: str, prefix: str, gen: bool, body: bool = False) -> None:
        self.uid = uid
        self.prefix = prefix  # qualname prefix for definitions in this scope
        self.gen = gen  # no ``return`` rewrite (module, class body, generator)
        self.body = body  # a module or class body: runs once, so one probe per statement


class _Transform:
    def __init__(self, reg: Registry, rel: str) -> None:
        self.reg = reg
        self.rel = rel
        self.units: dict[tuple[str, int], str] = {}
        self.module_uid = ""
        self.n_units = 0
        self.n_blocks = 0
        self.gens: set[int] = set()

    def module(self, tree: ast.Module) -> None:
        body = tree.body
        i = 1 if body and _is_doc(body[0]) else 0
        while i < len(body) and isinstance(body[i], ast.ImportFrom) and body[i].module == "__future__":  # type: ignore[attr-defined]
            i += 1
        head, rest = body[:i], body[i:]
        if not rest:
            return
        last = max(int(getattr(n, "end_lineno", 0) or n.lineno) for n in rest)
        uid = self.module_uid = self.new_unit("<module>", 1, last, True)
        ctx = _Ctx(uid, "", True, True)
        line = rest[0].lineno
        new = self.stmts(rest, ctx, range(head[0].lineno, int(head[0].end_lineno or 0) + 1) if i else ())
        new.append(_probe(last, EXIT, uid, None))
        tree.body = [*head, _probe(line, ENTER, uid), self._wrap(new, uid, UNWIND, line, last)]

    def new_unit(self, qual: str, first: int, last: int, body: bool) -> str:
        """A unit's id: its file and rank there, the same in every run of the same source."""
        uid = f"{self.rel}:{self.n_units}"
        self.n_units += 1
        self.reg.add_unit(uid, self.rel, qual, first, last, body)
        return uid

    def new_block(self, uid: str, lines: list[int]) -> str:
        key = f"{self.rel}#{self.n_blocks}"
        self.n_blocks += 1
        self.reg.add_block(key, uid, lines)
        return key

    def _wrap(self, body: list[ast.stmt], uid: str, probe: str, line: int, last: int) -> ast.Try:
        handler = ast.ExceptHandler(type=_name("BaseException", last), name=None,
                                    body=[_probe(last, probe, uid), ast.Raise(exc=None, cause=None, **_at(last))],
                                    **_at(last))
        return ast.Try(body=body, handlers=[handler], orelse=[], finalbody=[], **_at(line))

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, ctx: _Ctx) -> None:
        qual = ctx.prefix + node.name
        first = min([d.lineno for d in node.decorator_list] + [node.lineno])
        last = int(node.end_lineno or node.lineno)
        gen = isinstance(node, ast.AsyncFunctionDef) or id(node) in self.gens
        uid = self.new_unit(qual, first, last, False)
        self.units[(node.name, first)] = uid
        body = node.body
        head = body[:1] if _is_doc(body[0]) else []
        rest = body[len(head):] or [ast.Pass(**_at(body[0].lineno))]
        line = rest[0].lineno
        inner = _Ctx(uid, qual + ".<locals>.", gen)
        new = self.stmts(rest, inner, ())
        if not gen:
            new.append(ast.Return(_call(last, EXIT, uid, None), **_at(last)))
        node.body = [*head, _probe(line, START if gen else ENTER, uid),
                     self._wrap(new, uid, PASSING if gen else UNWIND, line, last)]

    def lambdas(self, lambdas: list[ast.Lambda]) -> None:
        """Each lambda body records its lines when called (as ``(_kaizen_cov.__setitem__(n, 1), body)[1]``)."""
        if not self.reg.lines:
            return
        for node in lambdas:
            block = self.new_block(self.module_uid, list(range(node.lineno, int(node.end_lineno or node.lineno) + 1)))
            body = node.body
            line = body.lineno
            mark = ast.Call(ast.Attribute(_name(COV, line), "__setitem__", ast.Load(), **_at(line)),
                            [_const(block, line), _const(1, line)], [], **_at(line))
            node.body = ast.Subscript(ast.Tuple([mark, body], ast.Load(), **_at(line)), _const(1, line), ast.Load(),
                                      **_at(line))

    def stmts(self, stmts: list[ast.stmt], ctx: _Ctx, extra: tuple[int, ...] | range) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        lines: list[int] | None = None
        need = self.reg.lines
        pending_extra = list(extra)
        s: Any
        for s in stmts:
            if need:
                lines = pending_extra
                pending_extra = []
                block = self.new_block(ctx.uid, lines)  # lines: filled in below
                line = s.lineno
                target = ast.Subscript(_name(COV, line), _const(block, line), ast.Store(), **_at(line))
                out.append(ast.Assign(targets=[target], value=_const(1, line), **_at(line)))
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
                for h in getattr(s, "handlers", ()):
                    h.body = [_probe(h.body[0].lineno, HANDLED, ctx.uid),
                              *self.stmts(h.body, ctx, range(h.lineno, max(h.body[0].lineno, h.lineno + 1)))]
                for name in ("orelse", "finalbody"):
                    sub = getattr(s, name, None)
                    if sub:
                        setattr(s, name, self.stmts(sub, ctx, ()))
            else:
                own = range(s.lineno, int(s.end_lineno or s.lineno) + 1)
                if isinstance(s, ast.Return) and not ctx.gen:
                    s.value = _call(s.lineno, EXIT, ctx.uid, s.value)
                if isinstance(s, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
                    compound = True  # what follows (if anything) starts a new block
            if lines is not None:
                lines.extend(own)
            out.append(s)
            if compound or ctx.body:
                need = self.reg.lines
        return out


def _map_codes(reg: Registry, code: CodeType, units: dict[tuple[str, int], str], parent: str,
               order: list[str]) -> None:
    uid = units.get((code.co_name, code.co_firstlineno), parent) if code.co_flags & 0x01 else parent
    reg.map_code(code, uid)
    order.append(uid)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            _map_codes(reg, const, units, uid, order)


def _replay_codes(reg: Registry, code: CodeType, order: list[str], i: int = 0) -> int:
    reg.map_code(code, order[i])
    i += 1
    for const in code.co_consts:
        if isinstance(const, CodeType):
            i = _replay_codes(reg, const, order, i)
    return i


class _Recording:
    """A registry that notes what it is given, for the cache."""

    def __init__(self, reg: Registry) -> None:
        self.reg = reg
        self.lines = reg.lines
        self.units: list[tuple[str, str, str, int, int, bool]] = []
        self.blocks: list[tuple[str, str, list[int]]] = []

    def add_unit(self, uid: str, rel: str, qual: str, first: int, last: int, body: bool) -> None:
        self.units.append((uid, rel, qual, first, last, body))
        self.reg.add_unit(uid, rel, qual, first, last, body)

    def add_block(self, key: str, uid: str, lines: list[int]) -> None:
        self.blocks.append((key, uid, lines))
        self.reg.add_block(key, uid, lines)


class _Compiling:
    """``_lock``, with the cyclic GC paused: parsing, transforming and compiling a module makes
    hundreds of thousands of AST nodes, none of them garbage, and the collections they trigger
    (scanning everything the program holds) took half the time of a first trace's instrumenting."""

    def __enter__(self) -> None:
        _lock.acquire()
        self.enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            gc.enable()
        _lock.release()


# Instrumented code is cached by source and settings (probe ids depend on nothing else), in
# Kaizen's store, never in __pycache__: tracing the same suite again compiles nothing.
_lock = threading.RLock()
_SELF = ""


def _cache_key(data: bytes, filename: str, extra: str) -> str:
    global _SELF
    reg = _REG
    assert reg is not None
    if not _SELF:
        with open(__file__, "rb") as fh:
            _SELF = hashlib.sha1(fh.read()).hexdigest()
    h = hashlib.sha1(data)
    h.update(f"\0{filename}\0{reg.relpath(filename)}\0{extra}\0{reg.lines}\0{_SELF}\0{sys.version}".encode())
    return h.hexdigest()


def _cache_load(key: str) -> CodeType | None:
    reg = _REG
    if reg is None or not reg.cache_dir:
        return None
    try:
        with open(os.path.join(reg.cache_dir, key[:2], key), "rb") as fh:
            code, units, blocks, order = marshal.load(fh)
        for unit in units:
            reg.add_unit(*unit)
        for block in blocks:
            reg.add_block(*block)
        _replay_codes(reg, code, order)
    except (OSError, ValueError, EOFError, TypeError, IndexError):
        return None
    return code  # type: ignore[no-any-return]


def _cache_store(key: str, code: CodeType, rec: _Recording, order: list[str]) -> None:
    reg = _REG
    if reg is None or not reg.cache_dir:
        return
    try:
        folder = os.path.join(reg.cache_dir, key[:2])
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, key)
        tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "wb") as fh:
            marshal.dump((code, rec.units, rec.blocks, order), fh)
        os.replace(tmp, path)
    except (OSError, ValueError) as exc:
        reg.error(f"instrument cache: {exc!r}")


def instrument(tree: ast.Module, filename: str, key: str = "", source: bytes | None = None) -> CodeType | None:
    """Compile ``tree`` (a project module) with probes; None if it is not project code or fails."""
    reg = _REG
    if reg is None:
        return None
    rel = reg.relpath(filename)
    if rel is None:
        return None
    with _Compiling():
        try:
            rec = _Recording(reg)
            tr = _Transform(rec, rel)  # type: ignore[arg-type]
            tr.gens, lambdas = _scan(tree, source)
            tr.module(tree)
            if tr.module_uid:
                tr.lambdas(lambdas)
            code = compile(tree, filename, "exec", dont_inherit=True)
            order: list[str] = []
            _map_codes(reg, code, tr.units, tr.module_uid, order)
        except Exception as exc:
            reg.error(f"instrument {rel}: {exc!r}")
            return None
        if key:
            _cache_store(key, code, rec, order)
        return code


def instrument_source(data: bytes, filename: str) -> CodeType | None:
    reg = _REG
    if reg is None or reg.relpath(filename) is None:
        return None
    with _Compiling():
        key = _cache_key(data, filename, "") if reg.cache_dir else ""
        code = _cache_load(key) if key else None
        if code is not None:
            return code
        try:
            tree = ast.parse(importlib.util.decode_source(data), filename=filename)
        except (SyntaxError, ValueError, UnicodeDecodeError):
            return None  # the normal compile raises the same error the program expects
        return instrument(tree, filename, key, data)


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

    pending: dict[str, tuple[str, bytes]] = {}  # path -> (cache key, source), between _rewrite_test and compile

    def compile(source: Any, filename: Any, mode: str, *args: Any, **kwargs: Any) -> Any:
        if isinstance(source, ast.Module) and mode == "exec":
            path = os.fspath(filename)
            key, data = pending.pop(path, ("", None))
            code = instrument(source, path, key, data)
            if code is not None:
                return code
        return real_compile(source, filename, mode, *args, **kwargs)

    read_pyc = getattr(rw, "_read_pyc", None)
    write_pyc = getattr(rw, "_write_pyc", None)
    rewrite_test = getattr(rw, "_rewrite_test", None)
    if read_pyc is None or write_pyc is None or rewrite_test is None:
        return  # an unknown pytest: leave its rewriting alone
    extra = "pytest " + str(getattr(sys.modules.get("pytest"), "__version__", ""))

    def _rewrite_test(fn: Any, *args: Any, **kwargs: Any) -> Any:
        path = os.fspath(fn)
        if not reg.cache_dir or reg.relpath(path) is None:
            return rewrite_test(fn, *args, **kwargs)
        with _Compiling():
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError:
                return rewrite_test(fn, *args, **kwargs)
            key = _cache_key(data, path, extra)
            code = _cache_load(key)
            if code is not None:  # the first item only feeds _write_pyc, which skips our code
                return importlib.util.source_hash(data), code
            pending[path] = (key, data)
            try:
                return rewrite_test(fn, *args, **kwargs)
            finally:
                pending.pop(path, None)

    def _read_pyc(source: Any, *args: Any, **kwargs: Any) -> Any:
        if reg.relpath(os.fspath(source)) is not None:
            return None
        return read_pyc(source, *args, **kwargs)

    def _write_pyc(state: Any, co: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(co, CodeType) and _INSTRUMENTED.intersection(co.co_names):
            return False
        return write_pyc(state, co, *args, **kwargs)

    rw.compile = compile  # type: ignore[attr-defined]
    rw._rewrite_test = _rewrite_test  # type: ignore[attr-defined]
    rw._read_pyc = _read_pyc  # type: ignore[attr-defined]
    rw._write_pyc = _write_pyc  # type: ignore[attr-defined]
    rw._kaizen_patched = True  # type: ignore[attr-defined]
