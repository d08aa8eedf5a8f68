from __future__ import annotations

import itertools
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import noqa, word_positions
from suggestions.analyze.rules._scope import Binding, model, node_at
from suggestions.model import Applicability


class ImportRedefined(Rule):
    """Import redefined by a function or class before it is used.

    What it does:
        Flags an imported name that a ``def`` or ``class`` of the same name replaces in
        the same block, with no use of the name in between.

    Why is this bad?
        The import is dead, and the code below uses the local definition where a reader
        (and probably the author) expects the imported one. Often a helper written with
        the name of a function the module already imports.

    Example:
        ```python bad
        from os.path import join


        def join(parts):
            return "/".join(parts)
        ```
        ```python good
        from os.path import join


        def join_parts(parts):
            return "/".join(parts)
        ```

    Fix safety:
        No automatic fix. Decorated definitions, and an import and definition in different
        blocks (``try: import x`` / ``except ImportError: def x()``, ``if``/``else``
        alternatives) are not flagged.
    """

    code = "KZ124"
    name = "Import redefined before use"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.9
    severity = 0.6

    def check(self, ctx: Context) -> Iterable[Finding]:
        m = model(ctx)
        if not m.valid:
            return
        src = ctx.source
        for scope in m.scopes:
            for name, binds in scope.bindings.items():
                if len(binds) < 2 or not any(b.kind == "import" for b in binds):
                    continue
                ordered = sorted(binds, key=lambda b: b.start)
                for first, second in itertools.pairwise(ordered):
                    if first.kind != "import" or second.kind not in ("def", "class"):
                        continue
                    found = _pair(ctx, first, second)
                    if found is None:
                        continue
                    stmt, definition = found
                    body = definition.child_by_field_name("body")
                    # Up to the body: bases, defaults and annotations run before the name is bound.
                    header_end = body.start_byte if body is not None else definition.end_byte
                    uses = (
                        *word_positions(src, name, stmt.end_byte, second.start),
                        *word_positions(src, name, second.end, header_end),
                    )
                    if uses:
                        continue
                    ident = node_at(ctx, second.start, second.end)
                    if ident is None or noqa(ctx, ident, "F811") or noqa(ctx, stmt, "F811"):
                        continue
                    line = src.count(b"\n", 0, first.start) + 1
                    kind = "function" if second.kind == "def" else "class"
                    yield Finding(
                        ident,
                        f"The {kind} `{name}` replaces the import on line {line} before any use",
                        target=definition,
                        evidence={"name": name},
                    )


def _pair(
    ctx: Context, imported: Binding, defined: Binding
) -> tuple[tree_sitter.Node, tree_sitter.Node] | None:
    """The import statement and the undecorated definition, when they share one block."""
    node = node_at(ctx, imported.start, imported.end)
    while node is not None and node.type not in ("import_statement", "import_from_statement"):
        node = node.parent
    ident = node_at(ctx, defined.start, defined.end)
    definition = ident.parent if ident is not None else None
    if (
        node is None
        or definition is None
        or definition.type not in ("function_definition", "class_definition")
    ):
        return None
    if definition.parent is None or definition.parent != node.parent:
        return None
    return node, definition
