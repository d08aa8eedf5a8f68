from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import noqa, word_positions
from suggestions.model import Applicability

# A literal prefix lets the regex engine skip ahead fast; the tree check weeds out "def"
# inside words or strings.
_DEF = re.compile(rb"def[ \t]+([A-Za-z_]\w*)")


class RedefinedFunction(Rule):
    """Function redefined before it is used.

    What it does:
        Flags a ``def`` that is replaced by another ``def`` of the same name in the same
        block, with no use of the name in between.

    Why is this bad?
        The first definition is dead: the second silently replaces it. Typically a
        copy-pasted test method that never runs (only the last ``test_x`` of a class
        exists), or an edit that left the old version behind.

    Example:
        ```python bad
        def test_parse():
            assert parse("1") == 1

        def test_parse():
            assert parse("2") == 2
        ```
        ```python good
        def test_parse_one():
            assert parse("1") == 1

        def test_parse_two():
            assert parse("2") == 2
        ```

    Fix safety:
        No automatic fix: renaming or deleting needs the author's intent. Decorated
        definitions (``@property`` setters, ``@overload``, ``@register``) and definitions
        under ``if``/``try`` (alternative implementations) are not flagged.
    """

    code = "KZ110"
    name = "Redefined unused function"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.9
    severity = 0.7

    def check(self, ctx: Context) -> Iterable[Finding]:
        src = ctx.source
        # A cheap scan for names defined twice anywhere; the tree is consulted only then.
        positions: dict[bytes, list[int]] = {}
        for m in _DEF.finditer(src):
            positions.setdefault(m.group(1), []).append(m.start(1))
        for raw, starts in positions.items():
            if len(starts) < 2:
                continue
            name = raw.decode()
            defs = [d for d in (_definition(ctx, p, len(raw)) for p in starts) if d is not None]
            for first, second in itertools.pairwise(defs):
                if first.parent != second.parent:
                    continue
                if any(True for _ in word_positions(src, name, first.end_byte, second.start_byte)):
                    continue
                ident = first.child_by_field_name("name")
                second_name = second.child_by_field_name("name") or second
                if noqa(ctx, ident or first, "F811") or noqa(ctx, second_name, "F811"):
                    continue  # already marked deliberate for flake8/ruff
                yield Finding(
                    ident or first,
                    f"Function `{name}` is redefined at line {second.start_point[0] + 1} before any use",
                    target=first,
                )


def _definition(ctx: Context, pos: int, length: int) -> tree_sitter.Node | None:
    """The undecorated ``def`` whose name starts at ``pos``, directly in a module or class/def body."""
    node = ctx.root.descendant_for_byte_range(pos, pos + length)
    if node is None or node.type != "identifier":
        return None
    fn = node.parent
    if fn is None or fn.type != "function_definition" or fn.child_by_field_name("name") != node:
        return None
    parent = fn.parent
    if parent is None:
        return None
    if parent.type == "module":
        return fn
    if (
        parent.type == "block"
        and parent.parent is not None
        and parent.parent.type
        in (
            "class_definition",
            "function_definition",
        )
    ):
        return fn
    return None
