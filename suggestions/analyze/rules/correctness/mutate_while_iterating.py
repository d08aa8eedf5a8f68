from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._exprs import dotted, expects_error
from suggestions.model import Applicability

_NESTED = frozenset({"function_definition", "class_definition", "lambda", "decorated_definition"})
# Methods that remove items, or (for dicts and sets) change the size.
_SHRINK = frozenset({"remove", "pop", "clear", "discard", "popitem"})
_GROW = frozenset({"add", "update", "setdefault"})  # only for dict views / sets: a RuntimeError
_VIEWS = frozenset({"keys", "items", "values"})
_CHANGES = re.compile(rb"\bdel\b|\.(?:remove|pop|clear|discard|popitem|add|update|setdefault)\(")
_EXITS = frozenset({"break_statement", "return_statement", "raise_statement"})


class MutateWhileIterating(Rule):
    """A collection changed in size inside the loop that iterates over it.

    What it does:
        Flags ``for x in items:`` whose body calls ``items.remove()``, ``.pop()``,
        ``.clear()``, ``.discard()``, ``.popitem()`` or ``del items[...]``, and ``for k in
        d.keys()/.items()/.values():`` (and loops over a name also changed by ``.add`` /
        ``.update`` / ``.setdefault``) whose body changes ``d``. Not when the change is
        followed by ``break``, ``return`` or ``raise`` in the same block (the loop stops
        right there), not inside ``with assertRaises(...)`` blocks, and not for
        ``.append`` on lists (the worklist idiom).

    Why is this bad?
        Removing from a list while iterating over it skips the element after each removed
        one; changing a dict's or set's size raises ``RuntimeError: dictionary changed
        size during iteration``. Iterate over a copy (``list(items)``) or build a new
        collection instead.

    Example:
        ```python bad
        def drop_empty(names):
            for name in names:
                if not name:
                    names.remove(name)
        ```
        ```python good
        def drop_empty(names):
            for name in list(names):
                if not name:
                    names.remove(name)
        ```

    Fix safety:
        No automatic fix: iterating over a copy is usually right, but the loop's logic
        may rely on seeing the changes.
    """

    code = "KZ141"
    name = "Collection changed while iterated"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.85
    severity = 0.8
    query = """
    (for_statement right: [(identifier) (attribute)] @iter body: (block) @body)
    (for_statement right: (call function: (attribute object: [(identifier) (attribute)] @iter
                                                      attribute: (identifier) @view)
                                arguments: (argument_list . ")")) body: (block) @body
      (#match? @view "^(keys|items|values)$"))
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        name = dotted(ctx, captures["iter"][0])
        if name is None or name == "self":
            return
        body = captures["body"][0]
        if not _CHANGES.search(ctx.source, body.start_byte, body.end_byte):
            return  # no removal in the body: the common case, decided by one regex
        view = "view" in captures
        for stmt, what in _mutations(ctx, body, name, view):
            if _stops_after(stmt) or expects_error(ctx, stmt, within_try=False):
                continue  # the loop stops there, or the error is what a test wants
            yield Finding(stmt, f"`{name}` is changed ({what}) while the loop iterates over it")


def _mutations(
    ctx: Context, node: tree_sitter.Node, name: str, view: bool
) -> Iterator[tuple[tree_sitter.Node, str]]:
    for child in node.named_children:
        if child.type in _NESTED:
            continue
        if child.type == "delete_statement":
            for target in child.named_children:
                items = target.named_children if target.type == "expression_list" else [target]
                for t in items:
                    if (
                        t.type == "subscript"
                        and dotted(ctx, t.child_by_field_name("value")) == name
                    ):
                        yield child, "`del`"
            continue
        if child.type == "expression_statement":
            call = child.named_children[0] if child.named_children else None
            func = (
                call.child_by_field_name("function")
                if call is not None and call.type == "call"
                else None
            )
            if func is not None and func.type == "attribute":
                method = func.child_by_field_name("attribute")
                m = ctx.text(method) if method is not None else ""
                if dotted(ctx, func.child_by_field_name("object")) == name and (
                    m in _SHRINK or (view and m in _GROW)
                ):
                    yield child, f"`.{m}()`"
                    continue
        if child.type == "for_statement" or child.type == "while_statement":
            body = child.child_by_field_name("body")
            if body is not None:
                yield from _mutations(ctx, body, name, view)  # an inner loop's own break
            continue
        yield from _mutations(ctx, child, name, view)


def _stops_after(stmt: tree_sitter.Node) -> bool:
    """A ``break``/``return``/``raise`` follows the change in its own block."""
    sibling = stmt.next_named_sibling
    while sibling is not None:
        if sibling.type in _EXITS:
            return True
        sibling = sibling.next_named_sibling
    return False
