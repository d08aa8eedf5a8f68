from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import PrefilteredRule, rebound
from suggestions.model import Applicability

# Scopes in which zero-argument super() cannot see the method's first argument.
_BARRIERS = frozenset(
    {
        "lambda",
        "list_comprehension",
        "set_comprehension",
        "dictionary_comprehension",
        "generator_expression",
    }
)


def _method_of(node: tree_sitter.Node) -> tuple[tree_sitter.Node, tree_sitter.Node] | None:
    """The (function_definition, class_definition) that directly own ``node``."""
    parent = node.parent
    while parent is not None and parent.type != "function_definition":
        if parent.type in _BARRIERS or parent.type == "class_definition":
            return None
        parent = parent.parent
    if parent is None:
        return None
    func = parent
    up = func.parent
    if up is not None and up.type == "decorated_definition":
        up = up.parent
    if (
        up is None
        or up.type != "block"
        or up.parent is None
        or up.parent.type != "class_definition"
    ):
        return None
    return func, up.parent


class SuperArgs(PrefilteredRule):
    """``super(Class, self)`` inside a method of ``Class``.

    What it does:
        Flags ``super(Cls, self)`` (or ``super(Cls, cls)``) in a method defined directly
        in ``class Cls`` whose first parameter is the second argument.

    Why is this bad?
        Since Python 3, ``super()`` finds both arguments itself. Spelling them out repeats
        the class name, which goes stale when the class is renamed or the method moves.

    Example:
        ```python bad
        class Child(Base):
            def __init__(self):
                super(Child, self).__init__()
        ```
        ```python good
        class Child(Base):
            def __init__(self):
                super().__init__()
        ```

    Fix safety:
        Safe: inside a method of ``Cls`` whose first parameter is passed, ``super()`` binds
        exactly ``Cls`` and that argument. Decorated classes are skipped (a decorator may
        return a different class, which the explicit name would then refer to). Calls inside lambdas, comprehensions or nested
        functions are left alone (there ``super()`` would see another frame).
    """

    code = "KZ501"
    name = "super() with explicit arguments"
    category = Category.MODERNIZATION
    applicability = Applicability.SAFE
    confidence = 0.95
    severity = 0.1
    prefilters = ((b"super", re.compile(rb"super\s*\(\s*\w")),)
    pattern = """
    (call function: (identifier) @fn arguments: (argument_list . (identifier) @cls . "," . (identifier) @obj .) @args
      (#eq? @fn "super")) @call
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call, cls, obj, args = (
            captures["call"][0],
            captures["cls"][0],
            captures["obj"][0],
            captures["args"][0],
        )
        owner = _method_of(call)
        if owner is None or rebound(ctx, "super"):
            return
        func, klass = owner
        if klass.parent is not None and klass.parent.type == "decorated_definition":
            return  # a class decorator may return another class: the name then means that one
        name = klass.child_by_field_name("name")
        params = func.child_by_field_name("parameters")
        if name is None or params is None or ctx.text(name) != ctx.text(cls):
            return
        first = next((p for p in params.named_children if p.type != "comment"), None)
        if first is None:
            return
        if first.type in ("typed_parameter", "default_parameter", "typed_default_parameter"):
            first = first.named_children[0]
        if first.type != "identifier" or ctx.text(first) != ctx.text(obj):
            return
        if b"#" in ctx.source[args.start_byte : args.end_byte]:
            return
        yield Finding(call, f"`{ctx.text(call)}`: use `super()`", edits=[ctx.replace(args, "()")])
