from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._exprs import call_args
from suggestions.analyze.rules._pyfix import PrefilteredRule, rebound
from suggestions.model import Applicability

_MUTABLE = frozenset({"list", "dictionary", "set"})
_CONSTRUCTORS = frozenset(
    {"list", "dict", "set", "bytearray", "defaultdict", "Counter", "OrderedDict"}
)


class DictFromkeysMutable(PrefilteredRule):
    """``dict.fromkeys(keys, [])`` with a mutable value.

    What it does:
        Flags ``dict.fromkeys(keys, value)`` (and ``OrderedDict.fromkeys``) whose value
        is a list, dict or set display, ``[x] * n``, or a ``list()``/``dict()``/``set()``...
        call.

    Why is this bad?
        ``fromkeys`` stores the *same* object under every key: appending to one key's
        list appends to all of them. A comprehension creates one object per key.

    Example:
        ```python bad
        def groups(names):
            return dict.fromkeys(names, [])
        ```
        ```python good
        def groups(names):
            return {name: [] for name in names}
        ```

    Fix safety:
        No automatic fix: the comprehension is what is meant in almost every case, but
        code that relies on the sharing would change.
    """

    code = "KZ144"
    name = "dict.fromkeys with a mutable value"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.9
    severity = 0.7
    prefilters = ((b"fromkeys", re.compile(rb"\.fromkeys\s*\(")),)
    pattern = """
    (call function: (attribute object: (identifier) @cls attribute: (identifier) @method)
      arguments: (argument_list) @args
      (#eq? @method "fromkeys") (#match? @cls "^(dict|OrderedDict)$")) @call
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call = captures["call"][0]
        args = call_args(ctx, captures["args"][0])
        cls = ctx.text(captures["cls"][0])
        if len(args.positional) != 2 or (cls == "dict" and rebound(ctx, cls)):
            return
        value = args.positional[1]
        if value.type == "call":
            func = value.child_by_field_name("function")
            name = ctx.text(func) if func is not None else ""
            if name not in _CONSTRUCTORS or rebound(ctx, name):
                return
        elif value.type == "binary_operator":
            left = value.child_by_field_name("left")
            if left is None or left.type != "list":
                return  # `[0] * 3` is a new list; anything else: unknown
        elif value.type not in _MUTABLE:
            return
        yield Finding(
            call,
            f"`fromkeys(..., {ctx.text(value)[:20]})` shares one mutable value between all keys",
            target=call,
        )
