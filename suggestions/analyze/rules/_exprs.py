"""Helpers for the pattern-based bug rules (KZ125 and up): literal values, call arguments,
and "this code runs to see it fail" contexts.

Not a rule module (the leading underscore keeps discovery away). Every helper looks at one
small subtree or a short chain of parents, never at the whole file.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass, field

import tree_sitter

from suggestions.analyze.framework import Context

__all__ = [
    "EXCEPTIONS",
    "Args",
    "call_args",
    "dotted",
    "expects_error",
    "handler_classes",
    "has_side_effects",
    "in_test_file",
    "literal_string",
    "same_text",
]

# Builtin exception classes by name (aliases such as IOError map to the same class).
EXCEPTIONS: dict[str, type[BaseException]] = {
    name: obj
    for name, obj in vars(builtins).items()
    if isinstance(obj, type) and issubclass(obj, BaseException)
}
# Module-level aliases of builtin exceptions, as written in code.
EXCEPTIONS.update({"socket.error": OSError, "select.error": OSError, "os.error": OSError})

_SCOPES = frozenset({"function_definition", "class_definition", "lambda", "module"})
# Context managers that watch their block for an exception or a warning.
_WATCHERS = ("raises", "warns", "warning", "deprecat", "suppress", "assertlogs", "error")
_EFFECTS = frozenset(
    {"call", "await", "yield", "named_expression", "assignment", "augmented_assignment"}
)


@dataclass
class Args:
    """The arguments of one call, split by kind."""

    positional: list[tree_sitter.Node] = field(default_factory=list)
    keywords: dict[str, tree_sitter.Node] = field(default_factory=dict)
    star: bool = False  # a ``*args`` splat: the positional count is unknown
    double_star: bool = False  # a ``**kwargs`` splat: the keywords are unknown


def call_args(ctx: Context, arguments: tree_sitter.Node | None) -> Args:
    out = Args()
    if arguments is None or arguments.type != "argument_list":
        out.star = out.double_star = True  # a generator argument: treat as unknown
        return out
    for arg in arguments.named_children:
        t = arg.type
        if t == "comment":
            continue
        if t == "list_splat":
            out.star = True
        elif t == "dictionary_splat":
            out.double_star = True
        elif t == "keyword_argument":
            name = arg.child_by_field_name("name")
            value = arg.child_by_field_name("value")
            if name is not None and value is not None:
                out.keywords[ctx.text(name)] = value
        else:
            out.positional.append(arg)
    return out


def dotted(ctx: Context, node: tree_sitter.Node | None) -> str | None:
    """``a.b.c`` for a name or an attribute chain of names, else None."""
    if node is None:
        return None
    cur = node
    while cur.type == "attribute":
        obj = cur.child_by_field_name("object")
        if obj is None:
            return None
        cur = obj
    if cur.type != "identifier":
        return None
    return "".join(ctx.text(node).split())


def literal_string(ctx: Context, node: tree_sitter.Node) -> str | bytes | None:
    """The value of a plain string or bytes literal (concatenations too); None for f-strings."""
    if node.type == "concatenated_string":
        parts = [literal_string(ctx, c) for c in node.named_children]
        if not parts or any(p is None for p in parts):
            return None
        if all(isinstance(p, str) for p in parts):
            return "".join(p for p in parts if isinstance(p, str))
        if all(isinstance(p, bytes) for p in parts):
            return b"".join(p for p in parts if isinstance(p, bytes))
        return None
    if node.type != "string" or any(c.type == "interpolation" for c in node.children):
        return None
    text = ctx.text(node)
    head = text[:3].lower()
    if "f" in head.split("'")[0].split('"')[0] or "t" in head.split("'")[0].split('"')[0]:
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, (str, bytes)) else None


def has_side_effects(node: tree_sitter.Node) -> bool:
    """Whether an expression contains a call, ``await``, ``yield`` or an assignment."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur.type in _EFFECTS:
            return True
        if cur.type == "lambda":
            continue
        stack.extend(cur.named_children)
    return False


def same_text(ctx: Context, a: tree_sitter.Node, b: tree_sitter.Node) -> bool:
    """Two expressions spelled the same (whitespace and comments aside)."""
    return _normal(ctx, a) == _normal(ctx, b)


def _normal(ctx: Context, node: tree_sitter.Node) -> str:
    text = ctx.text(node)
    if "#" in text or "\n" in text:
        text = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    return "".join(text.split())


def expects_error(ctx: Context, node: tree_sitter.Node, within_try: bool = True) -> bool:
    """Whether ``node`` runs to see it raise or warn: inside a ``with assertRaises(...)`` /
    ``pytest.raises`` / ``suppress`` ... block, or (``within_try``) a ``try`` body whose
    handlers catch something, in the same function."""
    child = node
    parent = node.parent
    while parent is not None and parent.type not in _SCOPES:
        if parent.type == "with_statement":
            clause = next((c for c in parent.children if c.type == "with_clause"), None)
            text = ctx.text(clause).lower() if clause is not None else ""
            if any(w in text for w in _WATCHERS):
                return True
        elif (
            within_try
            and parent.type == "try_statement"
            and parent.child_by_field_name("body") == child
            and any(c.type in ("except_clause", "except_group_clause") for c in parent.children)
        ):
            return True
        child, parent = parent, parent.parent
    return False


def in_test_file(ctx: Context) -> bool:
    """A test module (``test_*.py``, ``*_test.py``, ``conftest.py`` or under ``tests/``)."""
    path = ctx.path.replace("\\", "/")
    name = path.rsplit("/", 1)[-1]
    return bool(_TEST_NAME.search(name)) or "/test/" in f"/{path}" or "/tests/" in f"/{path}"


_TEST_NAME = re.compile(r"^(test_.*|.*_test|conftest|tests?)\.py$")


def handler_classes(
    ctx: Context, clause: tree_sitter.Node
) -> list[tuple[tree_sitter.Node, str]] | None:
    """``(node, dotted name)`` of each class an ``except`` clause names; None when one of
    them is not a plain (dotted) name (``except get_errors():``) or the clause is bare."""
    value = clause.child_by_field_name("value")
    if value is None:
        kids = [c for c in clause.named_children if c.type not in ("block", "comment")]
        value = kids[0] if kids else None
    if value is None:
        return None
    if value.type == "as_pattern":
        value = value.named_children[0] if value.named_children else None
        if value is None:
            return None
    while value.type == "parenthesized_expression" and value.named_child_count == 1:
        value = value.named_children[0]
    items = (
        [c for c in value.named_children if c.type != "comment"]
        if value.type == "tuple"
        else [value]
    )
    out: list[tuple[tree_sitter.Node, str]] = []
    for item in items:
        name = dotted(ctx, item)
        if name is None:
            return None
        out.append((item, name))
    return out
