from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import PrefilteredRule, imports_module, rebound
from suggestions.model import Applicability

_ALIASES = ("IOError", "EnvironmentError")


class OsErrorAlias(PrefilteredRule):
    """Old alias of ``OSError``.

    What it does:
        Flags ``IOError``, ``EnvironmentError``, ``socket.error`` and ``select.error``.

    Why is this bad?
        PEP 3151 (Python 3.3) merged them into ``OSError``; the old names are aliases of
        the same class and make readers wonder whether a different error is meant.

    Example:
        ```python bad
        def size(path):
            try:
                return len(open(path).read())
            except IOError:
                return 0
        ```
        ```python good
        def size(path):
            try:
                return len(open(path).read())
            except OSError:
                return 0
        ```

    Fix safety:
        Safe: each alias *is* ``OSError`` (``IOError is OSError``). Skipped when the file
        rebinds the name, or, for ``socket.error``/``select.error``, does not import the
        module plainly.
    """

    code = "KZ510"
    name = "OSError alias"
    category = Category.MODERNIZATION
    applicability = Applicability.SAFE
    confidence = 0.95
    severity = 0.1
    prefilters = (
        (b"IOError", re.compile(rb"IOError")),
        (b"EnvironmentError", re.compile(rb"EnvironmentError")),
        (b"socket.error", re.compile(rb"socket\.error")),
        (b"select.error", re.compile(rb"select\.error")),
    )
    pattern = """
    ((identifier) @name (#any-of? @name "IOError" "EnvironmentError"))
    (attribute object: (identifier) @module attribute: (identifier) @attr
      (#any-of? @module "socket" "select") (#eq? @attr "error")) @qualified
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        if "qualified" in captures:
            node = captures["qualified"][0]
            if not imports_module(ctx, ctx.text(captures["module"][0])) or rebound(ctx, "OSError"):
                return
        else:
            node = captures["name"][0]
            parent = node.parent
            if parent is None or rebound(ctx, ctx.text(node)) or rebound(ctx, "OSError"):
                return
            if parent.type == "attribute" and parent.child_by_field_name("attribute") == node:
                return
            if parent.type == "keyword_argument" and parent.child_by_field_name("name") == node:
                return
        yield Finding(
            node,
            f"`{ctx.text(node)}` is an alias of `OSError`",
            edits=[ctx.replace(node, "OSError")],
        )
