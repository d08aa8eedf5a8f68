from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._exprs import dotted, in_test_file
from suggestions.analyze.rules._pyfix import PrefilteredRule
from suggestions.model import Applicability

# list methods that change the list in place and return None, and random.shuffle.
_IN_PLACE = frozenset({"sort", "reverse", "append", "extend"})


class NoneMethodResult(PrefilteredRule):
    """The result of an in-place method (``.sort()``, ``.append()``...) assigned or returned.

    What it does:
        Flags ``x = items.sort()``, ``y = items.append(v)``, ``.reverse()``, ``.extend()``
        and ``random.shuffle(items)`` used as the value of an assignment to a name or an
        attribute, or of a ``return``. Unpacking assignments (``typ, data = imap.append(...)``:
        a method of that name that returns a tuple) and test modules (which check that
        these return None) are left alone, and so are ``self.append(...)`` / ``cls`` /
        ``super()`` receivers (a class's own method of that name: pyparsing's ``append``
        returns ``self``).

    Why is this bad?
        These methods change the list in place and return ``None``: the variable gets
        ``None`` and the sorted (or extended) list is only in the original. ``sorted()``,
        ``reversed()`` or ``items + [v]`` return a new list.

    Example:
        ```python bad
        def ranked(scores):
            best = scores.sort(reverse=True)
            return best
        ```
        ```python good
        def ranked(scores):
            best = sorted(scores, reverse=True)
            return best
        ```

    Fix safety:
        No automatic fix: whether a copy or the in-place change was meant needs the
        author.
    """

    code = "KZ134"
    name = "In-place method result used"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.85
    severity = 0.7
    prefilters = ((b".", re.compile(rb"\.(?:sort|reverse|append|extend|shuffle)\(")),)

    def accept(self, ctx: Context, start: int, end: int) -> bool:
        # Only where a value is taken: an assignment or a `return` on the line before.
        src = ctx.source
        before = src[src.rfind(b"\n", 0, start) + 1 : start]
        return b"=" in before or b"return" in before

    pattern = """
    (assignment right: (call function: (attribute attribute: (identifier) @method) @func) @call)
    (return_statement (call function: (attribute attribute: (identifier) @method) @func) @call)
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call, func, method = captures["call"][0], captures["func"][0], captures["method"][0]
        name = ctx.text(method)
        parent = call.parent
        if parent is not None and parent.type == "assignment":
            left = parent.child_by_field_name("left")
            if left is None or left.type not in ("identifier", "attribute"):
                return  # `typ, data = client.append(...)`: that method returns a tuple
        if in_test_file(ctx):
            return  # tests check that these return None
        if name == "shuffle":
            if dotted(ctx, func) != "random.shuffle":
                return
        elif name not in _IN_PLACE:
            return
        receiver = func.child_by_field_name("object")
        if receiver is not None and ctx.text(receiver).split("(", 1)[0] in ("self", "cls", "super"):
            return  # a class's own `append` (pyparsing's returns self): not list.append
        yield Finding(
            call, f"`{ctx.text(func)}()` changes its list in place and returns None", target=call
        )
