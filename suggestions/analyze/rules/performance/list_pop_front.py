from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import in_loop
from suggestions.model import Applicability


class ListPopFront(Rule):
    """``list.pop(0)`` or ``list.insert(0, x)`` inside a loop.

    What it does:
        Flags ``x.pop(0)`` and ``x.insert(0, item)`` in a loop body.

    Why is this bad?
        Removing or adding at the front of a list shifts every other element, so a loop
        that drains a queue this way is quadratic. ``collections.deque`` does both in
        constant time with ``popleft()`` and ``appendleft()``.

    Example:
        ```python bad
        def drain(queue):
            while queue:
                handle(queue.pop(0))
        ```
        ```python good
        from collections import deque

        def drain(queue):
            queue = deque(queue)
            while queue:
                handle(queue.popleft())
        ```

    Fix safety:
        No automatic fix: the object must become a ``deque`` where it is created, and a
        deque does not support slicing. Advice only.
    """

    code = "KZ211"
    name = "Queue operations on a list"
    category = Category.PERFORMANCE
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.55
    severity = 0.4
    query = """
    (call function: (attribute object: (_) @obj attribute: (identifier) @method) arguments: (argument_list . (integer) @zero)
      (#any-of? @method "pop" "insert") (#eq? @zero "0")) @call
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call, method, obj = captures["call"][0], captures["method"][0], captures["obj"][0]
        args = call.child_by_field_name("arguments")
        n = args.named_child_count if args is not None else 0
        m = ctx.text(method)
        if (m == "pop" and n != 1) or (m == "insert" and n != 2) or in_loop(call) is None:
            return
        if ctx.text(obj) == "sys.path":
            return  # a search path, not a queue: its order is the point
        better = "popleft()" if m == "pop" else "appendleft(...)"
        yield Finding(
            call,
            f"`{ctx.text(obj)}.{m}(0{'' if m == 'pop' else ', ...'})` in a loop is O(n): use a deque's `{better}`",
        )
