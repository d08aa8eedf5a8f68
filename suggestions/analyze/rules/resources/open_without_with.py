from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import enclosing_scope, word_positions
from suggestions.model import Applicability

# A module that defines or imports its own ``open`` (gzip, tarfile, ...) is not calling
# the builtin.
# Each alternative starts with a literal, so the regex engine can skip ahead quickly.
# The file binds its own ``open``. One pattern per form, each starting with a literal, so
# ``re`` skips ahead to it (an alternation is tried at every byte).
_OWN_OPEN = (
    re.compile(rb"def[ \t]+open\b"),
    re.compile(rb"import\b[^\n]*\bopen\b"),
    re.compile(rb"\nopen[ \t]*="),
)
# Handing the file to something that manages it.
_MANAGERS = ("enter_context", "closing", "push", "callback")


class OpenWithoutWith(Rule):
    """File opened without a ``with`` block.

    What it does:
        Flags calls to the builtin ``open()`` (and ``io.open``) whose file object is not
        managed: not the subject of a ``with``, not returned or yielded to the caller, not
        stored on an object, not handed to ``ExitStack.enter_context``/``closing``, and,
        when bound to a local name, never closed or entered in a ``with`` in that scope.

    Why is this bad?
        The file is closed only when the garbage collector gets to it: immediately in
        CPython by luck of reference counting, much later on PyPy or inside a reference
        cycle. Until then the descriptor leaks, buffered writes may not reach the disk,
        and Windows keeps the file locked. Python emits ``ResourceWarning`` for it.

    Example:
        ```python bad
        def load(path):
            return json.loads(open(path).read())
        ```
        ```python good
        def load(path):
            with open(path) as f:
                return json.loads(f.read())
        ```

    Fix safety:
        No automatic fix: the right extent of the ``with`` block depends on how long the
        file is used. Advice only.
    """

    code = "KZ301"
    name = "open() without with"
    category = Category.RESOURCES
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.75
    severity = 0.5
    query = """
    (call function: (identifier) @fn (#eq? @fn "open")) @call
    (call function: (attribute object: (identifier) @mod attribute: (identifier) @fn)
      (#eq? @mod "io") (#eq? @fn "open")) @call
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call = captures["call"][0]
        if "mod" not in captures and ctx.shared("KZ301.own_open", _defines_open):
            return
        if _managed(ctx, call):
            return
        yield Finding(
            call,
            f"`{_short(ctx.text(call))}` is not closed deterministically: use `with open(...) as f:`",
        )


def _defines_open(ctx: Context) -> bool:
    return any(p.search(ctx.source) is not None for p in _OWN_OPEN)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _managed(ctx: Context, call: tree_sitter.Node) -> bool:
    node = call
    parent = node.parent
    # Parentheses and conditional expressions pass the file through unchanged.
    while parent is not None and parent.type in (
        "parenthesized_expression",
        "conditional_expression",
    ):
        node, parent = parent, parent.parent
    if parent is None:
        return False
    t = parent.type
    if t in (
        "with_item",
        "as_pattern",
        "return_statement",
        "yield",
        "lambda",
        "keyword_argument",
        "pair",
    ):
        return True
    if t in ("expression_list", "tuple", "list", "argument_list") and parent.parent is not None:
        grand = parent.parent
        if grand.type in ("return_statement", "yield"):
            return True
        if t == "argument_list" and grand.type == "call":
            func = grand.child_by_field_name("function")
            name = ctx.text(func).rsplit(".", 1)[-1] if func is not None else ""
            # A wrapper (TextIOWrapper, closing, enter_context, a class) takes ownership.
            return name in _MANAGERS or name[:1].isupper()
        return False
    if t == "assignment":
        if parent.parent is not None and parent.parent.type == "assignment":
            return True  # a = b = open(...): too many owners to follow
        left = parent.child_by_field_name("left")
        if left is None or left.type != "identifier":
            return True  # self.f = open(...), a, b = ...: ownership moves elsewhere
        return _closed_later(ctx, call, ctx.text(left))
    return False


def _closed_later(ctx: Context, call: tree_sitter.Node, name: str) -> bool:
    """Whether the scope closes ``name``, enters it in ``with``, returns or hands it on."""
    scope = enclosing_scope(call)
    if scope is None or scope.type == "module":
        return True  # module-level handles usually live for the program: not our business
    src = ctx.source
    for pos in word_positions(src, name, call.end_byte, scope.end_byte):
        after = src[pos + len(name) : pos + len(name) + 8]
        before = src[max(0, pos - 12) : pos]
        if after.startswith(b".close") or after.startswith(b".__exit"):
            return True
        if re.search(rb"(?:with|return|yield|=)\s*$", before) or re.search(rb"[(,]\s*$", before):
            return True
    return False
