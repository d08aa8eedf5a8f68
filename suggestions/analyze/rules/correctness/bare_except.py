from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import noqa
from suggestions.model import Applicability, Edit


class BareExcept(Rule):
    """Bare ``except:`` clause.

    What it does:
        Flags ``except:`` clauses that name no exception class.

    Why is this bad?
        A bare ``except:`` also catches ``KeyboardInterrupt`` and ``SystemExit``, so Ctrl-C
        and ``sys.exit()`` are swallowed along with the errors the handler was written for,
        and real bugs hide behind a silent fallback.

    Example:
        ```python bad
        try:
            value = int(text)
        except:
            value = 0
        ```
        ```python good
        try:
            value = int(text)
        except ValueError:
            value = 0
        ```

    Fix safety:
        The fix writes ``except Exception:``. It is unsafe: ``KeyboardInterrupt``,
        ``SystemExit`` and ``GeneratorExit`` now propagate where they were caught before.
        A handler that ends in a bare ``raise`` is left alone (it re-raises everything).
    """

    code = "KZ102"
    name = "Bare except"
    category = Category.CORRECTNESS
    applicability = Applicability.UNSAFE
    confidence = 0.85
    severity = 0.6
    query = """
    (except_clause . "except" @kw . ":")  @clause
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        clause, kw = captures["clause"][0], captures["kw"][0]
        body = clause.named_children[-1] if clause.named_children else None
        if body is not None and body.type == "block":
            last = body.named_children[-1] if body.named_children else None
            if last is not None and last.type == "raise_statement" and last.named_child_count == 0:
                return  # cleanup-and-reraise: catching everything is the point
        if noqa(ctx, kw, "E722"):
            return  # already marked deliberate for flake8/ruff
        yield Finding(
            kw,
            "Bare `except:` also catches KeyboardInterrupt and SystemExit",
            edits=[Edit(kw.end_byte, kw.end_byte, " Exception")],
            target=clause,
        )
