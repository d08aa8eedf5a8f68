from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import (
    PrefilteredRule,
    imports_from,
    imports_module,
    in_annotation,
    rebound,
    target_version,
)
from suggestions.model import Applicability

BUILTIN = {
    "List": "list",
    "Dict": "dict",
    "Set": "set",
    "FrozenSet": "frozenset",
    "Tuple": "tuple",
    "Type": "type",
}
_NAMES = " ".join(f'"{n}"' for n in BUILTIN)


class TypingAlias(PrefilteredRule):
    """Deprecated ``typing`` alias in an annotation.

    What it does:
        Flags ``List``, ``Dict``, ``Set``, ``FrozenSet``, ``Tuple`` and ``Type`` (bare or
        ``typing.``-qualified) in annotations when ``target-version`` is 3.9 or later.

    Why is this bad?
        Since Python 3.9 the builtins are generic themselves (PEP 585); the ``typing``
        aliases are deprecated and need an import for nothing.

    Example:
        ```python bad
        from typing import List

        def names(rows: List[str]) -> List[str]:
            return rows
        ```
        ```python good
        def names(rows: list[str]) -> list[str]:
            return rows
        ```

    Fix safety:
        Safe on a local variable: Python never evaluates those annotations. Elsewhere
        (parameters, return types, module and class attributes) the annotation is kept in
        ``__annotations__``, and ``list[int]`` is not equal to ``typing.List[int]``: code
        that reads annotations at run time (dataclasses, attrs, pydantic, tests of them)
        sees the change, so the fix is unsafe there. Only annotations are rewritten, only
        when the alias really comes from ``typing`` and the file does not rebind the
        builtin. The ``typing`` import is left in place (the unused-import rule removes it
        when nothing else uses it).
    """

    code = "KZ504"
    name = "Deprecated typing alias"
    category = Category.MODERNIZATION
    applicability = Applicability.SAFE
    confidence = 0.9
    severity = 0.1
    prefilters = (
        (b"List", re.compile(rb"List\b")),
        (b"Dict", re.compile(rb"Dict\b")),
        (b"Set", re.compile(rb"Set\b")),
        (b"FrozenSet", re.compile(rb"FrozenSet\b")),
        (b"Tuple", re.compile(rb"Tuple\b")),
        (b"Type", re.compile(rb"Type\b")),
    )
    pattern = f"""
    (type (identifier) @name (#any-of? @name {_NAMES}))
    (generic_type (identifier) @name (#any-of? @name {_NAMES}))
    (subscript value: (identifier) @name (#any-of? @name {_NAMES}))
    (attribute object: (identifier) @module attribute: (identifier) @name (#eq? @module "typing") (#any-of? @name {_NAMES})) @qualified
    """

    def accept(self, ctx: Context, start: int, end: int) -> bool:
        name = ctx.source[start:end].decode()
        return target_version(ctx) >= (3, 9) and (
            imports_from(ctx, "typing", name) or imports_module(ctx, "typing")
        )

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        if target_version(ctx) < (3, 9):
            return
        name = captures["name"][0]
        node = captures["qualified"][0] if "qualified" in captures else name
        alias = ctx.text(name)
        if "qualified" in captures:
            if not imports_module(ctx, "typing"):
                return
        elif not imports_from(ctx, "typing", alias) or (
            name.parent is not None and name.parent.type == "attribute"
        ):
            return
        if not in_annotation(node) or rebound(ctx, BUILTIN[alias]):
            return
        new = BUILTIN[alias]
        kept = _kept_at_run_time(node)
        yield Finding(
            node,
            f"`{ctx.text(node)}` is deprecated: use `{new}`",
            edits=[ctx.replace(node, new)],
            applicability=Applicability.UNSAFE if kept else None,
            rationale=f"The annotation is kept in `__annotations__`, where `{new}[...]` is not equal to "
            f"`typing.{alias}[...]`." if kept else "",
        )


def _kept_at_run_time(node: tree_sitter.Node) -> bool:
    """Whether the annotation around ``node`` lands in an ``__annotations__`` (a signature,
    a module or class attribute) rather than on a local variable, which is never evaluated."""
    n = node.parent
    while n is not None:
        if n.type == "assignment":  # ``x: T = ...``: local inside a function, else kept
            scope = n.parent
            while scope is not None and scope.type not in ("function_definition", "class_definition"):
                scope = scope.parent
            return scope is None or scope.type == "class_definition"
        if n.type in ("typed_parameter", "typed_default_parameter", "function_definition"):
            return True
        n = n.parent
    return True
