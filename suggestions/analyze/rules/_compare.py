"""Shared matching for the comparison rules (``== None``, ``== True``, ``is 1``)."""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter

from suggestions.analyze.framework import Context

__all__ = ["comparisons", "operand_pattern"]


def comparisons(
    ctx: Context, key: str, captures: dict[str, list[tree_sitter.Node]]
) -> Iterator[tuple[tree_sitter.Node, tree_sitter.Node, tree_sitter.Node]]:
    """``(comparison, operator, literal)`` once per operator, however many patterns matched it.

    ``None == None`` matches both the "literal on the right" and the "literal on the left"
    pattern; the per-file ``seen`` set keeps one finding per operator.
    """
    seen: set[int] = ctx.shared(key, lambda _ctx: set())
    op = captures["op"][0]
    if op.start_byte in seen:
        return
    seen.add(op.start_byte)
    yield captures["cmp"][0], op, captures["lit"][0]


def operand_pattern(ops: str, literals: str) -> str:
    """Two query patterns: the literal right after the operator, or right before it."""
    return (
        f"(comparison_operator operators: [{ops}] @op . [{literals}] @lit) @cmp\n"
        f"(comparison_operator [{literals}] @lit . operators: [{ops}] @op) @cmp\n"
    )
