from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import delete_statement, noqa, word_positions
from suggestions.model import Applicability, Edit

# Names that frameworks look up in a module's globals by themselves (unittest's module
# hooks and load_tests protocol): importing them is the use. Dunder names (``__doc__``,
# ``__version__``) are module metadata taken over on purpose.
_PROTOCOL_NAMES = frozenset({"load_tests", "setUpModule", "tearDownModule"})


class UnusedImport(Rule):
    """Unused import.

    What it does:
        Flags imported names that nothing in the module refers to.

    Why is this bad?
        Dead imports slow start-up, create false dependencies (and import cycles), and make
        readers look for a use that does not exist.

    Example:
        ```python bad
        import os
        import sys

        print(sys.argv)
        ```
        ```python good
        import sys

        print(sys.argv)
        ```

    Fix safety:
        The fix deletes the statement, or just the unused names of a multi-name import.
        Safe in an ordinary module. Unsafe in a package's ``__init__.py``, in modules that
        define ``__all__`` and for names taken from a private module (``from _impl import
        x``), where the import may be a re-export other modules rely on;
        it is also a behaviour change when a module is imported only for its side effects.
        A name counts as used wherever it appears as a word outside the import (code,
        strings such as ``__all__`` entries and string annotations, comments), so the rule
        errs towards silence. Imports in a ``try`` body (availability probes), ``from
        __future__`` imports, star imports, imports in a class body (class attributes) and explicit
        re-exports (``import a as a``) are
        never flagged.
    """

    code = "KZ108"
    name = "Unused import"
    category = Category.CORRECTNESS
    applicability = Applicability.SAFE
    confidence = 0.9
    severity = 0.3
    query = """
    (import_statement) @stmt
    (import_from_statement) @stmt
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        stmt = captures["stmt"][0]
        module = stmt.child_by_field_name("module_name")
        if module is not None and ctx.text(module) == "__future__":
            return
        if _in_try_body(stmt) or _in_class_body(stmt):
            return
        names = stmt.children_by_field_name("name")
        if not names:
            return  # star import
        unused: list[int] = []
        for i, item in enumerate(names):
            bound = _bound_name(ctx, item)
            if bound is None or bound in _PROTOCOL_NAMES or bound.startswith("__"):
                continue
            if not any(
                p < stmt.start_byte or p >= stmt.end_byte for p in word_positions(ctx.source, bound)
            ):
                unused.append(i)
        if not unused:
            return
        shown = ", ".join(f"`{ctx.text(names[i])}`" for i in unused)
        message = f"{shown} imported but unused"
        # A facade over a private module (``from _lzma import ...``) is how the stdlib and
        # many libraries re-export: another module may import the name from here.
        private_source = module is not None and ctx.text(module).rsplit(".", 1)[-1].startswith("_")
        unsafe = (
            ctx.path.rsplit("/", 1)[-1] == "__init__.py"
            or b"__all__" in ctx.source
            or private_source
        )
        rationale = (
            "This module may re-export the name (package __init__, __all__, or a facade over a "
            "private module); check importers first."
            if unsafe
            else ""
        )
        edits = _edits(ctx, stmt, names, unused)
        if noqa(ctx, stmt, "F401"):
            return  # already marked deliberate for flake8/ruff
        yield Finding(
            names[unused[0]] if len(unused) < len(names) else stmt,
            message,
            edits=edits,
            target=stmt,
            applicability=Applicability.UNSAFE if unsafe else None,
            rationale=rationale,
        )


def _in_try_body(stmt: tree_sitter.Node) -> bool:
    node = stmt.parent
    while node is not None and node.type not in (
        "function_definition",
        "class_definition",
        "module",
    ):
        parent = node.parent
        if (
            parent is not None
            and parent.type == "try_statement"
            and node == parent.child_by_field_name("body")
        ):
            return True
        node = parent
    return False


def _in_class_body(stmt: tree_sitter.Node) -> bool:
    # An import in a class body becomes a class attribute, used as ``self.Name``.
    node = stmt.parent
    while node is not None and node.type not in ("function_definition", "module"):
        if node.type == "class_definition":
            return True
        node = node.parent
    return False


def _bound_name(ctx: Context, item: tree_sitter.Node) -> str | None:
    """The name an import item binds, or None for an explicit re-export ``a as a``."""
    if item.type == "aliased_import":
        alias = item.child_by_field_name("alias")
        original = item.child_by_field_name("name")
        if alias is None or original is None or ctx.text(alias) == ctx.text(original):
            return None
        return ctx.text(alias)
    # ``import a.b`` binds ``a``; ``from m import x`` binds ``x``.
    return ctx.text(item).split(".", 1)[0].strip()


def _edits(
    ctx: Context, stmt: tree_sitter.Node, names: list[tree_sitter.Node], unused: list[int]
) -> list[Edit] | None:
    if len(unused) == len(names):
        edit = delete_statement(ctx, stmt)
        return [edit] if edit is not None else None
    # Remove runs of adjacent unused names together, so the edits never overlap: a run
    # takes the separator after it, or (at the end of the list) the one before it.
    runs: list[list[int]] = []
    for i in unused:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    edits: list[Edit] = []
    for run in runs:
        first, last = run[0], run[-1]
        if last + 1 < len(names):
            start, end = names[first].start_byte, names[last + 1].start_byte
        else:
            start, end = names[first - 1].end_byte, names[last].end_byte
        if b"#" in ctx.source[start:end]:
            return None  # a comment would go with the name: leave it to the author
        edits.append(Edit(start, end, ""))
    return edits
