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
    target_version,
)
from suggestions.model import Applicability

# Members that may not be joined with `|` at run time (a string is a forward reference).
_UNSAFE_MEMBERS = frozenset(
    {"string", "concatenated_string", "list", "ellipsis", "integer", "none_type"}
)


def _members(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The type arguments of ``X[...]`` in either tree shape (generic_type or subscript)."""
    if node.type == "generic_type":
        params = next((c for c in node.named_children if c.type == "type_parameter"), None)
        if params is None:
            return []
        return [
            c.named_children[0] if c.type == "type" and c.named_child_count == 1 else c
            for c in params.named_children
        ]
    return node.children_by_field_name("subscript")


class OptionalUnion(PrefilteredRule):
    """``Optional[X]`` / ``Union[X, Y]`` in an annotation.

    What it does:
        Flags ``Optional[...]`` and ``Union[...]`` (bare or ``typing.``-qualified) in
        annotations when ``target-version`` is 3.10 or later.

    Why is this bad?
        PEP 604 unions (``X | None``) read as what they mean and need no import.

    Example:
        ```python bad
        from typing import Optional

        def find(key: str) -> Optional[int]:
            return None
        ```
        ```python good
        def find(key: str) -> int | None:
            return None
        ```

    Fix safety:
        Safe: on 3.10+ ``X | None`` and ``Optional[X]`` are equal types. Members that are
        strings (forward references) are left alone: ``"Node" | None`` fails at run time.
    """

    code = "KZ505"
    name = "Optional/Union instead of |"
    category = Category.MODERNIZATION
    applicability = Applicability.SAFE
    confidence = 0.85
    severity = 0.1
    prefilters = ((b"Optional", re.compile(rb"Optional\b")), (b"Union", re.compile(rb"Union\b")))
    pattern = """
    (generic_type (identifier) @name (#any-of? @name "Optional" "Union")) @generic
    (subscript value: (identifier) @name (#any-of? @name "Optional" "Union")) @generic
    (subscript value: (attribute object: (identifier) @module attribute: (identifier) @name)
      (#eq? @module "typing") (#any-of? @name "Optional" "Union")) @generic
    """

    def accept(self, ctx: Context, start: int, end: int) -> bool:
        name = ctx.source[start:end].decode()
        return target_version(ctx) >= (3, 10) and (
            imports_from(ctx, "typing", name) or imports_module(ctx, "typing")
        )

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        if target_version(ctx) < (3, 10):
            return
        generic, name = captures["generic"][0], captures["name"][0]
        alias = ctx.text(name)
        if "module" in captures:
            if not imports_module(ctx, "typing"):
                return
        elif not imports_from(ctx, "typing", alias):
            return
        if not in_annotation(generic):
            return
        members = _members(generic)
        if (
            not members
            or any(m.type in _UNSAFE_MEMBERS for m in members)
            or b"#" in ctx.source[generic.start_byte : generic.end_byte]
        ):
            return
        if any(m.type in ("generic_type", "subscript") and _is_union(ctx, m) for m in members):
            return  # fix the innermost first; nested fixes would overlap
        texts = [ctx.text(m) for m in members]
        if alias == "Optional":
            if len(texts) != 1:
                return
            texts.append("None")
        elif len(texts) < 2:
            return
        new = " | ".join(texts)
        parent = generic.parent
        if (
            parent is not None
            and parent.type not in ("type", "type_parameter")
            and parent.type != "subscript"
        ):
            new = f"({new})"
        yield Finding(
            generic,
            f"`{alias}[...]`: use `{new if len(new) < 50 else 'X | Y'}`",
            edits=[ctx.replace(generic, new)],
        )


def _is_union(ctx: Context, node: tree_sitter.Node) -> bool:
    head = node.named_children[0] if node.named_child_count else None
    return head is not None and ctx.text(head).rsplit(".", 1)[-1] in ("Optional", "Union")
