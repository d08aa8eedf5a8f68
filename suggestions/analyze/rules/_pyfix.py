"""Helpers for the simplification, modernization and style rules (KZ4xx-KZ6xx).

Not a rule module (the leading underscore keeps discovery away). Questions about the
whole file (is ``list`` rebound anywhere? is ``typing`` imported?) are answered by one
regex over the bytes, cached on the :class:`Context`, so a rule pays for them only when
its pattern already matched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import ClassVar

import tree_sitter

from analysis.languages import query
from suggestions.analyze.framework import Context, Finding, Rule
from suggestions.model import Edit

__all__ = [
    "LOW_PRECEDENCE",
    "PRIMARY",
    "PrefilteredRule",
    "dedent_edits",
    "imports_from",
    "imports_module",
    "in_annotation",
    "is_simple_expr",
    "line_start",
    "paren",
    "rebound",
    "target_version",
]

# Expressions that bind looser than ``and``/``or``/``not``: wrap them before combining.
LOW_PRECEDENCE = frozenset(
    {"conditional_expression", "lambda", "named_expression", "expression_list"}
)
# Expressions that never need parentheses as an operand.
PRIMARY = frozenset(
    {
        "identifier",
        "attribute",
        "call",
        "subscript",
        "parenthesized_expression",
        "list",
        "tuple",
        "dictionary",
        "set",
        "string",
        "concatenated_string",
        "integer",
        "float",
        "true",
        "false",
        "none",
        "list_comprehension",
        "set_comprehension",
        "dictionary_comprehension",
        "generator_expression",
    }
)

# Text around an occurrence of a name that binds it: ``def NAME``, ``as NAME``, ``import
# ..., NAME``, ``for ..., NAME in``, ``NAME = ...``, ``NAME: T = ...``, ``NAME, b = ...``,
# a parameter on a ``def``/``lambda`` line. Deliberately coarse (a keyword argument
# ``f(NAME=1)`` counts too): a false "bound" only costs a skipped fix.
_BIND_BEFORE = re.compile(
    rb"(?:\b(?:def|class|as|global|nonlocal)\s+|\bfor\s+[\w\s,()*\[\]]*|\bimport\s+[\w\s,.()]*"
    rb"|\bdef\s+\w+\s*\((?:[^)]*,)?\s*\**|\blambda\b(?:[^:]*,)?\s*\**)$"
)
# After the name: an assignment (``=``, ``:=``, ``: T =``) or more tuple targets; counted
# only when everything before the name on its line could be the start of the targets.
_BIND_AFTER = re.compile(rb"\s*(?::=|=(?!=)|:[^=\n]*=(?!=)|,[\w\s,*]*=(?!=)|\)\s*=(?!=))")
_TARGET_BEFORE = re.compile(rb"[ \t]*[(\[]?[\w\s,*]*$")


def _binds(ctx: Context, name: str) -> bool:
    src = ctx.source
    for m in re.finditer(re.escape(name.encode()) + rb"\b", src):  # literal prefix: fast scan
        start = m.start()
        if start and (src[start - 1 : start].isalnum() or src[start - 1 : start] in (b"_", b".")):
            continue
        before = src[src.rfind(b"\n", 0, start) + 1 : start]
        if _BIND_BEFORE.search(before):
            return True
        if _TARGET_BEFORE.match(before) and _BIND_AFTER.match(src, m.end()):
            return True
    return False


def rebound(ctx: Context, name: str) -> bool:
    """True when the file may bind ``name`` itself (so a builtin of that name is not sure).

    Deliberately coarse: any ``def``/``class``/assignment/import/``for``/``as``/parameter of
    the name anywhere in the file counts, even in another scope. A rule then skips its fix.
    """
    cache: dict[str, bool] = ctx.shared("pyfix.rebound", lambda c: {})
    if name not in cache:
        cache[name] = _binds(ctx, name)
    return cache[name]


def imports_module(ctx: Context, module: str) -> bool:
    """``import module`` (plain, not aliased) appears in the file."""

    def compute(c: Context) -> frozenset[str]:
        out: set[str] = set()
        for m in _IMPORT.finditer(c.source):
            if c.source[line_start(c.source, m.start()) : m.start()].strip():
                continue  # `from x import name`: not the module itself
            for part in m.group(1).split(b","):
                words = part.split()
                if len(words) == 1:
                    out.add(words[0].decode("utf-8", "replace"))
        return frozenset(out)

    names: frozenset[str] = ctx.shared("pyfix.imports", compute)
    return module in names


_IMPORT = re.compile(
    rb"import[ \t]+([\w., \t]+)"
)  # literal prefix; `from x import` lines too (harmless)


def imports_from(ctx: Context, module: str, name: str) -> bool:
    """``from module import ... name ...`` (unaliased) appears in the file."""
    key = f"pyfix.from.{module}"

    def compute(c: Context) -> frozenset[str]:
        out: set[str] = set()
        pat = (
            rb"from\s+" + re.escape(module.encode()) + rb"\s+import\s+(\([^)]*\)|[^\n#]*)"
        )  # literal prefix
        for m in re.finditer(pat, c.source):
            if c.source[line_start(c.source, m.start()) : m.start()].strip():
                continue
            for part in m.group(1).strip(b"()").split(b","):
                words = part.split()
                if len(words) == 1:
                    out.add(words[0].decode("utf-8", "replace"))
        return frozenset(out)

    names: frozenset[str] = ctx.shared(key, compute)
    return name in names


def target_version(ctx: Context) -> tuple[int, int]:
    """The project's oldest supported Python, from ``target-version`` (default 3.11)."""
    raw = str(ctx.setting("target-version", "3.11") or "3.11")
    m = re.match(r"\D*(\d+)\.(\d+)", raw) or re.match(r"\D*(\d)(\d+)", raw)
    return (int(m.group(1)), int(m.group(2))) if m else (3, 11)


def in_annotation(node: tree_sitter.Node) -> bool:
    """True when ``node`` is inside a type annotation (parameter, return, variable)."""
    parent = node.parent
    while parent is not None:
        if parent.type == "type":
            return True
        if parent.type.endswith(("statement", "definition", "_clause")) or parent.type in (
            "block",
            "module",
        ):
            return False
        parent = parent.parent
    return False


def is_simple_expr(node: tree_sitter.Node) -> bool:
    """A name or a dotted attribute chain of names: cheap and free of calls."""
    while node.type == "attribute":
        obj = node.child_by_field_name("object")
        if obj is None:
            return False
        node = obj
    return node.type == "identifier"


def paren(ctx: Context, node: tree_sitter.Node, loose: frozenset[str] = LOW_PRECEDENCE) -> str:
    """The node's text, parenthesized when its type binds looser than the context allows."""
    text = ctx.text(node)
    return f"({text})" if node.type in loose else text


def line_start(source: bytes, offset: int) -> int:
    return source.rfind(b"\n", 0, offset) + 1


def dedent_edits(ctx: Context, block: tree_sitter.Node, outer: str, unit: str) -> list[Edit] | None:
    """Edits that turn the indentation ``outer + unit`` into ``outer`` on every line of ``block``.

    None when that would change meaning or cannot be done exactly: a line inside a
    multi-line string or after a backslash continuation, or a code line that does not
    start with the expected indentation.
    """
    src = ctx.source
    text = src[block.start_byte : block.end_byte]
    if b'"""' in text or b"'''" in text or b"\\\n" in text or b"\\\r\n" in text:
        return None
    base = line_start(src, block.start_byte)
    if src[base : block.start_byte].strip():
        return None  # the block starts on the line of its header (inline body)
    full = (outer + unit).encode()
    skip, width = len(outer.encode()), len(unit.encode())
    edits: list[Edit] = []
    pos = base
    end = block.end_byte
    depth = 0  # bracket depth, so continuation lines inside (...) may be indented freely
    while pos < end:
        nl = src.find(b"\n", pos)
        nl = len(src) if nl < 0 else nl
        line = src[pos:nl]
        if line.strip():
            if line.startswith(full):
                edits.append(Edit(pos + skip, pos + skip + width, ""))
            elif depth == 0 and not line.lstrip().startswith(b"#"):
                return None
            depth += _bracket_delta(line)
        pos = nl + 1
    return edits


def _bracket_delta(line: bytes) -> int:
    # Strings were ruled out above only for the multi-line kind; brackets inside one-line
    # strings may miscount, which only makes dedent_edits more conservative.
    code = line.split(b"#", 1)[0]
    return sum(code.count(c) for c in (b"(", b"[", b"{")) - sum(
        code.count(c) for c in (b")", b"]", b"}")
    )


class PrefilteredRule(Rule):
    """A rule whose pattern can only match where its text appears.

    Patterns rooted at very common nodes (every call, string or identifier) make the
    engine's one combined query slow for every file. These rules instead declare
    ``prefilters``: pairs of a needle (``bytes in``, memmem speed) and a regular expression
    that starts with a literal (so ``re`` scans fast) finding the exact spots. Only the line
    of each hit is queried, so a file without, say, ``io.open`` pays one substring search.
    The needles and expressions are necessary conditions for a match: they only skip work.
    """

    prefilters: ClassVar[tuple[tuple[bytes, re.Pattern[bytes]], ...]]
    pattern: ClassVar[str]

    def accept(self, ctx: Context, start: int, end: int) -> bool:
        """A cheap second look at one hit (``source[start:end]``); False skips it."""
        return True

    def prepare(self, language: str) -> None:
        query(language, self.pattern)

    def hits(self, source: bytes) -> list[tuple[int, int]]:
        """(start, end) of every prefilter hit, in order."""
        found: list[tuple[int, int]] = []
        for needle, regex in self.prefilters:
            if needle in source:
                found.extend(m.span() for m in regex.finditer(source))
        if len(self.prefilters) > 1:
            found.sort()
        return found

    def check(self, ctx: Context) -> Iterable[Finding]:
        src = ctx.source
        spots = self.hits(src)
        if not spots:
            return
        # Nearby hits share one query range: fewer cursor runs, each over a few lines.
        ranges: list[list[int]] = []
        for start, end in spots:
            if not self.accept(ctx, start, end):
                continue
            begin = line_start(src, start)
            if ranges and begin <= ranges[-1][1] + 512:
                ranges[-1][1] = max(ranges[-1][1], end)
            else:
                ranges.append([begin, max(end, begin + 1)])
        if not ranges:
            return
        compiled = query(ctx.language, self.pattern)
        seen: set[tuple[int, ...]] = set()
        for begin, end in ranges:
            cursor = tree_sitter.QueryCursor(compiled)
            cursor.set_byte_range(begin, end)
            for index, captures in cursor.matches(ctx.root):
                key = (
                    index,
                    *sorted(
                        n.start_byte * 7919 + n.end_byte for ns in captures.values() for n in ns
                    ),
                )
                if key in seen:
                    continue
                seen.add(key)
                yield from self.on_match(ctx, captures)
