from __future__ import annotations

from collections.abc import Iterable

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import noqa
from suggestions.analyze.rules._scope import model, node_at
from suggestions.model import Applicability


class ImportShadowedByLoop(Rule):
    """Import shadowed by a loop variable.

    What it does:
        Flags a ``for`` loop whose target rebinds a name that, at that point of the same
        scope, holds an imported module or object.

    Why is this bad?
        After the loop the name no longer refers to the import: the next use of the module
        (``os.path`` after ``for os in systems``) fails or, worse, works on the wrong
        object. Usually the loop variable was meant to have another name.

    Example:
        ```python bad
        from os import path

        for path in ["a.txt", "b.txt"]:
            print(path)
        print(path.join("x", "y"))
        ```
        ```python good
        from os import path

        for name in ["a.txt", "b.txt"]:
            print(name)
        print(path.join("x", "y"))
        ```

    Fix safety:
        No automatic fix: the new name is the author's choice. Only a loop in the scope of
        the import, after it, with no other assignment of the name in between, is flagged
        (a loop variable of a function never touches a module's import, unlike pyflakes'
        F402, which reports that case too).
    """

    code = "KZ122"
    name = "Import shadowed by loop variable"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.9
    severity = 0.6

    def check(self, ctx: Context) -> Iterable[Finding]:
        m = model(ctx)
        if not m.valid:
            return
        for loop in m.loops:
            scope = loop.scope
            start = loop.node.start_byte
            for name in sorted(loop.names):
                binds = scope.bindings.get(name, ())
                before = [b for b in binds if b.at <= start]
                if not before:
                    continue
                last = max(before, key=lambda b: b.at)
                if last.kind != "import":
                    continue
                target = next(
                    (b for b in binds if b.kind == "for" and start <= b.start < loop.node.end_byte),
                    None,
                )
                if target is None:
                    continue
                node = node_at(ctx, target.start, target.end)
                if node is None or noqa(ctx, node, "F402"):
                    continue
                line = ctx.source.count(b"\n", 0, last.start) + 1
                yield Finding(
                    node,
                    f"Loop variable `{name}` shadows the import on line {line}",
                    evidence={"name": name},
                )
