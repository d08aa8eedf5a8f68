from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._exprs import EXCEPTIONS, handler_classes
from suggestions.analyze.rules._pyfix import rebound
from suggestions.model import Applicability


class DuplicateExcept(Rule):
    """The same exception class twice in one ``try``.

    What it does:
        Flags a class listed twice in one ``except (A, B, A)`` tuple, and a class caught
        by two handlers of the same ``try`` (the second handler for it never runs).
        Across handlers, builtin aliases count as the same class (``IOError`` and
        ``EnvironmentError`` are ``OSError``) when the file does not rebind them; within
        one tuple, alias spellings (``(socket.error, IOError)``, compatibility code) are
        left alone.

    Why is this bad?
        In a tuple the repetition is harmless by itself but usually stands where another
        class was meant (``(ValueError, ValueError)`` for ``(ValueError, TypeError)``);
        in a second handler, that handler's code for the class is dead.

    Example:
        ```python bad
        def parse(text):
            try:
                return int(text)
            except (ValueError, ValueError):
                return None
        ```
        ```python good
        def parse(text):
            try:
                return int(text)
            except (ValueError, TypeError):
                return None
        ```

    Fix safety:
        No automatic fix: which class was meant needs the author.
    """

    code = "KZ138"
    name = "Duplicate exception class"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.9
    severity = 0.6
    query = "(try_statement (except_clause)) @try"

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        earlier: dict[object, tuple[str, int]] = {}
        for clause in captures["try"][0].children:
            if clause.type != "except_clause":
                continue
            classes = handler_classes(ctx, clause)
            if classes is None:
                continue
            here: dict[object, str] = {}
            spelled: set[str] = set()
            line = clause.start_point[0] + 1
            for node, name in classes:
                key = _identity(ctx, name)
                if name in spelled:
                    yield Finding(node, f"`{name}` is listed twice in this `except`")
                    continue
                spelled.add(name)
                if key in here:
                    continue  # `(socket.error, IOError)`: compatibility spellings, harmless
                here[key] = name
                if key in earlier:
                    first, at = earlier[key]
                    same = "" if first == name else f" (as `{first}`)"
                    yield Finding(
                        node,
                        f"`{name}` is already caught at line {at}{same}: this handler never sees it",
                    )
            for key, name in here.items():
                earlier.setdefault(key, (name, line))


def _identity(ctx: Context, name: str) -> object:
    cls = EXCEPTIONS.get(name)
    if cls is not None and ("." in name or not rebound(ctx, name)):
        return cls
    return name
