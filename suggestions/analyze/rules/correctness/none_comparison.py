from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import noqa
from suggestions.analyze.rules._compare import comparisons, operand_pattern
from suggestions.model import Applicability


class NoneComparison(Rule):
    """Comparison to ``None`` with ``==`` or ``!=``.

    What it does:
        Flags ``x == None`` and ``x != None`` (either side).

    Why is this bad?
        ``None`` is a singleton; identity is what the test means. ``==`` calls the
        operand's ``__eq__``, which may be overridden (NumPy arrays, ORM columns) and
        return something other than a plain ``bool``, and it is slower than ``is``.

    Example:
        ```python bad
        def empty(value):
            return value == None
        ```
        ```python good
        def empty(value):
            return value is None
        ```

    Fix safety:
        Unsafe: rewrites ``==`` to ``is`` and ``!=`` to ``is not``, which differs for an
        object whose ``__eq__`` is overridden. Some do it on purpose: in SQLAlchemy
        ``User.email == None`` builds ``email IS NULL`` for a query, while
        ``User.email is None`` is plain ``False``; a NumPy array compares element-wise.
        The tests that run the line decide (validation).
    """

    code = "KZ103"
    name = "Comparison to None with =="
    category = Category.CORRECTNESS
    applicability = Applicability.UNSAFE
    confidence = 0.95
    severity = 0.4
    query = operand_pattern('"==" "!="', "(none)")

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        for cmp, op, _lit in comparisons(ctx, "KZ103.seen", captures):
            new = "is" if op.type == "==" else "is not"
            if noqa(ctx, cmp, "E711"):
                continue  # already marked deliberate for flake8/ruff
            yield Finding(
                cmp,
                f"Comparison to None with `{ctx.text(op)}`: use `{new}`",
                edits=[ctx.replace(op, new)],
            )
