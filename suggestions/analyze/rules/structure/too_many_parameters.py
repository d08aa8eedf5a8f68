from __future__ import annotations

from collections.abc import Iterable

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._structure import ALL_LANGUAGES, STRUCTURE, functions, threshold
from suggestions.model import Applicability


class TooManyParameters(Rule):
    """Function with too many parameters.

    What it does:
        Flags a function (any language) that takes more than ``thresholds.parameters``
        parameters (default 6). ``self``/``cls``, Go receivers, Rust ``self`` and the bare
        ``*`` and ``/`` markers do not count.

    Why is this bad?
        Long parameter lists are hard to call correctly (positional mix-ups) and usually
        mean the function does too much or that some parameters belong together in an
        object.

    Example:
        ```python bad
        def connect(host, port, user, password, timeout, retries, verbose):
            return host
        ```
        ```python good
        def connect(address, credentials, options):
            return address
        ```

    Fix safety:
        Display only: grouping parameters changes every caller.
    """

    code = "KZ702"
    name = "Too many parameters"
    category = Category.STRUCTURE
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.6
    severity = 0.25
    languages = ALL_LANGUAGES
    facts = (STRUCTURE,)

    def check(self, ctx: Context) -> Iterable[Finding]:
        limit = threshold(ctx, "parameters")
        for f in functions(ctx):
            if f.parameters > limit:
                yield Finding(
                    f.name_node,
                    f"Function `{f.name}` takes {f.parameters} parameters (limit {limit})",
                    evidence={"parameters": f.parameters, "threshold": limit},
                )
