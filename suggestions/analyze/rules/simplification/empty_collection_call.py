from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import PrefilteredRule, rebound
from suggestions.model import Applicability

_LITERAL = {"dict": "{}", "list": "[]", "tuple": "()"}


class EmptyCollectionCall(PrefilteredRule):
    """Empty collection built with a call.

    What it does:
        Flags ``dict()``, ``list()`` and ``tuple()`` called with no arguments.

    Why is this bad?
        The literals ``{}``, ``[]`` and ``()`` say the same thing, need no name lookup
        and are faster to build.

    Example:
        ```python bad
        def fresh():
            return dict(), list()
        ```
        ```python good
        def fresh():
            return {}, []
        ```

    Fix safety:
        Safe: the literal builds the same empty object. The fix is skipped in a file that
        binds the name (``def list``, ``list = ...``, ``import ... as dict``), where the
        call may not reach the builtin.
    """

    code = "KZ406"
    name = "Empty collection built with a call"
    category = Category.SIMPLIFICATION
    applicability = Applicability.SAFE
    confidence = 0.95
    severity = 0.1
    prefilters = (
        (b"dict", re.compile(rb"dict\s*\(\s*\)")),
        (b"list", re.compile(rb"list\s*\(\s*\)")),
        (b"tuple", re.compile(rb"tuple\s*\(\s*\)")),
    )
    pattern = """
    (call function: (identifier) @fn arguments: (argument_list) @args
      (#any-of? @fn "dict" "list" "tuple")) @call
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call, fn, args = captures["call"][0], captures["fn"][0], captures["args"][0]
        if args.named_child_count or args.end_byte - args.start_byte != 2:
            return
        name = ctx.text(fn)
        if rebound(ctx, name):
            return
        literal = _LITERAL[name]
        yield Finding(
            call,
            f"`{name}()` builds an empty {name}: use `{literal}`",
            edits=[ctx.replace(call, literal)],
        )
