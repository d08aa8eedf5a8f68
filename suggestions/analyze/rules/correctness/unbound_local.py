from __future__ import annotations

from collections.abc import Iterable

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import noqa
from suggestions.analyze.rules._scope import Binding, model, node_at
from suggestions.model import Applicability

_LOOPS = ("for_statement", "while_statement")
_STOP = ("function_definition", "lambda", "class_definition", "module")


class UnboundLocal(Rule):
    """Local variable read before it is assigned (``UnboundLocalError``).

    What it does:
        Flags a read of a name in a function that also assigns the name (so Python makes it
        local for the whole function), where the read comes before every assignment in the
        function's text and is not inside a loop that assigns it later, while an outer
        variable, a module name or a builtin of the same name exists: the author meant
        that one.

    Why is this bad?
        The read raises ``UnboundLocalError``: the assignment further down makes the name
        local everywhere in the function, so the global is never seen. The classic case is
        ``count += 1`` on a module counter without ``global count``, or a module name
        reused for a local below its first use.

    Example:
        ```python bad
        count = 0


        def tick():
            count += 1
            return count
        ```
        ```python good
        count = 0


        def tick():
            global count
            count += 1
            return count
        ```

    Fix safety:
        No automatic fix: ``global``/``nonlocal`` or a new local name are both possible
        intents. Only straight-line order is used (no flow analysis): a read inside a loop
        that also assigns the name, a read in a nested function, a read in a ``try`` whose
        handler catches ``NameError``, and functions calling ``locals()``/``exec``/``eval``
        are never flagged.
    """

    code = "KZ121"
    name = "Local variable referenced before assignment"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.9
    severity = 0.85

    def check(self, ctx: Context) -> Iterable[Finding]:
        m = model(ctx)
        if not m.valid:
            return
        for scope in m.scopes:
            if (
                scope.kind != "function"
                or scope.dynamic
                or not scope.bindings
                or scope.parent is None
            ):
                continue
            for name, starts in scope.loads.items():
                binds = scope.bindings.get(name)
                if not binds or name in scope.globals or name in scope.nonlocals:
                    continue
                first = min(binds, key=lambda b: b.at)
                if starts[0] >= first.at or m.resolve(scope.parent, name) is None:
                    continue  # nothing outer either: the undefined-name question, not this one
                for start in starts:
                    if start >= first.at:
                        break
                    node = node_at(ctx, start, name)
                    if node is None or _in_loop_binding(node, binds) or noqa(ctx, node, "F823"):
                        continue
                    line = ctx.source.count(b"\n", 0, first.start) + 1
                    yield Finding(
                        node,
                        f"`{name}` is read before its assignment on line {line} makes it local",
                        evidence={"name": name},
                    )
                    break


def _in_loop_binding(node: object, binds: list[Binding]) -> bool:
    """Whether a loop around the read (same function) assigns the name: a later iteration is fine."""
    parent = getattr(node, "parent", None)
    while parent is not None and parent.type not in _STOP:
        if parent.type in _LOOPS and any(
            parent.start_byte <= b.start < parent.end_byte for b in binds
        ):
            return True
        parent = parent.parent
    return False
