from __future__ import annotations

from collections.abc import Iterable, Iterator

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.model import Applicability

_NESTED = frozenset({"function_definition", "class_definition", "lambda", "decorated_definition"})


class InitReturn(Rule):
    """``return <value>`` or ``yield`` in ``__init__``.

    What it does:
        Flags a ``return`` with a value other than ``None`` (or another ``__init__``
        call's result, which is ``None``) and any ``yield`` /
        ``yield from`` directly in a method named ``__init__`` (not in functions nested
        in it).

    Why is this bad?
        Creating the object raises ``TypeError: __init__() should return None``: a
        returned value, or the generator a ``yield`` turns ``__init__`` into, is never
        what the caller receives. Usually the code belongs in ``__new__``, a factory
        classmethod, or a plain function.

    Example:
        ```python bad
        class Config:
            def __init__(self, path):
                self.path = path
                return self.load()
        ```
        ```python good
        class Config:
            def __init__(self, path):
                self.path = path
                self.data = self.load()
        ```

    Fix safety:
        No automatic fix: where the value should go needs the author.
    """

    code = "KZ140"
    name = "Value returned from __init__"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.95
    severity = 0.8
    query = """
    (class_definition body: (block [(function_definition name: (identifier) @name body: (block) @body)
      (decorated_definition definition: (function_definition name: (identifier) @name body: (block) @body))]
      (#eq? @name "__init__")))
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        for node in _exits(captures["body"][0]):
            if node.type == "return_statement":
                value = node.named_children[0] if node.named_children else None
                if value is None or value.type == "none" or _init_call(ctx, value):
                    continue  # `return super().__init__(...)` returns that call's None
                yield Finding(
                    node, "`__init__` returns a value: creating the object raises TypeError"
                )
            else:
                yield Finding(
                    node,
                    "`yield` makes `__init__` a generator: creating the object raises TypeError",
                )


def _exits(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    for child in node.named_children:
        if child.type in ("return_statement", "yield"):
            yield child
            if child.type == "yield":
                continue
        if child.type not in _NESTED and child.type not in (
            "list_comprehension",
            "set_comprehension",
            "dictionary_comprehension",
            "generator_expression",
        ):
            yield from _exits(child)


def _init_call(ctx: Context, value: tree_sitter.Node) -> bool:
    func = value.child_by_field_name("function") if value.type == "call" else None
    return func is not None and ctx.text(func).endswith(".__init__")
