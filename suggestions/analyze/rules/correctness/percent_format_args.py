from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._exprs import expects_error, literal_string
from suggestions.analyze.rules._pyfix import PrefilteredRule
from suggestions.model import Applicability

# One printf-style conversion: %[(key)][flags][width][.precision][length]type
_SPEC = re.compile(r"%(?:\(([^)]*)\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?(.?)", re.S)
_TYPES = frozenset("diouxXeEfFgGcrsa%")
_SCALARS = frozenset({"integer", "float", "string", "concatenated_string", "true", "false", "none"})


class PercentFormatArgs(PrefilteredRule):
    """``%`` formatting whose arguments do not fit the format string.

    What it does:
        Flags ``"literal" % args`` where the literal's placeholders and the arguments
        cannot agree: a tuple with more or fewer items than the ``%s`` placeholders, a
        ``%(name)s`` key missing from a dict display, named placeholders with a tuple,
        a single literal argument for several placeholders, or an unknown conversion
        character. Only literal format strings, and only tuple, dict or literal operands
        (a name could hold anything at run time). Not inside blocks that expect the error.

    Why is this bad?
        Each of these raises ``TypeError``, ``KeyError`` or ``ValueError`` when the line
        runs, typically on an error or logging path that tests rarely reach, so the real
        message is lost behind a formatting crash.

    Example:
        ```python bad
        def report(name, size):
            return "%s is %d bytes, %s" % (name, size)
        ```
        ```python good
        def report(name, size):
            return "%s is %d bytes" % (name, size)
        ```

    Fix safety:
        No automatic fix: whether a value or a placeholder is missing needs the author.
    """

    code = "KZ125"
    name = "% format arguments mismatch"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.95
    severity = 0.8
    # The operator spaced as formatters write it (a literal prefix: a fast scan), right
    # after a closing quote or parenthesis (``accept``); ``'%s'`` in a string is no hit.
    prefilters = ((b" %", re.compile(rb" %[\s(]")),)
    pattern = """
    (binary_operator left: [(string) (concatenated_string)
                            (parenthesized_expression . [(string) (concatenated_string)] .)] @fmt
      operator: "%"
      right: [(tuple) (dictionary) (string) (concatenated_string) (integer) (float)
              (true) (false) (none) (parenthesized_expression)] @args) @expr
    """

    def accept(self, ctx: Context, start: int, end: int) -> bool:
        return ctx.source[max(0, start - 40) : start + 1].rstrip().endswith((b"'", b'"', b")"))

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        expr, fmt, args = captures["expr"][0], captures["fmt"][0], captures["args"][0]
        while args.type == "parenthesized_expression" and args.named_child_count == 1:
            args = args.named_children[0]
        if fmt.type == "parenthesized_expression":
            fmt = fmt.named_children[0]
        value = literal_string(ctx, fmt)
        if value is None:
            return
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        problem = _problem(ctx, text, args, isinstance(value, bytes))
        if problem is None or expects_error(ctx, expr):
            return
        yield Finding(expr, f"`%` format: {problem}", target=expr)


def _placeholders(fmt: str, is_bytes: bool) -> tuple[list[str], int] | str:
    """The ``%(key)`` names and the positional count of ``fmt``, or what is wrong with it."""
    keys: list[str] = []
    count = 0
    for m in _SPEC.finditer(fmt):
        key, width, precision, kind = m.groups()
        if kind == "%" and key is None and m.group(0) == "%%":
            continue
        if kind not in _TYPES and not (is_bytes and kind == "b"):
            if kind == "":
                return "the format string ends in a lone `%`"
            return f"unsupported format character {kind!r}"
        if key is not None:
            keys.append(key)
        else:
            count += 1 + (width == "*") + (precision == "*")
    if keys and count:
        return "mixes `%(name)s` and positional placeholders"
    return keys, count


def _problem(ctx: Context, fmt: str, args: tree_sitter.Node, is_bytes: bool) -> str | None:
    found = _placeholders(fmt, is_bytes)
    if isinstance(found, str):
        return found
    keys, count = found
    t = args.type
    if t == "tuple":
        items = [c for c in args.named_children if c.type != "comment"]
        if any(c.type in ("list_splat", "parenthesized_list_splat") for c in items):
            return None
        if keys:
            return "`%(name)s` placeholders need a mapping, not a tuple"
        if len(items) != count:
            return f"{count} placeholder{'s' * (count != 1)} but {len(items)} argument{'s' * (len(items) != 1)}"
        return None
    if t == "dictionary":
        if not keys:
            return None if count <= 1 else f"{count} placeholders but a single dict argument"
        return _missing_key(ctx, keys, args)
    if t in _SCALARS:
        if keys:
            return "`%(name)s` placeholders need a mapping"
        if count != 1:
            return f"{count} placeholders but one argument"
    return None


def _missing_key(ctx: Context, keys: list[str], mapping: tree_sitter.Node) -> str | None:
    given: set[str] = set()
    for pair in mapping.named_children:
        if pair.type == "dictionary_splat":
            return None
        if pair.type != "pair":
            continue
        k = pair.child_by_field_name("key")
        v = literal_string(ctx, k) if k is not None else None
        if not isinstance(v, str):
            return None  # a computed key could be anything
        given.add(v)
    missing = [k for k in keys if k not in given]
    return f"key {missing[0]!r} is not in the dict" if missing else None
