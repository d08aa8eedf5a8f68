from __future__ import annotations

import re
import string
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._exprs import Args, call_args, expects_error, literal_string
from suggestions.analyze.rules._pyfix import PrefilteredRule
from suggestions.model import Applicability

_FORMATTER = string.Formatter()


class FormatCallArgs(PrefilteredRule):
    """``str.format`` whose arguments do not fit the format string.

    What it does:
        Flags ``"literal".format(...)`` where a ``{}``/``{N}`` field has no positional
        argument, a ``{name}`` field has no keyword argument, automatic and manual field
        numbering are mixed, the format string does not parse, or arguments are passed
        that no field uses. Calls with ``*args`` or ``**kwargs`` are skipped for the part
        they make unknown. Not inside blocks that expect the error.

    Why is this bad?
        A missing argument raises ``IndexError`` or ``KeyError`` when the line runs,
        usually on an error path that tests rarely reach; an unused argument is a value
        the author meant to show and that silently never appears.

    Example:
        ```python bad
        def describe(user, count):
            return "{} has {} items in {where}".format(user, count)
        ```
        ```python good
        def describe(user, count, where):
            return "{} has {} items in {where}".format(user, count, where=where)
        ```

    Fix safety:
        No automatic fix: which argument or field is missing needs the author.
    """

    code = "KZ126"
    name = "str.format arguments mismatch"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.9
    severity = 0.8
    prefilters = ((b".format", re.compile(rb"\.format\s*\(")),)
    pattern = """
    (call function: (attribute object: [(string) (concatenated_string)
                            (parenthesized_expression . [(string) (concatenated_string)] .)] @fmt
                                attribute: (identifier) @method)
      arguments: (argument_list) @args
      (#eq? @method "format")) @call
    """

    def accept(self, ctx: Context, start: int, end: int) -> bool:
        return ctx.source[max(0, start - 40) : start].rstrip().endswith((b"'", b'"', b")"))

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call, fmt, args = captures["call"][0], captures["fmt"][0], captures["args"][0]
        if fmt.type == "parenthesized_expression":
            fmt = fmt.named_children[0]
        value = literal_string(ctx, fmt)
        if not isinstance(value, str):
            return
        problem = _problem(value, call_args(ctx, args))
        if problem is None or expects_error(ctx, call):
            return
        yield Finding(call, f"`.format()`: {problem}", target=call)


def _fields(fmt: str, depth: int = 0) -> list[str]:
    """Every field name of ``fmt``, nested specs (``{:{width}}``) included; ValueError if bad."""
    out: list[str] = []
    for _literal, name, spec, _conv in _FORMATTER.parse(fmt):
        if name is None:
            continue
        out.append(name)
        if spec and "{" in spec and depth < 2:
            out.extend(_fields(spec, depth + 1))
    return out


def _problem(fmt: str, args: Args) -> str | None:
    try:
        names = _fields(fmt)
    except ValueError as exc:
        return f"the format string does not parse ({exc})"
    auto = manual = 0
    used_index: set[int] = set()
    used_names: set[str] = set()
    for name in names:
        first = re.split(r"[.\[]", name, maxsplit=1)[0]
        if first == "":
            used_index.add(auto)
            auto += 1
        elif first.isdigit():
            manual += 1
            used_index.add(int(first))
        else:
            used_names.add(first)
    if auto and manual:
        return "mixes automatic `{}` and numbered `{0}` fields"
    positional = len(args.positional)
    if not args.star:
        missing = sorted(i for i in used_index if i >= positional)
        if missing:
            need = max(used_index) + 1
            return f"{need} positional field{'s' * (need != 1)} but {positional} argument{'s' * (positional != 1)}"
        unused = sorted(set(range(positional)) - used_index)
        if unused:
            return f"argument {unused[0] + 1} ({positional} given) is never used"
    if not args.double_star:
        absent = sorted(used_names - set(args.keywords))
        if absent:
            return f"no argument for field `{{{absent[0]}}}`"
        extra = sorted(set(args.keywords) - used_names)
        if extra:
            return f"keyword argument `{extra[0]}` is never used"
    return None
