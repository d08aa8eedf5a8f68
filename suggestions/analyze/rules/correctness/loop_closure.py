from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import noqa, word_positions
from suggestions.analyze.rules._scope import Loop, Model, Scope, model
from suggestions.model import Applicability, Edit

# Calls that keep a callable for later: collections, registries, event loops, GUI toolkits.
_KEEPING_METHODS = frozenset(
    {
        "append",
        "appendleft",
        "add",
        "insert",
        "extend",
        "setdefault",
        "put",
        "put_nowait",
        "register",
        "connect",
        "bind",
        "subscribe",
        "add_callback",
        "add_done_callback",
        "addCallback",
        "addCallbacks",
        "addErrback",
        "call_soon",
        "call_soon_threadsafe",
        "call_later",
        "call_at",
        "after",
        "after_idle",
        "submit",
        "add_handler",
        "add_listener",
        "on",
    }
)
# Keyword arguments that hand over a callback run later.
_CALLBACK_KEYWORDS = frozenset({"command", "callback", "target", "handler", "on_click"})
_PASS_THROUGH = frozenset(
    {
        "parenthesized_expression",
        "tuple",
        "list",
        "set",
        "dictionary",
        "pair",
        "expression_list",
        "argument_list",
    }
)
_STORING = frozenset({"list_comprehension", "set_comprehension", "dictionary_comprehension"})


class LoopClosure(Rule):
    """Function created in a loop reads the loop variable late.

    What it does:
        Flags a ``lambda`` or ``def`` created inside a loop (or list/set/dict
        comprehension) that reads the loop's variable and outlives the iteration: it is
        collected by the comprehension, appended or added to a collection, stored in an
        attribute or item, yielded, or handed to a call that keeps callbacks
        (``connect``, ``register``, ``call_later``, ``command=``, ``target=``...).

    Why is this bad?
        A closure reads the variable when it runs, not when it is created: every function
        made by the loop sees the last value. ``[lambda: i for i in range(3)]`` gives three
        functions that all return 2.

    Example:
        ```python bad
        def handlers(names):
            return [lambda: print(name) for name in names]
        ```
        ```python good
        def handlers(names):
            return [lambda name=name: print(name) for name in names]
        ```

    Fix safety:
        The fix binds the current value as a default argument (``lambda name=name:``),
        which is unsafe: it changes the function's signature (a caller passing a
        positional argument now overrides it). No fix when the parameters end in
        ``*args``/``**kwargs`` or use separators. Generator expressions (consumed as they go) and
        functions called right away are not flagged.
    """

    code = "KZ119"
    name = "Late-binding closure over a loop variable"
    category = Category.CORRECTNESS
    applicability = Applicability.UNSAFE
    confidence = 0.85
    severity = 0.8

    def check(self, ctx: Context) -> Iterable[Finding]:
        m = model(ctx)
        if not m.valid or (b"lambda" not in ctx.source and b"def " not in ctx.source):
            return
        for scope in m.scopes:
            if not scope.loops or scope.kind not in ("lambda", "function"):
                continue
            captured = _captured(m, scope)
            if not captured:
                continue
            loop = captured[0][0]
            names = sorted({name for _, name in captured})
            if not _escapes(ctx, scope, loop):
                continue
            if noqa(ctx, scope.node, "B023"):
                continue
            what = (
                "lambda" if scope.kind == "lambda" else f"function `{_def_name(ctx, scope.node)}`"
            )
            shown = ", ".join(f"`{n}`" for n in names)
            yield Finding(
                scope.node,
                f"The {what} reads loop variable {shown} when called, not when created",
                edits=_bind_defaults(ctx, scope.node, names),
                end=_head_end(scope.node),
                evidence={"names": names},
            )


def _captured(m: Model, scope: Scope) -> list[tuple[Loop, str]]:
    out: list[tuple[Loop, str]] = []
    for name in scope.loads:
        owner = m.resolve(scope, name)
        if owner is None or owner is scope:
            continue
        for loop in reversed(scope.loops):
            if loop.scope is owner and name in loop.names:
                out.append((loop, name))
                break
    return out


def _def_name(ctx: Context, node: tree_sitter.Node) -> str:
    name = node.child_by_field_name("name")
    return ctx.text(name) if name is not None else "?"


def _head_end(node: tree_sitter.Node) -> tree_sitter.Node | None:
    params = node.child_by_field_name("parameters")
    return params


def _escapes(ctx: Context, scope: Scope, loop: Loop) -> bool:
    node = scope.node
    if scope.kind == "lambda":
        return _kept(node, loop)
    # A def: its name, used in the loop body after it, must be kept.
    name = _def_name(ctx, node)
    holder = (
        node.parent
        if node.parent is not None and node.parent.type == "decorated_definition"
        else node
    )
    body_end = loop.node.end_byte
    for pos in word_positions(ctx.source, name, holder.end_byte, body_end):
        use = ctx.root.descendant_for_byte_range(pos, pos + len(name.encode()))
        if use is not None and use.type == "identifier" and _kept(use, loop):
            return True
    return False


def _kept(node: tree_sitter.Node, loop: Loop) -> bool:
    """Whether the value of ``node`` outlives the loop iteration it is created in."""
    child, parent = node, node.parent
    while parent is not None and parent != loop.node:
        t = parent.type
        if t in _PASS_THROUGH:
            child, parent = parent, parent.parent
            continue
        if t == "keyword_argument":
            key = parent.child_by_field_name("name")
            if key is not None and key.text is not None and key.text.decode() in _CALLBACK_KEYWORDS:
                return True
            child, parent = parent, parent.parent
            continue
        if t == "call":
            if child == parent.child_by_field_name("function"):
                return False  # called right away
            fn = parent.child_by_field_name("function")
            if fn is not None and fn.type == "attribute":
                attr = fn.child_by_field_name("attribute")
                return (
                    attr is not None
                    and attr.text is not None
                    and attr.text.decode() in _KEEPING_METHODS
                )
            return False
        if t == "assignment":
            left = parent.child_by_field_name("left")
            return child != left and left is not None and left.type in ("subscript", "attribute")
        if t in ("yield", "return_statement"):
            return t == "yield"
        return False
    # Reached the loop: in a comprehension, the element is what it collects.
    return (
        parent is not None
        and parent.type in _STORING
        and child == parent.child_by_field_name("body")
    )


def _bind_defaults(ctx: Context, node: tree_sitter.Node, names: list[str]) -> list[Edit] | None:
    params = node.child_by_field_name("parameters")
    extra = ", ".join(f"{n}={n}" for n in names)
    if params is None:
        if node.type != "lambda":
            return None
        keyword = node.children[0]
        return [Edit(keyword.end_byte, keyword.end_byte, f" {extra}")]
    kinds = {c.type for c in params.named_children}
    if kinds & {
        "list_splat_pattern",
        "dictionary_splat_pattern",
        "keyword_separator",
        "positional_separator",
    }:
        return None
    existing = {ctx.text(c.child_by_field_name("name") or c) for c in params.named_children}
    if existing & set(names):
        return None
    if node.type == "lambda":
        return [Edit(params.end_byte, params.end_byte, f", {extra}")]
    close = params.end_byte - 1  # before ")"
    sep = ", " if params.named_child_count else ""
    return [Edit(close, close, f"{sep}{extra}")]
