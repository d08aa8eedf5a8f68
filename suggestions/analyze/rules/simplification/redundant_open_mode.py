from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._pyfix import PrefilteredRule, rebound
from suggestions.model import Applicability, Edit

_MODE = re.compile(rb"[\x27\x22](?:r|rt|tr)[\x27\x22]")
_DEFAULT_MODES = frozenset({"r", "rt", "tr"})


def mode_value(ctx: Context, node: tree_sitter.Node) -> str | None:
    """The value of a plain one-part string literal (no prefix but ``u``, no escapes)."""
    if node.type != "string" or node.named_child_count > 3:
        return None
    start = node.children[0]
    prefix = ctx.text(start).rstrip("'\"").lower()
    if prefix not in ("", "u"):
        return None
    content = [c for c in node.named_children if c.type == "string_content"]
    if any(c.named_child_count for c in content):
        return None
    return "".join(ctx.text(c) for c in content)


class RedundantOpenMode(PrefilteredRule):
    """``open()`` with the default mode spelled out.

    What it does:
        Flags ``open(path, "r")`` and ``open(path, mode="rt")``.

    Why is this bad?
        Reading text is what ``open`` does by default; a mode argument that repeats the
        default makes the reader look for a difference that is not there.

    Example:
        ```python bad
        def read(path):
            with open(path, "r") as f:
                return f.read()
        ```
        ```python good
        def read(path):
            with open(path) as f:
                return f.read()
        ```

    Fix safety:
        Safe: ``"r"``, ``"rt"`` and the default are the same mode. No fix when more
        positional arguments follow the mode or the file rebinds ``open``.
    """

    code = "KZ412"
    name = "Redundant open() mode"
    category = Category.SIMPLIFICATION
    applicability = Applicability.SAFE
    confidence = 0.9
    severity = 0.05
    prefilters = ((b"open", re.compile(rb"open\s*\(")),)
    pattern = """
    (call function: (identifier) @fn arguments: (argument_list . (_) @file . "," . (string) @mode) (#eq? @fn "open")) @call
    (call function: (identifier) @fn
      arguments: (argument_list (_) @file . "," . (keyword_argument name: (identifier) @kw value: (string) @mode))
      (#eq? @fn "open") (#eq? @kw "mode")) @call
    """

    def accept(self, ctx: Context, start: int, end: int) -> bool:
        return _MODE.search(ctx.source, end, end + 400) is not None

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call, before, mode = captures["call"][0], captures["file"][0], captures["mode"][0]
        if mode_value(ctx, mode) not in _DEFAULT_MODES or rebound(ctx, "open"):
            return
        removed = mode.parent if "kw" in captures and mode.parent is not None else mode
        nxt = removed.next_named_sibling
        if (
            "kw" not in captures
            and nxt is not None
            and nxt.type != "keyword_argument"
            and nxt.type != "comment"
        ):
            return  # buffering etc. follow positionally
        if before.type in ("list_splat", "dictionary_splat"):
            return
        if b"#" in ctx.source[before.end_byte : removed.end_byte]:
            return
        yield Finding(
            call,
            f"`open()` with the default mode {ctx.text(mode)}",
            edits=[Edit(before.end_byte, removed.end_byte, "")],
        )
