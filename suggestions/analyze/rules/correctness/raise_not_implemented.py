from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.model import Applicability


class RaiseNotImplemented(Rule):
    """``raise NotImplemented`` instead of ``raise NotImplementedError``.

    What it does:
        Flags ``raise NotImplemented`` and ``raise NotImplemented(...)``.

    Why is this bad?
        ``NotImplemented`` is the constant binary operators return, not an exception.
        Raising it fails with ``TypeError: exceptions must derive from BaseException``,
        hiding the intended message.

    Example:
        ```python bad
        def area(self):
            raise NotImplemented
        ```
        ```python good
        def area(self):
            raise NotImplementedError
        ```

    Fix safety:
        Unsafe in the strict sense: the exception type changes from ``TypeError`` to
        ``NotImplementedError``, which a broad ``except TypeError`` elsewhere would no
        longer catch. It is what the code meant.
    """

    code = "KZ112"
    name = "raise NotImplemented"
    category = Category.CORRECTNESS
    applicability = Applicability.UNSAFE
    confidence = 0.98
    severity = 0.6
    query = """
    (raise_statement . [(identifier) @name (call function: (identifier) @name)] (#eq? @name "NotImplemented")) @stmt
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        name = captures["name"][0]
        yield Finding(
            name,
            "`raise NotImplemented` raises TypeError: use NotImplementedError",
            edits=[ctx.replace(name, "NotImplementedError")],
            target=captures["stmt"][0],
        )
