from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.model import Applicability, Edit


class UselessComparison(Rule):
    """A comparison used as a statement, its result thrown away.

    What it does:
        Flags expression statements that are a bare ``==``/``!=``/``<`` ... comparison,
        such as ``count == 0`` on its own line. Not inside a ``with`` block that watches
        for an exception or a warning (``assertRaises``, ``pytest.raises``, ``warns``,
        ``suppress``...), where the comparison runs for what it raises.

    Why is this bad?
        The result is discarded, so the line does nothing: almost always ``=`` was meant
        (an assignment), or an ``assert`` is missing. In a test function (``test_*``, or a
        method of a ``Test*`` class), and for ``call() == literal`` or ``obj.attr ==
        literal`` anywhere in a test file, it is the lost ``assert``
        (``excinfo.typename == 'ExistingArgument'``): the message says so and offers it.

    Example:
        ```python bad
        def reset(state):
            state.count == 0
        ```
        ```python good
        def reset(state):
            state.count = 0
        ```

    Fix safety:
        Where an ``assert`` is missing, ``assert <comparison>`` is offered as an unsafe fix:
        the test then checks what it never checked (it may fail), and ``python -O`` drops
        it. Elsewhere no automatic fix: whether an assignment or an assertion was meant
        needs a human.
    """

    code = "KZ113"
    name = "Comparison result unused"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.85
    severity = 0.7
    query = """
    (expression_statement . (comparison_operator operators: ["==" "!=" "<" ">" "<=" ">="]) @cmp .)
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        cmp = captures["cmp"][0]
        if _checked_by_context(ctx, cmp):
            return
        text = ctx.text(cmp)
        ops = [c.type for c in cmp.children if not c.is_named]
        if _missing_assert(ctx, cmp):
            # A test that lost its assert checks nothing: the most certain case, ranked first.
            yield Finding(cmp, f"Result of `{text}` is unused: missing `assert`?",
                          edits=[Edit(cmp.start_byte, cmp.start_byte, "assert ")],
                          applicability=Applicability.UNSAFE, evidence={"severity": 0.85})
        elif ops == ["=="]:
            yield Finding(cmp, f"Result of `{text}` is unused: did you mean `=`?")
        elif all(c.type == "identifier" for c in cmp.named_children):
            # `a > b` of two names outside a test: often run for the TypeError it raises.
            yield Finding(cmp, f"Result of `{text}` is unused: missing `assert`?", evidence={"severity": 0.35})
        else:
            yield Finding(cmp, f"Result of `{text}` is unused: missing `assert`?")


_LITERALS = frozenset({"integer", "float", "string", "concatenated_string", "true", "false", "none",
                       "list", "tuple", "dictionary", "set", "unary_operator"})


def _in_test_file(path: str) -> bool:
    name = path.rpartition("/")[2]
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py" or any(
        part in ("tests", "test", "testing") for part in path.split("/")[:-1])


def _test_function(ctx: Context, node: tree_sitter.Node) -> bool:
    """Directly inside a ``test*`` function, or a method of a ``Test*`` class."""
    n = node.parent
    while n is not None and n.type not in ("function_definition", "lambda"):
        n = n.parent
    if n is None or n.type != "function_definition":
        return False
    name = n.child_by_field_name("name")
    if name is not None and ctx.text(name).startswith("test"):
        return True
    owner = n.parent.parent if n.parent is not None else None
    if owner is not None and owner.type == "class_definition":
        cls = owner.child_by_field_name("name")
        return cls is not None and ctx.text(cls).startswith("Test")
    return False


def _missing_assert(ctx: Context, cmp: tree_sitter.Node) -> bool:
    if _test_function(ctx, cmp):
        return True
    if not _in_test_file(ctx.path) or len(cmp.children) != 3 or cmp.children[1].type != "==":
        return False
    left, right = cmp.children[0], cmp.children[2]
    probe = {"call", "attribute"}
    return (left.type in probe and right.type in _LITERALS) or (right.type in probe and left.type in _LITERALS)


# Context managers that watch the block for an exception or a warning: a comparison run
# inside one is evaluated for what it raises (three quarters of the standard library's
# unused comparisons are in ``with self.assertRaises(TypeError):`` blocks).
_WATCHERS = ("raises", "warns", "warning", "deprecat", "suppress", "assertlogs")


def _checked_by_context(ctx: Context, node: tree_sitter.Node) -> bool:
    stmt = node.parent
    block = stmt.parent if stmt is not None else None
    owner = block.parent if block is not None else None
    if owner is None or owner.type != "with_statement":
        return False
    clause = next((c for c in owner.children if c.type == "with_clause"), None)
    text = ctx.text(clause).lower() if clause is not None else ""
    return any(w in text for w in _WATCHERS)
