from __future__ import annotations

import re
import warnings
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._exprs import call_args, expects_error, literal_string
from suggestions.analyze.rules._pyfix import PrefilteredRule, imports_module
from suggestions.model import Applicability

# re functions whose first argument is the pattern, and the position of their flags.
_FLAGS_AT = {
    "compile": 1,
    "search": 2,
    "match": 2,
    "fullmatch": 2,
    "split": 3,
    "findall": 2,
    "finditer": 2,
    "sub": 4,
    "subn": 4,
}
_FLAG_NAMES = {
    "I": re.I,
    "IGNORECASE": re.I,
    "M": re.M,
    "MULTILINE": re.M,
    "S": re.S,
    "DOTALL": re.S,
    "X": re.X,
    "VERBOSE": re.X,
    "A": re.A,
    "ASCII": re.A,
    "U": re.U,
    "UNICODE": re.U,
    "L": re.L,
    "LOCALE": re.L,
}


class InvalidRegex(PrefilteredRule):
    """A literal regular expression that does not compile.

    What it does:
        Compiles the literal pattern of ``re.compile``, ``re.search``, ``re.match``,
        ``re.sub``... (with their literal ``re.X`` flags, if any) and flags the ones
        Python rejects: unbalanced parentheses, a nothing-to-repeat ``*``, a bad escape,
        an unknown group name.

    Why is this bad?
        The call raises ``re.error`` every time it runs: at import for a module-level
        ``re.compile``, or on the first call of a function that tests may never reach.

    Example:
        ```python bad
        import re

        VERSION = re.compile(r"(\\d+)\\.(\\d+")
        ```
        ```python good
        import re

        VERSION = re.compile(r"(\\d+)\\.(\\d+)")
        ```

    Fix safety:
        No automatic fix: what the pattern should match needs the author.
    """

    code = "KZ145"
    name = "Invalid regular expression"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.95
    severity = 0.9
    prefilters = (
        (
            b"re.",
            re.compile(
                rb"re\.(?:compile|search|match|fullmatch|split|findall|finditer|subn?)\s*\("
            ),
        ),
    )
    pattern = """
    (call function: (attribute object: (identifier) @module attribute: (identifier) @method)
      arguments: (argument_list . [(string) (concatenated_string)] @pattern)
      (#eq? @module "re")) @call
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call, method, node = captures["call"][0], captures["method"][0], captures["pattern"][0]
        at = _FLAGS_AT.get(ctx.text(method))
        if at is None or not imports_module(ctx, "re"):
            return
        pattern = literal_string(ctx, node)
        if pattern is None:
            return
        args = call_args(ctx, call.child_by_field_name("arguments"))
        flag_node = args.keywords.get("flags")
        if flag_node is None and len(args.positional) > at:
            flag_node = args.positional[at]
        flags = _flags(ctx, flag_node) if flag_node is not None else 0
        if flags is None or args.star or args.double_star:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                re.compile(pattern, flags)
            except (re.error, TypeError, ValueError, OverflowError, RecursionError) as exc:
                if expects_error(ctx, call):
                    return
                yield Finding(node, f"The regular expression does not compile: {exc}", target=call)


def _flags(ctx: Context, node: tree_sitter.Node) -> int | None:
    """The value of ``re.I | re.X``-style flags, or None when they are not literal."""
    total = 0
    for part in ctx.text(node).replace("(", " ").replace(")", " ").split("|"):
        name = part.strip()
        if not name.startswith("re.") or name[3:] not in _FLAG_NAMES:
            return None
        total |= _FLAG_NAMES[name[3:]]
    return total
