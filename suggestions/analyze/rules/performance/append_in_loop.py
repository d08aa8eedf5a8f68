from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import enclosing_scope, word_positions
from suggestions.model import Applicability, Edit

_APPEND = """(expression_statement (call
      function: (attribute object: (identifier) @name attribute: (identifier) @method)
      arguments: (argument_list . (_) @value .))
      (#eq? @method "append"))"""


class AppendInLoop(Rule):
    """List built by ``append`` in a ``for`` loop.

    What it does:
        Flags ``for`` loops whose whole body is ``items.append(value)``, optionally under a
        single ``if``.

    Why is this bad?
        A list comprehension builds the same list without looking up and calling
        ``append`` on every iteration (typically 30-50% faster), and says in one
        expression what the list contains.

    Example:
        ```python bad
        def squares(numbers):
            result = []
            for n in numbers:
                if n > 0:
                    result.append(n * n)
            return result
        ```
        ```python good
        def squares(numbers):
            result = [n * n for n in numbers if n > 0]
            return result
        ```

    Fix safety:
        Offered only when ``items = []`` immediately precedes the loop, the loop has no
        ``else``, no comments, is not ``async``, and neither the loop variable (used after
        the loop) nor the list (used inside the value or condition) would change meaning.
        Unsafe: if an item raises part-way, the list stays empty instead of partly filled
        for code that catches the exception in the same function. Otherwise advice only
        (``extend`` with a generator, or a comprehension).
    """

    code = "KZ212"
    name = "List built with append in a loop"
    category = Category.PERFORMANCE
    applicability = Applicability.UNSAFE
    confidence = 0.7
    severity = 0.3
    query = f"""
    (for_statement body: (block . {_APPEND} @stmt .)) @loop
    (for_statement body: (block . (if_statement condition: (_) @cond consequence: (block . {_APPEND} @stmt .)) @if .)) @loop
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        loop, name_node, value = captures["loop"][0], captures["name"][0], captures["value"][0]
        if "if" in captures:
            branch = captures["if"][0]
            if branch.child_by_field_name("alternative") is not None:
                return
        if value.type in ("list_splat", "dictionary_splat", "keyword_argument"):
            return
        name = ctx.text(name_node)
        cond = captures["cond"][0] if "cond" in captures else None
        edits = _comprehension_fix(ctx, loop, name, value, cond)
        yield Finding(
            captures["stmt"][0],
            f"`{name}` is built with `append` in a loop: use a list comprehension (or `extend`)",
            edits=edits,
            target=loop,
        )


def _comprehension_fix(
    ctx: Context,
    loop: tree_sitter.Node,
    name: str,
    value: tree_sitter.Node,
    cond: tree_sitter.Node | None,
) -> list[Edit] | None:
    src = ctx.source
    init = _empty_list_init(ctx, loop, name)
    if init is None or not _plain_loop(ctx, loop, init):
        return None
    target, iterable = loop.child_by_field_name("left"), loop.child_by_field_name("right")
    if target is None or iterable is None:
        return None
    parts = [value] + ([cond] if cond is not None else [])
    for part in (*parts, iterable):
        text = ctx.text(part)
        if "\n" in text or any(k in text for k in ("yield", "await", ":=")):
            return None
        if any(True for _ in word_positions(src, name, part.start_byte, part.end_byte)):
            return None
    if _used_after(ctx, loop, target):
        return None  # the loop variable is read after the loop; a comprehension hides it
    new = f"{name} = [{_wrapped(ctx, value)} for {ctx.text(target)} in {_wrapped(ctx, iterable)}"
    new += f" if {_wrapped(ctx, cond)}]" if cond is not None else "]"
    return [Edit(init.start_byte, loop.end_byte, new)]


def _wrapped(ctx: Context, node: tree_sitter.Node) -> str:
    """The node's text, in parentheses where a comprehension would read it otherwise."""
    text = ctx.text(node)
    return f"({text})" if node.type in ("conditional_expression", "lambda") else text


def _empty_list_init(ctx: Context, loop: tree_sitter.Node, name: str) -> tree_sitter.Node | None:
    """The ``name = []`` statement right before the loop, or None."""
    init = loop.prev_named_sibling
    if init is None or init.type != "expression_statement" or init.named_child_count != 1:
        return None
    assign = init.named_children[0]
    left, right = assign.child_by_field_name("left"), assign.child_by_field_name("right")
    if assign.type != "assignment" or left is None or right is None or ctx.text(left) != name:
        return None
    if right.type != "list" or right.named_child_count or assign.child_by_field_name("type") is not None:
        return None
    return init


def _plain_loop(ctx: Context, loop: tree_sitter.Node, init: tree_sitter.Node) -> bool:
    """Nothing between the two statements, no else, no comments, not async."""
    src = ctx.source
    if src[init.end_byte : loop.start_byte].strip():
        return False  # a comment or ";" between them
    if any(c.type in ("else_clause", "comment") for c in loop.children) or ctx.text(loop).startswith("async"):
        return False
    return b"#" not in src[loop.start_byte : loop.end_byte]


def _used_after(ctx: Context, loop: tree_sitter.Node, target: tree_sitter.Node) -> bool:
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
