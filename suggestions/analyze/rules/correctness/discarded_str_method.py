from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._common import enclosing_scope
from suggestions.analyze.rules._exprs import call_args, expects_error, in_test_file
from suggestions.analyze.rules._pyfix import PrefilteredRule
from suggestions.model import Applicability

# str (and bytes) methods that return a new string, with the argument counts they take.
_ARITY: dict[str, tuple[int, int]] = {
    "strip": (0, 1),
    "lstrip": (0, 1),
    "rstrip": (0, 1),
    "upper": (0, 0),
    "casefold": (0, 0),
    "capitalize": (0, 0),
    "swapcase": (0, 0),
    "zfill": (1, 1),
    "removeprefix": (1, 1),
    "removesuffix": (1, 1),
    "expandtabs": (0, 1),
}
_ANY_STR = frozenset({"lower", "replace", "title", "center", "ljust", "rjust", "format", "encode"})


_RECEIVER = re.compile(rb"[\w.\[\]]*")


class DiscardedStrMethod(PrefilteredRule):
    """The result of a string method thrown away (``s.strip()`` as a statement).

    What it does:
        Flags a statement that is only ``text.strip()``, ``.upper()``, ``.removeprefix(p)``
        and the other str/bytes methods (called with the number of arguments they take)
        on a name known to hold a string in that function (annotated ``: str``, or
        assigned a literal, ``str(...)`` or a str method's result before the call: rich's
        ``Text.rstrip()`` works in place), and ``.replace()``, ``.lower()``,
        ``.title()``, ``.format()``... on a string literal (a Tk widget has ``.lower()``,
        ``plt.title()`` draws). Test modules are left alone: they call these for what
        they raise.

    Why is this bad?
        Strings are immutable: these methods return a new string and leave the original
        as it was. Called as a statement they do nothing; ``text = text.strip()`` was
        meant.

    Example:
        ```python bad
        def clean(name: str):
            name.strip()
            return name
        ```
        ```python good
        def clean(name: str):
            name = name.strip()
            return name
        ```

    Fix safety:
        No automatic fix: which variable should receive the result needs the author.
    """

    code = "KZ135"
    name = "String method result unused"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.9
    severity = 0.7
    # One regex with a literal prefix: a single fast pass (a needle per method is slower).
    prefilters = (
        (
            b".",
            re.compile(rb"\.(" + "|".join(sorted(_ARITY.keys() | _ANY_STR)).encode() + rb")\("),
        ),
    )

    def accept(self, ctx: Context, start: int, end: int) -> bool:
        # Only a statement's first expression: `name.strip(` or `"lit".replace(` opens it.
        src = ctx.source
        before = src[src.rfind(b"\n", 0, start) + 1 : start].strip()
        if before[:1] in (b"'", b'"'):
            return b"=" not in before and before[-1:] in (b"'", b'"')
        if src[start + 1 : end - 1].decode() in _ANY_STR:
            return False  # those count on a string literal only
        return _RECEIVER.fullmatch(before) is not None

    pattern = """
    (expression_statement . (call function: (attribute object: (_) @obj attribute: (identifier) @method)
      arguments: (argument_list) @args) @call .)
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call, obj, method = captures["call"][0], captures["obj"][0], captures["method"][0]
        name = ctx.text(method)
        literal = obj.type in ("string", "concatenated_string")
        if name in _ARITY and not literal:
            args = call_args(ctx, captures["args"][0])
            low, high = _ARITY[name]
            if args.star or args.double_star or args.keywords:
                return
            if not low <= len(args.positional) <= high:
                return
        elif not (literal and (name in _ARITY or name in _ANY_STR)):
            return
        if not literal and not _known_str(ctx, obj, call):
            return  # rich's Text.rstrip() works in place: only clear strings count
        if in_test_file(ctx) or expects_error(ctx, call):
            return
        yield Finding(
            call, f"Result of `.{name}()` is discarded: strings are immutable", target=call
        )


# How a name is seen to hold a str (or bytes): annotated so, or assigned a literal, a
# ``str()`` call or the result of a str method, earlier in the same function.
_STR_SOURCES = (
    rb"\s*:\s*(?:str|bytes)\b"
    rb"|\s*(?::[^=\n]*)?=\s*(?:[rRbBuUfF]{0,2}['\"]|str\(|bytes\(|[\w.\[\]]+\.(?:strip|lstrip|rstrip"
    rb"|lower|upper|replace|join|format|decode|encode)\()"
)


def _known_str(ctx: Context, obj: tree_sitter.Node, call: tree_sitter.Node) -> bool:
    if obj.type != "identifier":
        return False
    scope = enclosing_scope(call)
    start = scope.start_byte if scope is not None else 0
    name = re.escape(ctx.text(obj).encode())
    pattern = re.compile(rb"(?<![\w.])" + name + rb"(?:" + _STR_SOURCES + rb")")
    return pattern.search(ctx.source, start, call.start_byte) is not None
