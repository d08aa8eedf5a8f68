from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.model import Applicability, Edit


class RedundantListCall(Rule):
    """Redundant ``list()``/``tuple()`` around or inside ``sorted()`` and friends.

    What it does:
        Flags ``sorted(list(x))``, ``set(list(x))``, ``tuple(list(x))``, ``list(tuple(x))``
        and similar, where the inner call only copies ``x``, and ``list(sorted(x))``, where
        ``sorted`` already returns a new list.

    Why is this bad?
        Each copy walks the data once more and allocates a throwaway sequence; the outer
        call accepts any iterable and builds its own result.

    Example:
        ```python bad
        names = sorted(list(users))
        ```
        ```python good
        names = sorted(users)
        ```

    Fix safety:
        Safe: the outer call consumes the iterable in the same order and returns the same
        value (unless ``list``/``sorted`` were rebound to something else, which the rule
        does not check).
    """

    code = "KZ208"
    name = "Redundant list() copy"
    category = Category.PERFORMANCE
    applicability = Applicability.SAFE
    confidence = 0.9
    severity = 0.2
    query = """
    (call
      function: (identifier) @outer
      arguments: (argument_list . (call function: (identifier) @inner arguments: (argument_list . (_) @arg .)) @copy)
      (#any-of? @outer "sorted" "set" "frozenset" "list" "tuple")
      (#any-of? @inner "list" "tuple")) @call
    (call
      function: (identifier) @outer
      arguments: (argument_list . (call function: (identifier) @inner) @copy .)
      (#eq? @outer "list")
      (#eq? @inner "sorted")) @call
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call, outer, inner = captures["call"][0], captures["outer"][0], captures["inner"][0]
        copy = captures["copy"][0]
        o, i = ctx.text(outer), ctx.text(inner)
        outer_args = call.child_by_field_name("arguments")
        n_outer = outer_args.named_child_count if outer_args is not None else 0
        if i == "sorted":
            # list(sorted(x)) -> sorted(x): here the outer call is the redundant one.
            edits = _unwrap(ctx, call, copy)
            if edits is None:
                return
            yield Finding(
                call, "`list(sorted(...))`: `sorted` already returns a new list", edits=edits
            )
            return
        arg = captures["arg"][0]
        if arg.type in ("list_splat", "dictionary_splat", "keyword_argument", "comment"):
            return
        if o in ("list", "tuple") and n_outer != 1:
            return
        edits = _unwrap(ctx, copy, arg)
        if edits is None:
            return
        yield Finding(
            copy,
            f"`{o}({i}(...))`: the inner `{i}()` copy is redundant",
            edits=edits,
            target=call,
        )


def _unwrap(ctx: Context, outer: tree_sitter.Node, inner: tree_sitter.Node) -> list[Edit] | None:
    """Edits deleting ``f(`` before ``inner`` and ``)`` after it, leaving ``inner`` untouched.

    Two small deletions instead of one replacement, so a fix inside ``inner`` (``.keys()``
    dropped by KZ205, say) never overlaps this one and both can apply together.
    """
    head = ctx.source[outer.start_byte : inner.start_byte]
    tail = ctx.source[inner.end_byte : outer.end_byte]
    if b"#" in head or b"#" in tail:
        return None
    return [Edit(outer.start_byte, inner.start_byte, ""), Edit(inner.end_byte, outer.end_byte, "")]
