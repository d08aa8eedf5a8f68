from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import enclosing_scope
from suggestions.analyze.rules._exprs import has_side_effects, in_test_file, same_text
from suggestions.model import Applicability

_BRANCHES = frozenset({"if_statement", "elif_clause", "else_clause"})


class SelfAssignment(Rule):
    """A variable or attribute assigned to itself.

    What it does:
        Flags ``x = x``, ``self.size = self.size`` and ``a, b = a, b``, where both sides
        are spelled the same and contain no call. A plain name in a class body or at
        module level is left alone (``name = name`` there copies a builtin or outer name
        into the namespace, a re-export), and so is the only statement of an ``if`` /
        ``elif`` / ``else`` branch (a deliberate "keep it as is"). Test modules are
        skipped: they assign things to themselves to run a setter or the compiler.

    Why is this bad?
        The statement does nothing, which usually means the wrong name was typed
        (``self.size = size`` was meant) and the value that should have been stored is
        lost.

    Example:
        ```python bad
        class Box:
            def __init__(self, size):
                self.size = self.size
        ```
        ```python good
        class Box:
            def __init__(self, size):
                self.size = size
        ```

    Fix safety:
        No automatic fix: which value was meant needs the author.
    """

    code = "KZ129"
    name = "Self-assignment"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.85
    severity = 0.7
    query = """
    (assignment left: [(identifier) (attribute) (subscript) (pattern_list) (tuple)] @left
      right: [(identifier) (attribute) (subscript) (expression_list) (tuple)] @right
      (#eq? @left @right)) @assign
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        assign, left, right = captures["assign"][0], captures["left"][0], captures["right"][0]
        if assign.child_by_field_name("type") is not None:
            return  # `x: int = x` declares as well
        if assign.parent is None or assign.parent.type != "expression_statement":
            return  # chained `a = b = a`
        if not same_text(ctx, left, right) or has_side_effects(left) or in_test_file(ctx):
            return  # tests assign things to themselves to run a setter or the compiler
        stmt = assign.parent
        block = stmt.parent
        if (
            block is not None
            and block.type == "block"
            and _statements(block) == 1
            and block.parent is not None
            and block.parent.type in _BRANCHES
        ):
            return  # `elif ...: other = other`: a deliberate "keep it" branch
        if left.type in ("identifier", "pattern_list", "tuple"):
            scope = enclosing_scope(assign)
            if scope is not None and scope.type in ("class_definition", "module"):
                return  # `TimeoutError = TimeoutError`: a deliberate re-export
        yield Finding(assign, f"`{ctx.text(left)}` is assigned to itself", target=assign)


def _statements(block: tree_sitter.Node) -> int:
    return sum(1 for c in block.named_children if c.type != "comment")
