from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._keys import KEYS_CALL, drop_keys, known_dict
from suggestions.model import Applicability


class InKeys(Rule):
    """``key in d.keys()`` instead of ``key in d``.

    What it does:
        Flags membership tests (``in``/``not in``) against ``d.keys()``.

    Why is this bad?
        ``key in d`` is the mapping's own hash lookup; going through ``.keys()`` builds a
        view first. On Python 2 era code it was even a list scan, and readers still
        wonder.

    Example:
        ```python bad
        if name in settings.keys():
            print(name)
        ```
        ```python good
        if name in settings:
            print(name)
        ```

    Fix safety:
        Deletes ``.keys()``. Safe when ``d`` is a local name bound only to a dict display
        or dict constructor; unsafe otherwise, because not every object with ``keys()`` is
        a ``Mapping``: ``sqlite3.Row`` and ``pandas.Series`` iterate their values.
        ``self.keys()`` is skipped, since ``__iter__`` may itself be written with it.
    """

    code = "KZ207"
    name = "Membership test on .keys()"
    category = Category.PERFORMANCE
    applicability = Applicability.UNSAFE
    confidence = 0.9
    severity = 0.2
    query = f'(comparison_operator operators: ["in" "not in"] . {KEYS_CALL} .) @cmp'

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        cmp, obj, keys = captures["cmp"][0], captures["obj"][0], captures["keys"][0]
        edit = drop_keys(ctx, obj, keys)
        if edit is None:
            return
        yield Finding(
            cmp,
            f"Test membership in `{ctx.text(obj)}` directly instead of `.keys()`",
            edits=[edit],
            applicability=Applicability.SAFE if known_dict(ctx, obj) else None,
        )
