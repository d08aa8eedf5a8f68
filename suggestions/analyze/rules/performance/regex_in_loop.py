from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import in_loop
from suggestions.model import Applicability


class RegexInLoop(Rule):
    """Regular expression compiled or looked up inside a loop.

    What it does:
        Flags ``re.compile("...")`` and ``re.match/search/fullmatch/findall/finditer/sub/
        subn/split("...", ...)`` with a literal pattern inside a loop body.

    Why is this bad?
        Each call re-compiles the pattern or at best looks it up in ``re``'s small cache
        (hashing the pattern and flags every time; the cache evicts when a program uses
        many patterns). Compiling once outside the loop, usually as a module constant, is
        faster and names the pattern.

    Example:
        ```python bad
        import re

        def numbers(lines):
            for line in lines:
                yield re.findall(r"\\d+", line)
        ```
        ```python good
        import re

        DIGITS = re.compile(r"\\d+")

        def numbers(lines):
            for line in lines:
                yield DIGITS.findall(line)
        ```

    Fix safety:
        No automatic fix: hoisting needs a name and a place to put it. Advice only.
    """

    code = "KZ204"
    name = "Regex compiled in a loop"
    category = Category.PERFORMANCE
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.6
    severity = 0.3
    query = """
    (call
      function: (attribute object: (identifier) @mod attribute: (identifier) @fn)
      arguments: (argument_list . [(string) (concatenated_string)] @pattern)
      (#eq? @mod "re")
      (#any-of? @fn "compile" "match" "search" "fullmatch" "findall" "finditer" "sub" "subn" "split")) @call
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call, fn, pattern = captures["call"][0], captures["fn"][0], captures["pattern"][0]
        if any(c.type == "interpolation" for c in pattern.children) or in_loop(call) is None:
            return
        verb = "compiled" if ctx.text(fn) == "compile" else "looked up"
        yield Finding(
            call,
            f"Regex {ctx.text(pattern)} {verb} on every iteration: compile it once outside the loop",
        )
