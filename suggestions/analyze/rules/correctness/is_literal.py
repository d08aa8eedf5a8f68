from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import noqa
from suggestions.analyze.rules._compare import comparisons, operand_pattern
from suggestions.model import Applicability


class IsLiteral(Rule):
    """Identity comparison (``is``) with a literal.

    What it does:
        Flags ``x is "text"``, ``x is not 1``, ``x is ()`` and other ``is`` tests against
        a str, bytes, number or tuple literal.

    Why is this bad?
        Whether two equal literals are the same object is an implementation detail
        (interning, small-int caching) and differs between Python versions and runs.
        CPython itself warns: ``SyntaxWarning: "is" with a literal``.

    Example:
        ```python bad
        if mode is "fast":
            run()
        ```
        ```python good
        if mode == "fast":
            run()
        ```

    Fix safety:
        The fix writes ``==`` / ``!=``. It is marked unsafe because the result can change
        where the identity test happened to be false for an equal value, and an operand
        with a custom ``__eq__`` (an array) may now return a non-bool. In practice ``==``
        is what the author meant.
    """

    code = "KZ105"
    name = "`is` comparison with a literal"
    category = Category.CORRECTNESS
    applicability = Applicability.UNSAFE
    confidence = 0.95
    severity = 0.7
    query = operand_pattern(
        '"is" "is not"', "(string) (integer) (float) (tuple) (concatenated_string) (unary_operator)"
    )

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        for cmp, op, lit in comparisons(ctx, "KZ105.seen", captures):
            if lit.type == "unary_operator":
                arg = lit.child_by_field_name("argument")
                if arg is None or arg.type not in ("integer", "float"):
                    continue
            new = "==" if op.type == "is" else "!="
            if noqa(ctx, cmp, "F632"):
                continue  # already marked deliberate for flake8/ruff
            yield Finding(
                cmp,
                f"`{ctx.text(op)}` with a literal: identity of literals is not guaranteed; use `{new}`",
                edits=[ctx.replace(op, new)],
            )
