from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import noqa
from suggestions.model import Applicability

# Tests a builtin type name directly (``type(x) == int``); other classes get advice only.
_BUILTIN_TYPES = frozenset(
    [
        "int",
        "float",
        "complex",
        "str",
        "bytes",
        "bytearray",
        "bool",
        "list",
        "tuple",
        "dict",
        "set",
        "frozenset",
        "type",
        "object",
        "range",
    ]
)


class TypeComparison(Rule):
    """``type(x) == T`` instead of ``isinstance(x, T)``.

    What it does:
        Flags ``type(x) == T`` and ``type(x) != T`` where ``T`` is a class name.
        ``type(x) is T`` is left alone: identity on types is the idiomatic way to ask for
        an exact type on purpose.

    Why is this bad?
        An exact type test rejects subclasses, which is rarely intended: a ``bool`` is an
        ``int``, an ``OrderedDict`` is a ``dict``. ``isinstance`` states the usual intent
        and also accepts virtual subclasses registered with an ABC.

    Example:
        ```python bad
        if type(value) == dict:
            merge(value)
        ```
        ```python good
        if isinstance(value, dict):
            merge(value)
        ```

    Fix safety:
        Unsafe: subclasses now pass the test (``isinstance(True, int)`` is true, while
        ``type(True) == int`` is false), which is exactly the behaviour change the fix is
        for, but code may rely on the exact test. Only offered when ``T`` is a plain name or
        dotted name.
    """

    code = "KZ111"
    name = "Type comparison instead of isinstance"
    category = Category.CORRECTNESS
    applicability = Applicability.UNSAFE
    confidence = 0.7
    severity = 0.4
    query = """
    (comparison_operator
      . (call function: (identifier) @fn arguments: (argument_list . (_) @arg .)) @call
      . operators: ["==" "!="] @op
      . [(identifier) (attribute)] @cls .
      (#eq? @fn "type")) @cmp
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        cmp, arg, op, cls = (
            captures["cmp"][0],
            captures["arg"][0],
            captures["op"][0],
            captures["cls"][0],
        )
        if arg.type in (
            "list_splat",
            "dictionary_splat",
            "keyword_argument",
            "parenthesized_expression",
        ) or (cls.type == "identifier" and cls.text is not None and cls.text.decode() in ("None",)):
            return
        negate = op.type == "!="
        call = f"isinstance({ctx.text(arg)}, {ctx.text(cls)})"
        new = f"not {call}" if negate else call
        if (
            negate
            and cmp.parent is not None
            and cmp.parent.type
            in (
                "comparison_operator",
                "binary_operator",
                "unary_operator",
                "attribute",
                "subscript",
                "call",
            )
        ):
            new = f"({new})"
        if noqa(ctx, cmp, "E721"):
            return  # already marked deliberate for flake8/ruff
        yield Finding(
            cmp,
            f"`{ctx.text(cmp)}` rejects subclasses: use `{call if not negate else 'not ' + call}`",
            edits=[ctx.replace(cmp, new)],
        )
