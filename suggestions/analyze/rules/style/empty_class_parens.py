from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import PrefilteredRule
from suggestions.model import Applicability


class EmptyClassParens(PrefilteredRule):
    """Class defined with empty parentheses.

    What it does:
        Flags ``class A():``.

    Why is this bad?
        Empty parentheses list no base class; they are noise that suggests something was
        removed.

    Example:
        ```python bad
        class Empty():
            pass
        ```
        ```python good
        class Empty:
            pass
        ```

    Fix safety:
        Safe: ``class A():`` and ``class A:`` compile to the same class.
    """

    code = "KZ603"
    name = "Empty class parentheses"
    category = Category.STYLE
    applicability = Applicability.SAFE
    confidence = 0.95
    severity = 0.02
    prefilters = ((b"class", re.compile(rb"class\s+\w+\s*\(\s*\)")),)
    pattern = """
    (class_definition name: (identifier) @name superclasses: (argument_list) @args) @class
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        args = captures["args"][0]
        if args.named_child_count or ctx.source[args.start_byte : args.end_byte].strip(b"() \t"):
            return
        yield Finding(
            args,
            f"Empty parentheses after `class {ctx.text(captures['name'][0])}`",
            edits=[ctx.replace(args, "")],
            target=captures["class"][0].child_by_field_name("name"),
        )
