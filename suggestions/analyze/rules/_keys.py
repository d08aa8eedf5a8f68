"""Shared bits of the ``.keys()`` rules (KZ205-KZ207)."""

from __future__ import annotations

import tree_sitter

from suggestions.analyze.framework import Context
from suggestions.analyze.rules._common import enclosing_scope, simple_bindings
from suggestions.model import Edit

__all__ = ["KEYS_CALL", "drop_keys", "known_dict"]

# ``<obj>.keys()``; @obj is the mapping, @keys the whole call. A query cannot say "no
# arguments", so :func:`drop_keys` checks that.
KEYS_CALL = (
    "(call function: (attribute object: (_) @obj attribute: (identifier) @attr) arguments: (argument_list) @args"
    ' (#eq? @attr "keys")) @keys'
)


def drop_keys(ctx: Context, obj: tree_sitter.Node, keys: tree_sitter.Node) -> Edit | None:
    """Delete ``.keys()`` after ``obj``; None for ``self``/``super()``/``cls`` or arguments.

    Inside a class, ``self.keys()`` may be how ``__iter__`` itself is written, so
    iterating ``self`` instead could recurse forever.
    """
    args = keys.child_by_field_name("arguments")
    if args is None or args.named_child_count:
        return None
    text = ctx.text(obj)
    if text in ("self", "cls") or text.startswith("super("):
        return None
    if b"#" in ctx.source[obj.end_byte : keys.end_byte]:
        return None
    return Edit(obj.end_byte, keys.end_byte, "")


_DICT_HEADS = (b"{", b"dict(", b"defaultdict(", b"OrderedDict(", b"Counter(", b"collections.")


def known_dict(ctx: Context, obj: tree_sitter.Node) -> bool:
    """True when ``obj`` is a name only ever bound to a dict display or dict constructor.

    Then iterating it is provably key iteration. Other objects with a ``keys()`` method
    differ: ``sqlite3.Row`` and ``pandas.Series`` iterate their values.
    """
    if obj.type != "identifier":
        return False
    scope = enclosing_scope(obj)
    if scope is None:
        return False
    binds = simple_bindings(ctx, scope, ctx.text(obj))
    return bool(binds) and all(head.startswith(_DICT_HEADS) for _, head in binds)
