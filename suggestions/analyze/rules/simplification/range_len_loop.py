from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import PrefilteredRule, is_simple_expr
from suggestions.model import Applicability, Edit

# Parents under which ``x[i]`` is written, not read.
_WRITE_PARENTS = frozenset(
    {"assignment", "augmented_assignment", "delete_statement", "pattern_list", "tuple_pattern"}
)


def _descendants(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    cursor = node.walk()
    while True:
        yield cursor.node  # type: ignore[misc]
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent() or cursor.node == node:
                return


def _item_name(ctx: Context, seq: str) -> str | None:
    last = seq.rsplit(".", 1)[-1]
    candidates = (
        [last[:-1]] if len(last) > 2 and last.endswith("s") and not last.endswith("ss") else []
    )
    candidates += ["item", "element", "value"]
    for name in candidates:
        if name.isidentifier() and re.search(rb"\b" + name.encode() + rb"\b", ctx.source) is None:
            return name
    return None


class RangeLenLoop(PrefilteredRule):
    """Loop over ``range(len(x))`` that indexes ``x``.

    What it does:
        Flags ``for i in range(len(x)):`` whose body reads ``x[i]``.

    Why is this bad?
        ``enumerate(x)`` hands over the index and the element together, so the body
        reads the element by name instead of indexing again, and works for any iterable.

    Example:
        ```python bad
        def show(names):
            for i in range(len(names)):
                print(i, names[i])
        ```
        ```python good
        def show(names):
            for i, name in enumerate(names):
                print(i, name)
        ```

    Fix safety:
        Unsafe: ``range(len(x))`` is computed once while ``enumerate`` follows the live
        sequence, so a body that grows or shrinks ``x`` behaves differently, and a mapping
        with integer keys iterates over keys, not values. No fix when the body assigns
        to ``x[i]``, ``x`` or ``i``.
    """

    code = "KZ402"
    name = "Loop over range(len(x))"
    category = Category.SIMPLIFICATION
    applicability = Applicability.UNSAFE
    confidence = 0.8
    severity = 0.2
    prefilters = ((b"range", re.compile(rb"range\s*\(\s*len\s*\(")),)
    pattern = """
    (for_statement
      left: (identifier) @index
      right: (call function: (identifier) @range
        arguments: (argument_list . (call function: (identifier) @len arguments: (argument_list . (_) @seq .)) @lencall .)) @rangecall
      body: (block) @body
      (#eq? @range "range") (#eq? @len "len")) @for
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        loop, index, seq, body = (
            captures["for"][0],
            captures["index"][0],
            captures["seq"][0],
            captures["body"][0],
        )
        rangecall = captures["rangecall"][0]
        if not is_simple_expr(seq):
            return
        i_name, seq_text = ctx.text(index), ctx.text(seq)
        seq_root = seq_text.split(".", 1)[0]
        reads: list[tree_sitter.Node] = []
        fixable = True
        for node in _descendants(body):
            if node.type == "subscript":
                value, sub = (
                    node.child_by_field_name("value"),
                    node.child_by_field_name("subscript"),
                )
                if (
                    value is not None
                    and sub is not None
                    and ctx.text(value) == seq_text
                    and ctx.text(sub) == i_name
                ):
                    if (
                        node.parent is not None
                        and node.parent.type in _WRITE_PARENTS
                        and node.parent.child_by_field_name("right") != node
                    ):
                        fixable = False
                    reads.append(node)
            elif node.type in (
                "assignment",
                "augmented_assignment",
                "for_statement",
                "named_expression",
            ):
                target = node.child_by_field_name("left") or node.child_by_field_name("name")
                if target is not None and re.search(
                    rb"\b("
                    + re.escape(i_name.encode())
                    + rb"|"
                    + re.escape(seq_root.encode())
                    + rb")\b",
                    ctx.source[target.start_byte : target.end_byte],
                ):
                    fixable = False
        if not reads:
            return
        item = _item_name(ctx, seq_text) if fixable else None
        edits: list[Edit] | None = None
        if item is not None:
            edits = [
                ctx.replace(index, f"{i_name}, {item}"),
                ctx.replace(rangecall, f"enumerate({seq_text})"),
            ]
            edits += [ctx.replace(r, item) for r in reads]
        yield Finding(
            loop.child_by_field_name("right") or loop,
            f"`for {i_name} in range(len({seq_text}))`: use `enumerate({seq_text})`",
            edits=edits,
            target=loop,
        )
