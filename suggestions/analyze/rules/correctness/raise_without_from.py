from __future__ import annotations

from collections.abc import Iterable, Iterator

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import word_positions
from suggestions.analyze.rules._exprs import in_test_file
from suggestions.model import Applicability, Edit

_NESTED = frozenset({"function_definition", "class_definition", "lambda", "decorated_definition"})


class RaiseWithoutFrom(Rule):
    """A new exception raised in an ``except ... as e`` handler without ``from``.

    What it does:
        Flags ``raise Other(...)`` inside ``except SomeError as e:`` when the raise
        neither says ``from`` nor mentions ``e``. Bare ``raise`` and ``raise e`` re-raise
        the original and are fine, as are raises inside functions defined in the handler,
        ``raise SkipTest(...)`` and test modules (which raise in handlers to exercise
        chaining). Only new exceptions count: ``raise Name(...)`` or ``raise Name`` with a
        capitalized class name, not ``raise make_error(e)`` or a variable.

    Why is this bad?
        Without ``from``, the traceback reads "During handling of the above exception,
        another exception occurred", as if the handler itself had crashed, and
        ``__cause__`` is empty for code that looks for the root cause. ``from e`` records
        that the new error is the translation of the old one; ``from None`` says the old
        one is irrelevant.

    Example:
        ```python bad
        def port(text):
            try:
                return int(text)
            except ValueError as exc:
                raise ConfigError("port must be a number")
        ```
        ```python good
        def port(text):
            try:
                return int(text)
            except ValueError as exc:
                raise ConfigError("port must be a number") from exc
        ```

    Fix safety:
        The fix appends ``from e``. It is unsafe: it sets ``__cause__`` and
        ``__suppress_context__``, so the printed traceback changes and code that inspects
        those attributes sees the difference (``from None`` may have been meant instead).
    """

    code = "KZ131"
    name = "raise without from in except"
    category = Category.CORRECTNESS
    applicability = Applicability.UNSAFE
    confidence = 0.6
    severity = 0.4
    query = """
    (except_clause (as_pattern alias: (as_pattern_target (identifier) @name)) (block) @body)
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        name, body = captures["name"][0], captures["body"][0]
        if in_test_file(ctx):
            return  # tests raise in handlers to exercise chaining, or to skip
        var = ctx.text(name)
        for stmt in _raises(body):
            kids = stmt.named_children
            if not kids or stmt.child_by_field_name("cause") is not None:
                continue
            value = kids[0]
            if value.type not in ("call", "identifier", "attribute"):
                continue
            func = value.child_by_field_name("function") if value.type == "call" else value
            if func is None or func.type not in ("identifier", "attribute"):
                continue
            last = ctx.text(func).rsplit(".", 1)[-1]
            if not last[:1].isupper() or last == "SkipTest":
                continue  # `raise make_error(...)` / `raise err`: may well carry `e`
            if (
                next(word_positions(ctx.source, var, stmt.start_byte, stmt.end_byte), None)
                is not None
            ):
                continue
            yield Finding(
                stmt,
                f"`raise {ctx.text(func)}` in `except ... as {var}` without `from {var}`",
                edits=[Edit(value.end_byte, value.end_byte, f" from {var}")],
                target=stmt,
            )


def _raises(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    for child in node.named_children:
        if child.type == "raise_statement":
            yield child
        elif child.type not in _NESTED and child.type != "except_clause":
            yield from _raises(child)
