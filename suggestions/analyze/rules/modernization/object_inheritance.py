from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import PrefilteredRule, rebound
from suggestions.model import Applicability, Edit


class ObjectInheritance(PrefilteredRule):
    """Class that explicitly inherits from ``object``.

    What it does:
        Flags ``object`` in a class's bases: ``class A(object):``.

    Why is this bad?
        Every Python 3 class inherits from ``object``; naming it is a Python 2 habit that
        only adds noise.

    Example:
        ```python bad
        class Point(object):
            pass
        ```
        ```python good
        class Point:
            pass
        ```

    Fix safety:
        Safe: the method resolution order is identical. Skipped when the file rebinds
        ``object``.
    """

    code = "KZ506"
    name = "Explicit object base class"
    category = Category.MODERNIZATION
    applicability = Applicability.SAFE
    confidence = 0.95
    severity = 0.05
    prefilters = ((b"object", re.compile(rb"class\s+\w+\s*\([^:]*object")),)
    pattern = """
    (class_definition superclasses: (argument_list (identifier) @base (#eq? @base "object")) @args) @class
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        base, args = captures["base"][0], captures["args"][0]
        if rebound(ctx, "object") or b"#" in ctx.source[args.start_byte : args.end_byte]:
            return
        others = [c for c in args.named_children if c != base]
        if not others:
            edit = Edit(args.start_byte, args.end_byte, "")
        else:
            nxt = base.next_sibling
            if nxt is not None and nxt.type == ",":
                after = nxt.next_sibling
                edit = Edit(
                    base.start_byte,
                    after.start_byte if after is not None and after.type != ")" else nxt.end_byte,
                    "",
                )
            else:
                prev = base.prev_sibling
                if prev is None or prev.type != ",":
                    return
                before = prev.prev_sibling
                edit = Edit(
                    before.end_byte if before is not None else prev.start_byte, base.end_byte, ""
                )
        yield Finding(
            base,
            "Class inherits from `object` explicitly",
            edits=[edit],
            target=captures["class"][0].child_by_field_name("name"),
        )
