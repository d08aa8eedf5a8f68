from __future__ import annotations

from collections.abc import Iterable

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import noqa, overwriting_assignment, word_positions
from suggestions.analyze.rules._scope import model
from suggestions.model import Applicability


class LoopVariableOverwritten(Rule):
    """Loop variable overwritten before it is read.

    What it does:
        Flags ``for name in items:`` whose body, before any mention of ``name``, assigns
        ``name = value`` unconditionally (a direct statement of the body) with a value
        that does not read ``name``, and reads ``name`` afterwards.

    Why is this bad?
        Each item of the loop is thrown away unread: the body works on the new value only,
        so the loop just counts its iterations. Usually the assignment was meant for a
        second variable. Reassigning from the item itself (``line = line.strip()``) is
        fine and is not flagged.

    Example:
        ```python bad
        def show(rows, default):
            for row in rows:
                row = default
                print(row)
        ```
        ```python good
        def show(rows, default):
            for row in rows:
                value = row or default
                print(value)
        ```

    Fix safety:
        No automatic fix: the intended second name is the author's. Only a single-name
        target is checked; ``range(...)`` loops (repetition, the counter often unused),
        names starting with ``_``, conditional assignments and any
        mention of the name (even in a string) before the assignment keep it quiet.
    """

    code = "KZ120"
    name = "Loop variable overwritten"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.85
    severity = 0.6

    def check(self, ctx: Context) -> Iterable[Finding]:
        m = model(ctx)
        if not m.valid:
            return
        src = ctx.source
        for loop in m.loops:
            left = loop.node.child_by_field_name("left")
            body = loop.node.child_by_field_name("body")
            if left is None or body is None or left.type != "identifier" or len(loop.names) != 1:
                continue
            name = ctx.text(left)
            right = loop.node.child_by_field_name("right")
            if name.startswith("_") or right is None or ctx.text(right).startswith("range("):
                continue  # ``for i in range(n)`` repeats n times: the counter is often unused
            first = next(word_positions(src, name, body.start_byte, body.end_byte), None)
            if first is None:
                continue
            assign = overwriting_assignment(ctx, body, first, name)
            if assign is None:
                continue
            if next(word_positions(src, name, assign.end_byte, body.end_byte), None) is None:
                continue  # never read afterwards: an unused variable, not this
            if noqa(ctx, assign, "PLW2901"):
                continue
            yield Finding(
                assign.child_by_field_name("left") or assign,
                f"Loop variable `{name}` is overwritten before it is read",
                target=assign,
                evidence={"name": name},
            )
