from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import noqa, overwriting_assignment, word_positions
from suggestions.analyze.rules._scope import model
from suggestions.model import Applicability

_IGNORED = frozenset({"self", "cls", "args", "kwargs"})
# Hooks whose signature a framework fixes: ignoring an argument there is the protocol.
_PROTOCOL = frozenset({"load_tests", "setUpModule", "tearDownModule"})


class ArgumentOverwritten(Rule):
    """Argument overwritten before it is read.

    What it does:
        Flags a function parameter whose first mention in the body is an unconditional
        ``name = value`` statement at the top level of the body, where ``value`` does not
        read the parameter.

    Why is this bad?
        Whatever the caller passes is thrown away: the argument is dead. Either the
        assignment was meant for another variable, or the parameter is a leftover that
        misleads every caller.

    Example:
        ```python bad
        def greet(name):
            name = "world"
            return "hello " + name
        ```
        ```python good
        def greet(name):
            name = name.strip() or "world"
            return "hello " + name
        ```

    Fix safety:
        No automatic fix: drop the parameter, or rename the variable. Methods (an override
        must keep its signature), framework hooks (``load_tests``, ``pytest_*``), ``x =
        None`` (dropping a reference), ``*args``/``**kwargs``, names starting with ``_``,
        and functions that call
        ``locals()``/``exec``/``eval`` are skipped; so is an assignment under ``if``,
        ``try`` or a loop, and any parameter mentioned (even in a string) before it.
    """

    code = "KZ123"
    name = "Argument overwritten before use"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.85
    severity = 0.6

    def check(self, ctx: Context) -> Iterable[Finding]:
        m = model(ctx)
        if not m.valid:
            return
        src = ctx.source
        for scope in m.scopes:
            fn = scope.node
            if scope.kind != "function" or scope.dynamic or scope.in_class:
                continue
            body = fn.child_by_field_name("body")
            if body is None or _def_name(ctx, fn).startswith(("pytest_", *_PROTOCOL)):
                continue
            for name, binds in scope.bindings.items():
                if binds[0].kind != "param" or name in _IGNORED or name.startswith("_"):
                    continue
                first = next(word_positions(src, name, body.start_byte, body.end_byte), None)
                if first is None:
                    continue
                assign = _overwrite(ctx, body, first, name)
                if assign is None or noqa(ctx, assign, self.code):
                    continue
                yield Finding(
                    assign.child_by_field_name("left") or assign,
                    f"Argument `{name}` is overwritten before it is ever read",
                    target=assign,
                    evidence={"name": name},
                )


def _overwrite(
    ctx: Context, body: tree_sitter.Node, pos: int, name: str
) -> tree_sitter.Node | None:
    """The overwriting ``name = value`` at ``pos``; not ``x = None`` (a reference dropped on purpose)."""
    assign = overwriting_assignment(ctx, body, pos, name)
    right = assign.child_by_field_name("right") if assign is not None else None
    return None if right is None or right.type == "none" else assign


def _def_name(ctx: Context, fn: tree_sitter.Node) -> str:
    name = fn.child_by_field_name("name")
    return ctx.text(name) if name is not None else ""
