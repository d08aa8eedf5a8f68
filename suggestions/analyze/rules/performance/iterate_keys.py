from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._keys import KEYS_CALL, drop_keys, known_dict
from suggestions.model import Applicability


class IterateKeys(Rule):
    """``for k in d.keys()`` instead of ``for k in d``.

    What it does:
        Flags ``for`` statements and comprehensions that iterate ``d.keys()``.

    Why is this bad?
        A mapping iterates over its keys; ``.keys()`` builds a view and costs a lookup and
        a call for nothing.

    Example:
        ```python bad
        for name in settings.keys():
            print(name)
        ```
        ```python good
        for name in settings:
            print(name)
        ```

    Fix safety:
        Deletes ``.keys()``. Safe when ``d`` is a local name bound only to a dict display
        or dict constructor; unsafe otherwise, because not every object with ``keys()`` is
        a ``Mapping``: ``sqlite3.Row`` and ``pandas.Series`` iterate their values.
        ``self.keys()`` is skipped, since ``__iter__`` may itself be written with it.
    """

    code = "KZ206"
    name = "Iteration over .keys()"
    category = Category.PERFORMANCE
    applicability = Applicability.UNSAFE
    confidence = 0.9
    severity = 0.2
    query = f"""
    (for_statement right: {KEYS_CALL}) @loop
    (for_in_clause right: {KEYS_CALL}) @loop
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        obj, keys = captures["obj"][0], captures["keys"][0]
        edit = drop_keys(ctx, obj, keys)
        if edit is None:
            return
        yield Finding(
            keys,
            f"Iterate `{ctx.text(obj)}` directly instead of `.keys()`",
            edits=[edit],
            applicability=Applicability.SAFE if known_dict(ctx, obj) else None,
        )
