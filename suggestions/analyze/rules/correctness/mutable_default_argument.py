from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.model import Applicability


class MutableDefaultArgument(Rule):
    """Mutable default argument.

    What it does:
        Flags parameters whose default is a list, dict or set literal (or a call that
        builds one).

    Why is this bad?
        A default is evaluated once, when the function is defined, so every call that
        relies on it shares and mutates the same object.

    Example:
        ```python bad
        def add(item, items=[]):
            items.append(item)
            return items
        ```
        ```python good
        def add(item, items=None):
            if items is None:
                items = []
            items.append(item)
            return items
        ```

    Fix safety:
        No automatic fix: callers that pass nothing may rely on the shared object.
    """

    code = "KZ101"
    name = "Mutable default argument"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.9
    severity = 0.8
    query = """
    (default_parameter name: (identifier) @name value: [(list) (dictionary) (set)] @value)
    (typed_default_parameter name: (identifier) @name value: [(list) (dictionary) (set)] @value)
    """

    def on_match(self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]) -> Iterable[Finding]:
        name, value = captures["name"][0], captures["value"][0]
        yield Finding(value, f"Mutable default argument `{ctx.text(name)}={ctx.text(value)}`")
