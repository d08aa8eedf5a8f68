from __future__ import annotations

from collections.abc import Iterable, Iterator

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.model import Applicability

_NESTED_SCOPES = frozenset({"function_definition", "class_definition", "lambda"})
_LOOPS = frozenset({"for_statement", "while_statement"})


class FinallyExit(Rule):
    """``return``, ``break`` or ``continue`` inside ``finally``.

    What it does:
        Flags a ``return`` in a ``finally`` block, and a ``break``/``continue`` there that
        leaves a loop enclosing the whole ``try``.

    Why is this bad?
        Jumping out of ``finally`` silently discards the exception in flight (even
        ``KeyboardInterrupt``) and overrides any earlier ``return`` value. PEP 765 makes
        it a ``SyntaxWarning`` from Python 3.14 on.

    Example:
        ```python bad
        def read(path):
            try:
                return load(path)
            finally:
                return None
        ```
        ```python good
        def read(path):
            try:
                return load(path)
            except OSError:
                return None
        ```

    Fix safety:
        No automatic fix: whether the exception should propagate or be caught explicitly
        is a decision for the author.
    """

    code = "KZ115"
    name = "Control flow leaves finally"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.9
    severity = 0.7
    query = "(finally_clause (block) @body)"

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        for stmt in _exits(captures["body"][0], in_loop=False):
            word = stmt.type.split("_", 1)[0]
            yield Finding(stmt, f"`{word}` in `finally` swallows any exception in flight")


def _exits(node: tree_sitter.Node, in_loop: bool) -> Iterator[tree_sitter.Node]:
    for child in node.named_children:
        t = child.type
        if t in _NESTED_SCOPES:
            continue
        if t == "return_statement" or (
            t in ("break_statement", "continue_statement") and not in_loop
        ):
            yield child
        elif t in _LOOPS:
            # The loop's own body may break/continue; its else clause belongs outside.
            for part in child.named_children:
                if part.type == "block":
                    yield from _exits(part, True)
                elif part.type == "else_clause":
                    yield from _exits(part, in_loop)
        else:
            yield from _exits(child, in_loop)
