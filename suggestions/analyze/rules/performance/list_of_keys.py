from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._keys import KEYS_CALL, drop_keys, known_dict
from suggestions.model import Applicability


class ListOfKeys(Rule):
    """``list(d.keys())`` instead of ``list(d)``.

    What it does:
        Flags ``d.keys()`` passed as the first argument to ``list``, ``tuple``, ``set``,
        ``frozenset`` or ``sorted``.

    Why is this bad?
        Iterating a mapping already yields its keys; ``.keys()`` adds an attribute lookup,
        a call and a view object for nothing, and is noise to read.

    Example:
        ```python bad
        names = sorted(registry.keys())
        ```
        ```python good
        names = sorted(registry)
        ```

    Fix safety:
        Deletes ``.keys()``. Safe when ``d`` is a local name bound only to a dict display
        or dict constructor; unsafe otherwise, because not every object with ``keys()`` is
        a ``Mapping``: ``sqlite3.Row`` and ``pandas.Series`` iterate their values.
        ``self.keys()`` is skipped, since ``__iter__`` may itself be written with it.
    """

    code = "KZ205"
    name = "Unnecessary .keys() in a constructor"
    category = Category.PERFORMANCE
    applicability = Applicability.UNSAFE
    confidence = 0.85
    severity = 0.2
    query = f"""
    (call function: (identifier) @fn arguments: (argument_list . {KEYS_CALL})
      (#any-of? @fn "list" "tuple" "set" "frozenset" "sorted")) @call
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call, fn, obj, keys = (
            captures["call"][0],
            captures["fn"][0],
            captures["obj"][0],
            captures["keys"][0],
        )
        edit = drop_keys(ctx, obj, keys)
        if edit is None:
            return
        f, o = ctx.text(fn), ctx.text(obj)
        yield Finding(
            call,
            f"`{f}({o}.keys())`: iterate the mapping directly, `{f}({o})`",
            edits=[edit],
            applicability=Applicability.SAFE if known_dict(ctx, obj) else None,
        )
