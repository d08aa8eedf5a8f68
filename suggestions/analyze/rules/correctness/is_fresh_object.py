from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._compare import comparisons, operand_pattern
from suggestions.analyze.rules._pyfix import rebound
from suggestions.model import Applicability

# Calls that always build a new object (tuple() and frozenset() may return a shared one).
_CONSTRUCTORS = frozenset({"list", "dict", "set", "object", "bytearray"})
_FRESH = frozenset(
    {
        "list",
        "dictionary",
        "set",
        "list_comprehension",
        "dictionary_comprehension",
        "set_comprehension",
        "lambda",
        "call",
        "tuple",
        "string",
        "integer",
    }
)


class IsFreshObject(Rule):
    """Identity comparison (``is``) with an object created on the spot.

    What it does:
        Flags ``x is []``, ``x is not {}``, ``x is dict()``, ``x is lambda: 0`` and ``is``
        against comprehensions and ``list()``/``dict()``/``set()``/``object()``/
        ``bytearray()`` calls (when the file does not rebind those names). String,
        number and tuple literals are KZ105's. Two new objects compared with each other
        (``[] is not []``, a test of identity itself) are left alone.

    Why is this bad?
        The right side is a brand-new object, so no existing value can be identical to
        it: ``is`` is always false (``is not`` always true), whatever ``x`` holds. The
        author meant ``==`` (or ``not x`` for emptiness).

    Example:
        ```python bad
        def empty(items):
            return items is []
        ```
        ```python good
        def empty(items):
            return items == []
        ```

    Fix safety:
        The fix writes ``==`` / ``!=``. It is unsafe: the condition changes from
        constant to a real test, which is the point, but the code it guards now runs.
    """

    code = "KZ133"
    name = "`is` comparison with a new object"
    category = Category.CORRECTNESS
    applicability = Applicability.UNSAFE
    confidence = 0.95
    severity = 0.8
    query = operand_pattern(
        '"is" "is not"',
        "(list) (dictionary) (set) (list_comprehension) (dictionary_comprehension)"
        " (set_comprehension) (lambda) (call function: (identifier))",
    )

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        for cmp, op, lit in comparisons(ctx, "KZ133.seen", captures):
            operands = [c for c in cmp.named_children if c.type != "comment"]
            if len(operands) != 2 or all(o.type in _FRESH for o in operands):
                continue  # `[] is not []`: a test of identity itself
            what = ctx.text(lit)
            if lit.type == "call":
                func = lit.child_by_field_name("function")
                name = ctx.text(func) if func is not None else ""
                if name not in _CONSTRUCTORS or rebound(ctx, name):
                    continue
                what = f"{name}()"
            new = "==" if op.type == "is" else "!="
            shown = what if len(what) <= 30 else what[:27] + "..."
            always = "false" if op.type == "is" else "true"
            yield Finding(
                cmp,
                f"`{ctx.text(op)} {shown}` compares with a new object: always {always}; use `{new}`",
                edits=[ctx.replace(op, new)],
            )
