from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import enclosing_scope, word_positions
from suggestions.model import Applicability, Edit

_STRINGY = ("string", "concatenated_string")


class StringConcatInLoop(Rule):
    """String built with ``+=`` in a loop.

    What it does:
        Flags ``s += ...`` directly in the body of a ``for``/``while`` loop when ``s`` was
        set to a string literal just before the loop.

    Why is this bad?
        Strings are immutable: each ``+=`` may copy everything built so far, so the loop
        is quadratic in the worst case (CPython's in-place trick only helps when nothing
        else references the string, and never on PyPy). ``"".join(...)`` is linear and
        states the intent.

    Example:
        ```python bad
        def render(rows):
            out = ""
            for row in rows:
                out += str(row)
            return out
        ```
        ```python good
        def render(rows):
            out = "".join(str(row) for row in rows)
            return out
        ```

    Fix safety:
        A fix is offered only for the exact shape ``s = ""`` immediately followed by a
        ``for`` loop (no ``else``, no comments) whose only statement is ``s += expr``,
        where neither ``s`` nor the loop variable is used by ``expr`` or after the loop
        respectively. It is unsafe: an exception part-way leaves ``s`` empty instead of
        partly built, and a non-``str`` item fails with a different message.
    """

    code = "KZ203"
    name = "String concatenation in a loop"
    category = Category.PERFORMANCE
    applicability = Applicability.UNSAFE
    confidence = 0.7
    severity = 0.4
    query = """
    (for_statement body: (block (expression_statement (augmented_assignment left: (identifier) @name operator: "+=" right: (_) @value) @aug))) @loop
    (while_statement body: (block (expression_statement (augmented_assignment left: (identifier) @name operator: "+=" right: (_) @value) @aug))) @loop
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        loop, aug, name_node, value = (
            captures["loop"][0],
            captures["aug"][0],
            captures["name"][0],
            captures["value"][0],
        )
        name = ctx.text(name_node)
        init = _initializer(ctx, loop, name)
        if init is None:
            return
        yield Finding(
            aug,
            f"String `{name}` built with `+=` in a loop: collect the parts and `''.join` them",
            edits=_join_fix(ctx, loop, aug, init, name, value),
        )


def _initializer(ctx: Context, loop: tree_sitter.Node, name: str) -> tree_sitter.Node | None:
    """The statement ``name = "<string>"`` that most recently precedes ``loop`` in its block."""
    sib = loop.prev_named_sibling
    while sib is not None:
        if sib.type == "expression_statement" and sib.named_child_count == 1:
            assign = sib.named_children[0]
            if assign.type == "assignment":
                left, right = (
                    assign.child_by_field_name("left"),
                    assign.child_by_field_name("right"),
                )
                if left is not None and left.type == "identifier" and ctx.text(left) == name:
                    if (
                        right is not None
                        and right.type in _STRINGY
                        and not any(c.type == "interpolation" for c in right.children)
                    ):
                        return sib
                    return None
        if sib.type != "comment" and any(
            True for _ in word_positions(ctx.source, name, sib.start_byte, sib.end_byte)
        ):
            return None  # touched in between: cannot tell what it holds
        sib = sib.prev_named_sibling
    return None


def _join_fix(
    ctx: Context,
    loop: tree_sitter.Node,
    aug: tree_sitter.Node,
    init: tree_sitter.Node,
    name: str,
    value: tree_sitter.Node,
) -> list[Edit] | None:
    if not _plain_loop(ctx, loop, aug, init):
        return None
    src = ctx.source
    right = init.named_children[0].child_by_field_name("right")
    target, iterable = loop.child_by_field_name("left"), loop.child_by_field_name("right")
    if right is None or target is None or iterable is None or ctx.text(right) not in ('""', "''"):
        return None
    expr = ctx.text(value)
    if any(True for _ in word_positions(src, name, value.start_byte, value.end_byte)):
        return None
    if any(k in expr for k in ("yield", "await", ":=", "lambda")) or "\n" in expr:
        return None
    if _used_after(ctx, loop, target):
        return None
    if value.type in ("conditional_expression",):
        expr = f"({expr})"
    iter_text = ctx.text(iterable)
    if iterable.type in ("conditional_expression", "lambda"):
        iter_text = f"({iter_text})"
    new = f"{name} = {ctx.text(right)}.join({expr} for {ctx.text(target)} in {iter_text})"
    return [Edit(init.start_byte, loop.end_byte, new)]


def _plain_loop(ctx: Context, loop: tree_sitter.Node, aug: tree_sitter.Node, init: tree_sitter.Node) -> bool:
    """A ``for`` right after the initialisation, whose body is the ``+=`` alone (no else, no comments)."""
    src = ctx.source
    if loop.type != "for_statement" or init.next_named_sibling != loop:
        return False
    if (
        any(c.type in ("else_clause", "comment") for c in loop.children)
        or src[loop.start_byte : loop.start_byte + 5] == b"async"
    ):
        return False
    body = loop.child_by_field_name("body")
    if body is None or body.named_child_count != 1 or body.named_children[0] != aug.parent:
        return False
    return b"#" not in src[loop.start_byte : loop.end_byte]


def _used_after(ctx: Context, loop: tree_sitter.Node, target: tree_sitter.Node) -> bool:
    """The loop variable leaks after a ``for``, not after a generator: is it used later?"""
    scope = enclosing_scope(loop)
    scope_end = scope.end_byte if scope is not None else len(ctx.source)
    return any(
        any(True for _ in word_positions(ctx.source, var, loop.end_byte, scope_end))
        for var in {ctx.text(n) for n in _identifiers(target)}
    )


def _identifiers(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    if node.type == "identifier":
        return [node]
    return [n for c in node.named_children for n in _identifiers(c)]
