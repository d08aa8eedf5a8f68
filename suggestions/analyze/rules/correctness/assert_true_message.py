from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._exprs import call_args
from suggestions.analyze.rules._pyfix import PrefilteredRule
from suggestions.model import Applicability

# Second arguments that cannot be a message: a value assertEqual was meant to compare.
_CONSTANTS = frozenset(
    {"integer", "float", "true", "false", "none", "string", "concatenated_string"}
)
_DISPLAYS = frozenset({"list", "tuple", "dictionary", "set"})


class AssertTrueMessage(PrefilteredRule):
    """``assertTrue(x, y)`` / ``assertFalse(x, y)`` whose second argument is a value.

    What it does:
        Flags ``self.assertTrue(result, 3)``, ``self.assertTrue(pair, ("a", "b"))`` and the
        same for ``assertFalse``: the second argument is a number, ``True``/``False``/
        ``None`` or a list/tuple/dict/set display of constants, never a message. A tuple
        of names (``(got, expected)``) is left alone: it is context for the message.

    Why is this bad?
        The second argument of ``assertTrue`` is the failure *message*: the assertion only
        checks that the first argument is truthy and ignores the expected value, so the
        test passes for any non-empty result. ``assertEqual(x, y)`` was meant.

    Example:
        ```python bad
        import unittest

        class T(unittest.TestCase):
            def test_count(self):
                self.assertTrue(count_items(), 3)
        ```
        ```python good
        import unittest

        class T(unittest.TestCase):
            def test_count(self):
                self.assertEqual(count_items(), 3)
        ```

    Fix safety:
        No automatic fix: ``assertEqual`` makes the test stricter, and it may fail.
    """

    code = "KZ139"
    name = "assertTrue with a value as message"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.9
    severity = 0.7
    prefilters = ((b"assert", re.compile(rb"\.assert(?:True|False)\s*\(")),)
    pattern = """
    (call function: (attribute attribute: (identifier) @method) arguments: (argument_list) @args
      (#match? @method "^assert(True|False)$")) @call
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call, method = captures["call"][0], captures["method"][0]
        args = call_args(ctx, captures["args"][0])
        if args.star or len(args.positional) != 2:
            return
        second = args.positional[1]
        if second.type in _CONSTANTS - {"string", "concatenated_string"}:
            pass
        elif second.type not in _DISPLAYS or not _constant_display(second):
            return  # a name, a call, `(a, b)` of names: debugging context for the message
        yield Finding(
            call,
            f"`{ctx.text(method)}` ignores its second argument `{' '.join(ctx.text(second).split())[:30]}`"
            f" (it is the message): use `assertEqual`",
            target=call,
        )


def _constant_display(node: tree_sitter.Node) -> bool:
    """A display built only from constants and nested displays (``('ECDHE', 'ECDSA')``)."""
    stack = [c for c in node.named_children if c.type != "comment"]
    while stack:
        cur = stack.pop()
        if cur.type == "pair" or cur.type in _DISPLAYS:
            stack.extend(c for c in cur.named_children if c.type != "comment")
        elif cur.type not in _CONSTANTS or any(c.type == "interpolation" for c in cur.children):
            return False
    return True
