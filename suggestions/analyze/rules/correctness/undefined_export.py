from __future__ import annotations

from collections.abc import Iterable, Iterator

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import noqa
from suggestions.analyze.rules._scope import model
from suggestions.model import Applicability


class UndefinedExport(Rule):
    """Undefined name in ``__all__``.

    What it does:
        Flags a string in the module's ``__all__`` (``=``, ``+=``, ``.extend``,
        ``.append``) naming something the module never binds at module level.

    Why is this bad?
        ``from module import *`` raises ``AttributeError`` on it, documentation tools and
        type checkers export a name that does not exist, and it is usually a rename that
        missed ``__all__``.

    Example:
        ```python bad
        __all__ = ["parse", "dump"]


        def parse(text):
            return text.split()
        ```
        ```python good
        __all__ = ["parse"]


        def parse(text):
            return text.split()
        ```

    Fix safety:
        No automatic fix. A package's ``__init__.py`` is skipped (``__all__`` may list
        submodules, which ``import *`` loads), and so is a module whose names are
        dynamic (a star import, ``globals()`` updates, a module ``__getattr__``).
    """

    code = "KZ118"
    name = "Undefined name in __all__"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.9
    severity = 0.7

    def check(self, ctx: Context) -> Iterable[Finding]:
        if (
            b"__all__" not in ctx.source
            or ctx.path.replace("\\", "/").rsplit("/", 1)[-1] == "__init__.py"
        ):
            return
        m = model(ctx)
        if not m.valid or m.star_import or m.dynamic_module:
            return
        bound = m.module.bindings
        for string in _exported(ctx, ctx.root):
            name = _literal(ctx, string)
            if name is None or name in bound:
                continue
            if noqa(ctx, string, "F822"):
                continue
            yield Finding(
                string,
                f"`{name}` is listed in `__all__` but never defined",
                evidence={"name": name},
            )


def _exported(ctx: Context, block: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """The string nodes given to ``__all__`` by module-level statements (through if/try)."""
    for stmt in block.named_children:
        t = stmt.type
        if t in (
            "if_statement",
            "try_statement",
            "elif_clause",
            "else_clause",
            "except_clause",
            "finally_clause",
            "block",
        ):
            yield from _exported(ctx, stmt)
            continue
        if t != "expression_statement" or stmt.named_child_count != 1:
            continue
        expr = stmt.named_children[0]
        value: tree_sitter.Node | None = None
        if expr.type in ("assignment", "augmented_assignment"):
            left = expr.child_by_field_name("left")
            if left is not None and ctx.text(left) == "__all__":
                value = expr.child_by_field_name("right")
        elif expr.type == "call":
            fn = expr.child_by_field_name("function")
            if fn is not None and ctx.text(fn) in ("__all__.extend", "__all__.append"):
                value = expr.child_by_field_name("arguments")
        if value is not None:
            yield from _strings(value)


def _strings(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    if node.type == "string":
        yield node
    elif node.type in (
        "list",
        "tuple",
        "argument_list",
        "binary_operator",
        "parenthesized_expression",
    ):
        for child in node.named_children:
            yield from _strings(child)


def _literal(ctx: Context, string: tree_sitter.Node) -> str | None:
    parts = [c for c in string.named_children if c.type not in ("string_start", "string_end")]
    if len(parts) > 1 or any(c.type != "string_content" for c in parts):
        return None
    start = string.named_children[0] if string.named_child_count else None
    if start is None or any(ch in ctx.text(start).lower() for ch in "fb"):
        return None
    text = ctx.text(parts[0]) if parts else ""
    return text if text.isidentifier() else None
