from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import (
    delete_statement,
    enclosing_scope,
    is_simple_literal,
    noqa,
    word_positions,
)
from suggestions.model import Applicability, Edit

# Candidate plain assignments at the start of a line: ``name = ...`` (not ``==``). The
# leading newline is a literal the regex engine can skip to (``^`` with re.M is not), and
# a function body never starts on the file's first line.
_ASSIGN = re.compile(rb"\n[ \t]*([A-Za-z]\w*)[ \t]*=(?!=)")
# Any of these lets code read locals by name, so no local is provably unused.
_CALL_PAREN = re.compile(rb"\s*\(")

# Names people use for values they mean to ignore.
_DELIBERATE = frozenset({"dummy", "unused", "ignored", "junk", "ignore"})


class UnusedVariable(Rule):
    """Local variable assigned but never used.

    What it does:
        Flags a plain ``name = value`` inside a function when ``name`` appears nowhere
        else in that function (no read, no ``global``/``nonlocal``, no nested function,
        no string or f-string mentioning it).

    Why is this bad?
        The assignment does nothing: it is dead code, or (more often) the sign of a typo
        or of a value the author forgot to use or return.

    Example:
        ```python bad
        def total(prices):
            count = len(prices)
            return sum(prices)
        ```
        ```python good
        def total(prices):
            return sum(prices)
        ```

    Fix safety:
        When the value is a constant or a plain name, the fix deletes the statement: safe.
        An attribute or subscript read without calls is deleted too, unsafely (a property
        may have effects). Otherwise the fix keeps the expression and drops only
        ``name =``, which is unsafe: the
        value is released right away instead of at function exit (a lock, a temporary
        directory or a ``with``-less file would now be closed early). Names starting with
        ``_`` or called ``dummy``/``unused``/``ignored``, tuple targets, annotated and augmented assignments, and functions that call
        ``locals()``/``vars()``/``exec``/``eval`` are skipped.
    """

    code = "KZ109"
    name = "Unused local variable"
    category = Category.CORRECTNESS
    applicability = Applicability.UNSAFE
    confidence = 0.85
    severity = 0.4
    query = "(function_definition body: (block) @body) @fn"

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        fn, body = captures["fn"][0], captures["body"][0]
        src = ctx.source
        # Every line-start assignment of the file, found in one regex pass (shared by all
        # functions; nested ones would otherwise be rescanned by each enclosing function).
        positions, names = ctx.shared("KZ109.assignments", _assignments)
        lo = bisect.bisect_left(positions, src.rfind(b"\n", 0, body.start_byte) + 1)
        hi = bisect.bisect_left(positions, body.end_byte)
        if lo == hi:
            return
        candidates: dict[str, list[int]] = {}
        for i in range(lo, hi):
            candidates.setdefault(names[i], []).append(positions[i])
        dynamic: list[int] = ctx.shared("KZ109.dynamic", _dynamic_positions)
        if dynamic and bisect.bisect_left(dynamic, fn.start_byte) < bisect.bisect_left(
            dynamic, fn.end_byte
        ):
            return
        for name, stores in candidates.items():
            if name in _DELIBERATE:
                continue
            store_set = set(stores)
            if any(
                p not in store_set for p in word_positions(src, name, fn.start_byte, fn.end_byte)
            ):
                continue
            found = [_assignment(ctx, fn, pos, name) for pos in stores]
            if not all(found):
                continue  # a store we cannot confirm (another scope, odd syntax): stay quiet
            for i, (left, assign) in enumerate(f for f in found if f is not None):
                right = assign.child_by_field_name("right")
                if i and right is not None and right.type == "none":
                    continue  # ``x = None`` after a first store: dropping a reference on purpose
                if noqa(ctx, assign, "F841"):
                    continue  # already marked deliberate for flake8/ruff
                yield self._finding(ctx, name, left, assign)

    def _finding(
        self, ctx: Context, name: str, left: tree_sitter.Node, assign: tree_sitter.Node
    ) -> Finding:
        right = assign.child_by_field_name("right")
        edits: list[Edit] | None = None
        applicability = None
        if right is not None and right.type not in ("assignment", "yield"):
            stmt = assign.parent
            if is_simple_literal(right) or right.type == "identifier":
                edit = delete_statement(ctx, stmt) if stmt is not None else None
                edits = [edit] if edit is not None else None
                applicability = Applicability.SAFE
            elif b"(" not in ctx.source[right.start_byte : right.end_byte]:
                # No call: an attribute or subscript read. Drop the line (still unsafe: a
                # property or __getitem__ may have effects).
                edit = delete_statement(ctx, stmt) if stmt is not None else None
                edits = [edit] if edit is not None else None
            else:
                edits = [Edit(left.start_byte, right.start_byte, "")]
        return Finding(
            left,
            f"Local variable `{name}` is assigned but never used",
            edits=edits,
            target=assign,
            applicability=applicability,
        )


def _assignments(ctx: Context) -> tuple[list[int], list[str]]:
    """Start offsets and names of every ``name = ...`` at the start of a line, in order."""
    positions: list[int] = []
    names: list[str] = []
    for m in _ASSIGN.finditer(ctx.source):
        positions.append(m.start(1))
        names.append(m.group(1).decode())
    return positions, names


def _dynamic_positions(ctx: Context) -> list[int]:
    # One scan per file (bytes.find, no regex look-arounds); most files have none, and
    # then no function pays anything.
    src = ctx.source
    found: list[int] = []
    for word in ("locals", "vars", "exec", "eval"):
        found.extend(p for p in word_positions(src, word) if _CALL_PAREN.match(src, p + len(word)))
    pos = src.find(b"._getframe")  # sys._getframe(): an attribute, so find it directly
    while pos >= 0:
        found.append(pos)
        pos = src.find(b"._getframe", pos + 1)
    return sorted(found)


def _assignment(
    ctx: Context, fn: tree_sitter.Node, pos: int, name: str
) -> tuple[tree_sitter.Node, tree_sitter.Node] | None:
    """``(identifier, assignment)`` when ``pos`` is a plain statement ``name = value`` of ``fn``."""
    node = ctx.root.descendant_for_byte_range(pos, pos + len(name.encode()))
    if node is None or node.type != "identifier":
        return None
    assign = node.parent
    if assign is None or assign.type != "assignment" or assign.child_by_field_name("left") != node:
        return None
    if assign.child_by_field_name("type") is not None:
        return None
    stmt = assign.parent
    if stmt is None or stmt.type != "expression_statement" or stmt.named_child_count != 1:
        return None
    if enclosing_scope(stmt) != fn:
        return None
    return node, assign
