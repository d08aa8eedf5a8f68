from __future__ import annotations

from collections.abc import Iterable

from suggestions.analyze.duplicates import DuplicateIndex, fingerprint
from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._structure import ALL_LANGUAGES
from suggestions.model import Applicability


class DuplicateBlock(Rule):
    """Duplicated block of code.

    What it does:
        Flags a run of at least ``thresholds.duplicate-tokens`` tokens (default 60) that
        appears twice, in any language, with identifiers and literals normalized (renamed
        variables still match). This rule reports copies inside one file; the project
        pass of ``kaizen scan`` and the watcher report copies across files under the
        same code.

    Why is this bad?
        A bug fixed or a behaviour changed in one copy stays in the others; a shared
        function keeps them in step.

    Example:
        ```python bad
        def total_price(order):
            total = 0
            for line in order.lines:
                if line.quantity > 0 and not line.cancelled:
                    total += line.quantity * line.unit_price * (1 - line.discount)
                    log("added", line.sku, total)
            return round(total, 2)

        def total_weight(shipment):
            weight = 0
            for item in shipment.items:
                if item.count > 0 and not item.removed:
                    weight += item.count * item.unit_weight * (1 - item.packing)
                    log("packed", item.code, weight)
            return round(weight, 2)
        ```
        ```python good
        def total_price(order):
            return sum_lines(order.lines, "unit_price")

        def total_weight(shipment):
            return sum_lines(shipment.items, "unit_weight")
        ```

    Fix safety:
        Display only: extracting a shared function is a refactoring for a person (or the
        LLM engine, validated against the tests).
    """

    code = "KZ705"
    name = "Duplicated block"
    category = Category.STRUCTURE
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.7
    severity = 0.3
    languages = ALL_LANGUAGES

    def check(self, ctx: Context) -> Iterable[Finding]:
        min_tokens = max(10, int(ctx.setting("thresholds.duplicate-tokens", 60) or 60))
        fp = fingerprint(ctx.path, ctx.language, ctx.source, min_tokens)
        if fp is None or len({crc for crc, _ in fp.anchors}) == len(fp.anchors):
            return  # no window occurs twice: no copies (most files)
        index = DuplicateIndex(min_tokens)
        index.update(fp)
        lines = ctx.source.split(b"\n")
        for region in index.regions().get(ctx.path, ()):
            first, last = region.start_line, region.end_line
            head = lines[first - 1] if first <= len(lines) else b""
            tail = lines[last - 1] if last <= len(lines) else b""
            start = (first - 1, len(head) - len(head.lstrip()))
            end = (last - 1, len(tail.rstrip()))
            leaf = ctx.root.descendant_for_point_range(start, start)
            if leaf is None:
                continue
            # The span runs from the outermost node starting at the region's first line to
            # the node ending its last line. (The smallest node around the whole region can
            # start far above it: a region across two methods lies in their class.)
            node = leaf
            while node.parent is not None and node.parent.start_point == node.start_point and node.parent.end_point <= end:
                node = node.parent
            closing = ctx.root.descendant_for_point_range((last - 1, len(tail) - len(tail.lstrip())), end)
            yield Finding(node, region.title(ctx.path), target=leaf, evidence=region.evidence(), end=closing)
