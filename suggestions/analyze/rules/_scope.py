"""A scope model of one Python file, built once per file and shared by the scope rules.

Not a rule module (the leading underscore keeps discovery away). :func:`scopes` walks the
tree-sitter tree once and records, for every scope (module, class, function, lambda,
comprehension, and the annotation scope of 3.12 type parameters), the names it binds and
the names it reads. Resolution is flow-insensitive, as Python's own compiler decides what
is local: a name bound anywhere in a scope is that scope's, whatever the branch.

Python's rules modelled: class bodies are invisible from the functions and comprehensions
inside them (but visible in the class body itself); a comprehension is its own scope, and
its first iterable is evaluated in the enclosing one; decorators, defaults and (without
type parameters) annotations are evaluated outside the function; a walrus binds in the
nearest enclosing non-comprehension scope; ``global``/``nonlocal`` redirect bindings;
``import a.b`` binds ``a``; ``except E as e``, ``with ... as x``, ``del x``, match captures
and ``for`` targets bind. Reads inside a ``try`` whose handler catches ``NameError`` are not
recorded (the author probes the name on purpose).

The walk itself is in ``_scope_walk.py``. Files with syntax errors get an empty model
(``valid`` false): a broken tree names nothing.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field

import tree_sitter

from suggestions.analyze.framework import Context

__all__ = ["BUILTINS", "Binding", "Loop", "Model", "Scope", "model", "node_at"]

# The running interpreter's builtins, plus names some other version or platform has.
BUILTINS = frozenset(dir(builtins)) | {
    "aiter",
    "anext",
    "EncodingWarning",
    "BaseExceptionGroup",
    "ExceptionGroup",
    "PythonFinalizationError",
    "_IncompleteInputError",
    "WindowsError",
    "__file__",
    "__name__",
    "__doc__",
    "__builtins__",
    "__spec__",
    "__loader__",
    "__package__",
    "__path__",
    "__cached__",
    "__annotations__",
    "__debug__",
}
# Implicit in a class body (``__module__``, ``__qualname__``) and in a method (``__class__``).
CLASS_IMPLICIT = frozenset({"__module__", "__qualname__", "__dict__", "__doc__", "__annotations__"})
# A scope reading one of these can see or change its names by string.
DYNAMIC = frozenset({"locals", "vars", "exec", "eval"})


class Binding(tuple[str, int, int, int]):
    """``(kind, start, end, at)``: one binding of a name.

    ``kind``: import, def, class, param, assign, annotation, aug, for, with, except,
    walrus, del, global, match, type, comprehension; ``start``/``end``: the byte span of
    the bound identifier; ``at``: the offset after which the name holds the value. A
    tuple (made by tuple's own constructor, ``Binding((kind, start, end, at))``) because
    a file has tens of thousands and a dataclass costs seven times more to create.
    """

    __slots__ = ()

    @property
    def kind(self) -> str:
        return self[0]

    @property
    def start(self) -> int:
        return self[1]

    @property
    def end(self) -> int:
        return self[2]

    @property
    def at(self) -> int:
        return self[3]


@dataclass(slots=True)
class Loop:
    """A ``for`` statement or a comprehension; ``names`` are its targets, bound in ``scope``."""

    node: tree_sitter.Node
    names: frozenset[str]
    scope: Scope


@dataclass(slots=True, eq=False)
class Scope:
    kind: str  # module, class, function, lambda, comprehension, annotation
    node: tree_sitter.Node
    parent: Scope | None
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    loads: dict[str, list[int]] = field(default_factory=dict)  # name -> start offsets of its reads
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    dynamic: bool = False  # reads locals()/vars()/exec/eval
    loops: tuple[Loop, ...] = ()  # the loops around the point where it was created
    in_class: bool = False  # a function defined directly in a class body

    def bind(self, name: str, kind: str, start: int, end: int, at: int) -> None:
        binding = Binding((kind, start, end, at))
        found = self.bindings.get(name)
        if found is None:
            self.bindings[name] = [binding]
        else:
            found.append(binding)


@dataclass(slots=True)
class Model:
    valid: bool
    scopes: list[Scope] = field(default_factory=list)
    star_import: bool = False  # ``from m import *``: the module's names are unknown
    dynamic_module: bool = False  # globals(), a module-level exec or __getattr__
    loops: list[Loop] = field(default_factory=list)  # every for statement (not comprehensions)

    @property
    def module(self) -> Scope:
        return self.scopes[0]

    def resolve(self, scope: Scope, name: str) -> Scope | None:
        """The scope whose binding ``name`` refers to when read in ``scope``; None if none.

        A builtin (or an implicit module/class name) resolves to the module scope.
        """
        s: Scope | None = scope
        first = True
        while s is not None:
            if name in s.globals:
                return self.module
            if s.kind == "class" and not first:
                s = s.parent
                continue
            if name in s.bindings and name not in s.nonlocals:
                return s
            if s.kind == "class" and name in CLASS_IMPLICIT:
                return s
            if name == "__class__" and s.in_class:
                return s
            first = False
            s = s.parent
        return self.module if name in BUILTINS else None


def model(ctx: Context) -> Model:
    """The file's scope model, built on first use and shared by every rule that asks."""
    from suggestions.analyze.rules._scope_walk import build

    result: Model = ctx.shared("scope.model", build)
    return result


def node_at(ctx: Context, start: int, end: int | str) -> tree_sitter.Node | None:
    """The node spanning ``start..end``; ``end`` may be the name starting at ``start``."""
    if isinstance(end, str):
        end = start + len(end.encode())
    return ctx.root.descendant_for_byte_range(start, end)
