from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import is_simple_literal, noqa
from suggestions.model import Applicability, Edit


class DuplicateDictKey(Rule):
    """Duplicate literal key in a dict display.

    What it does:
        Flags a dict literal that repeats a constant key (string, number, ``True``/
        ``False``/``None``).

    Why is this bad?
        The later entry silently overwrites the earlier one; usually a copy-paste slip
        that loses data.

    Example:
        ```python bad
        COLORS = {"red": 1, "green": 2, "red": 3}
        SIZES = {"s": 1, "m": 2, "s": 1}
        ```
        ```python good
        COLORS = {"red": 1, "green": 2, "blue": 3}
        SIZES = {"s": 1, "m": 2}
        ```

    Fix safety:
        When the repeated entry has the same constant or name as its value, the fix
        deletes the repetition: safe, the dict is identical and nothing with side
        effects is evaluated one time less. Differing values get no fix,
        since only the author knows which one was meant.
    """

    code = "KZ107"
    name = "Duplicate dict key"
    category = Category.CORRECTNESS
    applicability = Applicability.SAFE
    confidence = 0.9
    severity = 0.7
    query = "(dictionary (pair) (pair)) @dict"

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        d = captures["dict"][0]
        seen: dict[str, tree_sitter.Node] = {}
        children = d.named_children
        for i, pair in enumerate(children):
            if pair.type != "pair":
                continue
            key = pair.child_by_field_name("key")
            value = pair.child_by_field_name("value")
            if key is None or value is None or not is_simple_literal(key):
                continue
            k = _normal_key(ctx.text(key))
            first = seen.get(k)
            if first is None:
                seen[k] = pair
                continue
            edits = None
            first_value = first.child_by_field_name("value")
            if (
                first_value is not None
                and ctx.text(first_value) == ctx.text(value)
                and (is_simple_literal(value) or value.type == "identifier")
            ):
                # Delete from the end of the previous element to the end of this pair, so
                # the comma before it goes too; comments in between keep it display-only.
                prev = children[i - 1]
                gap = ctx.source[prev.end_byte : pair.start_byte]
                if prev.type != "comment" and b"#" not in gap:
                    edits = [Edit(prev.end_byte, pair.end_byte, "")]
            if noqa(ctx, pair, "F601"):
                continue  # already marked deliberate for flake8/ruff
            yield Finding(
                key,
                f"Dict key {ctx.text(key)} repeated (first at line {first.start_point[0] + 1})",
                edits=edits,
                target=pair,
            )


def _normal_key(text: str) -> str:
    # 'a' and "a" are the same key; so are 1 and 1 (spacing aside).
    if text[:1] in ("'", '"') and text[-1:] == text[:1] and "\\" not in text:
        return "s:" + text.strip(text[0])
    return text
