from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding
from suggestions.analyze.rules._exprs import call_args
from suggestions.analyze.rules._pyfix import PrefilteredRule
from suggestions.model import Applicability, Edit

# The positional slot that takes ``count``/``maxsplit``, where a flag is often passed.
_SLOT = {"sub": (3, "count"), "subn": (3, "count"), "split": (2, "maxsplit")}
_FLAG = re.compile(
    r"re\.(?:I|IGNORECASE|M|MULTILINE|S|DOTALL|X|VERBOSE|A|ASCII|U|UNICODE|L|LOCALE|DEBUG"
    r"|NOFLAG|T|TEMPLATE)"
)
_FLAGS = re.compile(rf"\(?\s*{_FLAG.pattern}(?:\s*\|\s*{_FLAG.pattern})*\s*\)?")


class RePositionalFlags(PrefilteredRule):
    """``re.sub`` / ``re.subn`` / ``re.split`` with regex flags passed as ``count`` or ``maxsplit``.

    What it does:
        Flags ``re.sub(pattern, repl, text, re.IGNORECASE)``, ``re.subn`` the same way and
        ``re.split(pattern, text, re.M)``: a ``re.X`` flag (or an ``|`` of them) in the
        positional slot of ``count`` / ``maxsplit``.

    Why is this bad?
        The fourth positional argument of ``re.sub`` is ``count``, not ``flags``: the flag
        is silently taken as a number (``re.IGNORECASE`` is 2, so at most two
        replacements, case-sensitively). Python 3.13 deprecates passing these
        positionally for this reason.

    Example:
        ```python bad
        import re

        def squash(text):
            return re.sub(r"\\s+", " ", text, re.MULTILINE)
        ```
        ```python good
        import re

        def squash(text):
            return re.sub(r"\\s+", " ", text, flags=re.MULTILINE)
        ```

    Fix safety:
        The fix writes ``flags=`` before the argument. It is unsafe: the call's behaviour
        changes (the flag now applies and the count limit goes), which is what the author
        meant but not what the code did.
    """

    code = "KZ136"
    name = "re flags passed positionally"
    category = Category.CORRECTNESS
    applicability = Applicability.UNSAFE
    confidence = 0.95
    severity = 0.8
    prefilters = ((b"re.s", re.compile(rb"re\.(?:sub|subn|split)\s*\(")),)
    pattern = """
    (call function: (attribute object: (identifier) @module attribute: (identifier) @method)
      arguments: (argument_list) @args
      (#eq? @module "re") (#match? @method "^(sub|subn|split)$")) @call
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call, method = captures["call"][0], captures["method"][0]
        slot, param = _SLOT[ctx.text(method)]
        args = call_args(ctx, captures["args"][0])
        if args.star or len(args.positional) != slot + 1:
            return
        arg = args.positional[slot]
        text = " ".join(ctx.text(arg).split())
        if not _FLAGS.fullmatch(text):
            return
        edits = (
            None if "flags" in args.keywords else [Edit(arg.start_byte, arg.start_byte, "flags=")]
        )
        yield Finding(
            arg,
            f"`{text}` is passed as `{param}` of `re.{ctx.text(method)}`, not as flags",
            edits=edits,
            target=call,
        )
