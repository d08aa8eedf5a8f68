from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import enclosing_scope
from suggestions.model import Applicability

# ``import asyncio`` on its own or in a list (``import os, asyncio``), not renamed.
_IMPORTS_ASYNCIO = re.compile(
    rb"^[ \t]*import[ \t]+(?:[\w.]+(?:[ \t]+as[ \t]+\w+)?[ \t]*,[ \t]*)*asyncio[ \t]*(?:,|#|$)",
    re.M,
)


class BlockingSleep(Rule):
    """``time.sleep()`` inside an ``async def``.

    What it does:
        Flags calls to ``time.sleep`` directly in the body of a coroutine function.

    Why is this bad?
        ``time.sleep`` blocks the thread, and with it the event loop: every other task
        freezes for the duration, timeouts fire late and servers stop answering.
        ``await asyncio.sleep(...)`` pauses only this task.

    Example:
        ```python bad
        import asyncio
        import time

        async def poll(client):
            while not client.ready():
                time.sleep(0.5)
        ```
        ```python good
        import asyncio
        import time

        async def poll(client):
            while not client.ready():
                await asyncio.sleep(0.5)
        ```

    Fix safety:
        When the call is a statement of its own and the module imports ``asyncio``, the
        fix writes ``await asyncio.sleep(...)``. Unsafe: other tasks now run during the
        pause, which is the point but changes interleavings the code may rely on.
    """

    code = "KZ116"
    name = "Blocking sleep in async function"
    category = Category.CORRECTNESS
    applicability = Applicability.UNSAFE
    confidence = 0.9
    severity = 0.6
    query = """
    (call function: (attribute object: (identifier) @mod attribute: (identifier) @fn)
      (#eq? @mod "time") (#eq? @fn "sleep")) @call
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call = captures["call"][0]
        scope = enclosing_scope(call)
        if scope is None or scope.type != "function_definition" or scope.child(0) is None:
            return
        first = scope.child(0)
        if first is None or first.type != "async":
            return
        edits = None
        parent = call.parent
        if (
            parent is not None
            and parent.type == "expression_statement"
            and parent.named_child_count == 1
            and ctx.shared("KZ116.asyncio", lambda c: _IMPORTS_ASYNCIO.search(c.source) is not None)
        ):
            func = call.child_by_field_name("function")
            if func is not None:
                edits = [ctx.replace(func, "await asyncio.sleep")]
        yield Finding(
            call, "`time.sleep()` blocks the event loop: use `await asyncio.sleep()`", edits=edits
        )
