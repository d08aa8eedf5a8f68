from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._exprs import dotted, expects_error
from suggestions.analyze.rules._pyfix import PrefilteredRule
from suggestions.model import Applicability


class DanglingTask(PrefilteredRule):
    """``asyncio.create_task(...)`` or ``ensure_future(...)`` whose result is dropped.

    What it does:
        Flags a statement that is only ``asyncio.create_task(...)``,
        ``asyncio.ensure_future(...)`` or ``loop.create_task(...)`` (a receiver whose name
        mentions a loop), so no reference to the task is kept. ``TaskGroup.create_task``
        (``tg.create_task``) is fine: the group holds its tasks.

    Why is this bad?
        The event loop keeps only a weak reference to a task: one nobody else refers to
        can be garbage-collected before it finishes, and its exception is never
        retrieved ("Task was destroyed but it is pending!"). The asyncio documentation
        says to save a reference.

    Example:
        ```python bad
        import asyncio

        async def main(job):
            asyncio.create_task(job())
        ```
        ```python good
        import asyncio

        async def main(job, running):
            task = asyncio.create_task(job())
            running.add(task)
            task.add_done_callback(running.discard)
        ```

    Fix safety:
        No automatic fix: where the reference should live (a set, an attribute, a
        ``TaskGroup``) is a design decision.
    """

    code = "KZ132"
    name = "Task reference dropped"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.8
    severity = 0.6
    prefilters = (
        (b"create_task", re.compile(rb"create_task\s*\(")),
        (b"ensure_future", re.compile(rb"ensure_future\s*\(")),
    )
    pattern = """
    (expression_statement . (call function: (attribute attribute: (identifier) @method) @func) @call .
      (#match? @method "^(create_task|ensure_future)$"))
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call, func = captures["call"][0], captures["func"][0]
        receiver = func.child_by_field_name("object")
        name = dotted(ctx, receiver) if receiver is not None else None
        if receiver is not None and receiver.type == "call":
            name = dotted(ctx, receiver.child_by_field_name("function"))  # get_event_loop()
        if name is None or expects_error(ctx, call, within_try=False):
            return
        if name != "asyncio" and "loop" not in name.rsplit(".", 1)[-1].lower():
            return  # tg.create_task: a TaskGroup (or another API) keeps the task
        yield Finding(
            call,
            f"`{ctx.text(func)}(...)` result dropped: the task may be garbage-collected",
            target=call,
        )
