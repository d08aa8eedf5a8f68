from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import PrefilteredRule, rebound
from suggestions.model import Applicability


class SetLiteral(PrefilteredRule):
    """``set()`` called on a list or tuple display.

    What it does:
        Flags ``set([a, b])``, ``set((a, b))`` and ``set([x for x in y if p])``.

    Why is this bad?
        The set display ``{a, b}`` and the set comprehension ``{x for x in y if p}`` build
        the set directly, without a throw-away list and a global lookup.

    Example:
        ```python bad
        def vowels():
            return set(["a", "e", "i", "o", "u"])
        ```
        ```python good
        def vowels():
            return {"a", "e", "i", "o", "u"}
        ```

    Fix safety:
        Safe: elements are evaluated in the same order and hashed into the same set; an
        empty display becomes ``set()``. No fix when the file rebinds ``set``.
    """

    code = "KZ410"
    name = "set() of a literal"
    category = Category.SIMPLIFICATION
    applicability = Applicability.SAFE
    confidence = 0.95
    severity = 0.1
    prefilters = ((b"set", re.compile(rb"set\s*\(\s*[\[(]")),)
    pattern = """
    (call function: (identifier) @fn arguments: (argument_list . [(list) (tuple) (list_comprehension)] @arg .)
      (#eq? @fn "set")) @call
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call, arg = captures["call"][0], captures["arg"][0]
        if rebound(ctx, "set"):
            return
        inner = ctx.source[arg.start_byte + 1 : arg.end_byte - 1].decode("utf-8", "replace")
        args = call.child_by_field_name("arguments")
        if args is None or args.end_byte - arg.end_byte > 1 or arg.start_byte - args.start_byte > 1:
            return  # trailing comma or comments around the argument
        if not arg.named_child_count:
            new = "set()"
        elif "#" in inner and "\n" in inner:
            return  # a comment inside: keep the user's layout untouched
        else:
            if arg.type == "tuple" and arg.named_child_count == 1 and "\n" not in inner:
                inner = inner.rstrip().removesuffix(",")  # `set((a,))` is `{a}`, not `{a,}`
            new = "{" + inner + "}"
        yield Finding(
            call,
            f"`set()` of a {arg.type.replace('_', ' ')}: use `{new if len(new) < 40 else '{...}'}`",
            edits=[ctx.replace(call, new)],
        )
