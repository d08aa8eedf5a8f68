from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import in_loop
from suggestions.model import Applicability


class KeyErrorGet(Rule):
    """``try: v = d[k] except KeyError:`` in a loop instead of ``d.get``.

    What it does:
        Flags, inside a loop, a ``try`` whose body is a single ``name = mapping[key]`` and
        whose only handler catches ``KeyError``.

    Why is this bad?
        Raising and catching an exception costs far more than a lookup; in a loop where
        misses are common this dominates. ``d.get(k, default)`` says the same in one line.

    Example:
        ```python bad
        for word in words:
            try:
                n = counts[word]
            except KeyError:
                n = 0
            counts[word] = n + 1
        ```
        ```python good
        for word in words:
            n = counts.get(word, 0)
            counts[word] = n + 1
        ```

    Fix safety:
        When the handler is a single ``name = default`` the fix writes
        ``name = mapping.get(key, default)``. Unsafe: the default is now evaluated on every
        iteration (side effects, cost), a ``defaultdict`` no longer inserts the missing key,
        and a mapping whose ``__getitem__`` differs from ``get`` behaves differently.
        Other handler bodies (``continue``, logging) get advice only.
    """

    code = "KZ209"
    name = "KeyError used for control flow"
    category = Category.PERFORMANCE
    applicability = Applicability.UNSAFE
    confidence = 0.65
    severity = 0.3
    query = """
    (try_statement
      body: (block . (expression_statement (assignment left: (identifier) @name right: (subscript) @sub)) .)
      (except_clause value: (identifier) @exc (#eq? @exc "KeyError") (block) @handler)) @try
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        tr, name, sub, handler = (
            captures["try"][0],
            captures["name"][0],
            captures["sub"][0],
            captures["handler"][0],
        )
        if in_loop(tr) is None:
            return
        clauses = [
            c
            for c in tr.named_children
            if c.type in ("except_clause", "else_clause", "finally_clause", "except_group_clause")
        ]
        if len(clauses) != 1:
            return
        target = ctx.text(name)
        edits = None
        obj = sub.child_by_field_name("value")
        keys = sub.children_by_field_name("subscript")
        stmts = [c for c in handler.named_children]
        if obj is not None and len(keys) == 1 and keys[0].type != "slice" and len(stmts) == 1:
            only = stmts[0]
            assign = (
                only.named_children[0]
                if only.type == "expression_statement" and only.named_child_count == 1
                else None
            )
            if assign is not None and assign.type == "assignment":
                left, right = (
                    assign.child_by_field_name("left"),
                    assign.child_by_field_name("right"),
                )
                if (
                    left is not None
                    and right is not None
                    and ctx.text(left) == target
                    and assign.child_by_field_name("type") is None
                    and right.type not in ("assignment", "yield")
                ):
                    default = ctx.text(right)
                    key_text = ctx.text(keys[0])
                    if keys[0].type in ("tuple", "expression_list") and not key_text.startswith(
                        "("
                    ):
                        key_text = f"({key_text})"
                    args = key_text if default == "None" else f"{key_text}, {default}"
                    new = f"{target} = {ctx.text(obj)}.get({args})"
                    if "\n" not in new and b"#" not in ctx.source[tr.start_byte : tr.end_byte]:
                        edits = [ctx.replace(tr, new)]
        yield Finding(
            tr,
            f"`try`/`except KeyError` around `{ctx.text(sub)}` in a loop: use `.get()`",
            edits=edits,
        )
