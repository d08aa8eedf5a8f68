from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import enclosing_scope, word_positions
from suggestions.model import Applicability, Edit

# A module that defines or imports its own ``open`` (gzip, tarfile, ...) is not calling
# the builtin.
# Each alternative starts with a literal, so the regex engine can skip ahead quickly.
# The file binds its own ``open``. One pattern per form, each starting with a literal, so
# ``re`` skips ahead to it (an alternation is tried at every byte).
_OWN_OPEN = (
    re.compile(rb"def[ \t]+open\b"),
    re.compile(rb"import\b[^\n]*\bopen\b"),
    re.compile(rb"\nopen[ \t]*="),
)
# Handing the file to something that manages it.
_MANAGERS = ("enter_context", "closing", "push", "callback")


class OpenWithoutWith(Rule):
    """File opened without a ``with`` block.

    What it does:
        Flags calls to the builtin ``open()`` (and ``io.open``) whose file object is not
        managed: not the subject of a ``with``, not returned or yielded to the caller, not
        stored on an object, not handed to ``ExitStack.enter_context``/``closing``, and,
        when bound to a local name, never closed or entered in a ``with`` in that scope.
        Also the explicit-close form ``f = open(p)`` … ``f.close()`` in one block: the file
        leaks whenever anything in between raises (a ``close()`` in a ``finally`` is fine).

    Why is this bad?
        The file is closed only when the garbage collector gets to it: immediately in
        CPython by luck of reference counting, much later on PyPy or inside a reference
        cycle. Until then the descriptor leaks, buffered writes may not reach the disk,
        and Windows keeps the file locked. Python emits ``ResourceWarning`` for it.

    Example:
        ```python bad
        def load(path):
            return json.loads(open(path).read())
        ```
        ```python good
        def load(path):
            with open(path) as f:
                return json.loads(f.read())
        ```

    Fix safety:
        For the explicit-close form the ``with`` block is offered when the transformation
        is exact on the normal path: open and close are statements of the same block, each
        on its own line, the code between is straight-line (no ``return``, ``raise``,
        ``break``, ``continue`` or ``yield`` anywhere in it, no multi-line string that
        re-indenting would change, the name is not re-bound there) and the name is not used
        after the ``close()``; ``__exit__`` calls the same ``close()``. Unsafe, because it
        does change the exceptional path: when something in between raises, the file is now
        closed (and flushed) before the exception leaves, which is the point. Otherwise no
        automatic fix: the right extent of the ``with`` block depends on how long the file
        is used.
    """

    code = "KZ301"
    name = "open() without with"
    category = Category.RESOURCES
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.75
    severity = 0.5
    query = """
    (call function: (identifier) @fn (#eq? @fn "open")) @call
    (call function: (attribute object: (identifier) @mod attribute: (identifier) @fn)
      (#eq? @mod "io") (#eq? @fn "open")) @call
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call = captures["call"][0]
        if "mod" not in captures and ctx.shared("KZ301.own_open", _defines_open):
            return
        explicit = _explicit_close(ctx, call)
        if explicit is not None:
            yield explicit
            return
        if _managed(ctx, call):
            return
        yield Finding(
            call,
            f"`{_short(ctx.text(call))}` is not closed deterministically: use `with open(...) as f:`",
        )


_LEAVES = frozenset({"return_statement", "raise_statement", "break_statement", "continue_statement", "yield"})


def _explicit_close(ctx: Context, call: tree_sitter.Node) -> Finding | None:
    """``f = open(p)`` … ``f.close()`` as two statements of one block: a finding, with the
    ``with`` form as its fix when that is exact (see Fix safety)."""
    assign = call.parent
    if assign is None or assign.type != "assignment" or assign.child_by_field_name("right") != call:
        return None
    left = assign.child_by_field_name("left")
    stmt = assign.parent
    if left is None or left.type != "identifier" or stmt is None or stmt.type != "expression_statement":
        return None
    block = stmt.parent
    if block is None or block.type not in ("block", "module"):
        return None
    name = ctx.text(left)
    siblings = block.named_children
    i = next(k for k, n in enumerate(siblings) if n.id == stmt.id)
    close = next((n for n in siblings[i + 1:] if ctx.text(n).replace(" ", "") == f"{name}.close()"), None)
    if close is None:
        return None
    between = [n for n in siblings[i + 1:] if n.start_byte < close.start_byte]
    message = (f"`{name} = {_short(ctx.text(call))}` is closed by `{name}.close()` only if nothing in between "
               f"raises: use `with {_short(ctx.text(call))} as {name}:`")
    edit = _with_form(ctx, call, name, stmt, close, between)
    return Finding(stmt, message, edits=[edit] if edit is not None else None,
                   applicability=Applicability.UNSAFE if edit is not None else None)


def _with_form(ctx: Context, call: tree_sitter.Node, name: str, stmt: tree_sitter.Node, close: tree_sitter.Node,
               between: list[tree_sitter.Node]) -> Edit | None:
    src = ctx.source
    if not between or not _own_line(src, stmt) or not _own_line(src, close):
        return None
    todo = list(between)
    while todo:  # straight-line code only, no string re-indenting would change
        n = todo.pop()
        if n.type in _LEAVES or (n.type == "string" and n.start_point[0] != n.end_point[0]):
            return None
        if n.type not in ("function_definition", "lambda", "class_definition"):
            todo += n.children
    body_start = src.rfind(b"\n", 0, between[0].start_byte) + 1
    body_end = src.rfind(b"\n", 0, close.start_byte) + 1
    for pos in word_positions(src, name, body_start, body_end):
        tail = src[pos + len(name): pos + len(name) + 4].lstrip()
        head = src[max(0, pos - 8): pos]
        if (tail.startswith(b"=") and not tail.startswith(b"==")) or re.search(rb"(?:as|for|del)\s+$", head):
            return None  # re-bound in between
    scope = enclosing_scope(call)
    scope_end = scope.end_byte if scope is not None else len(src)
    if next(word_positions(src, name, close.end_byte, scope_end), None) is not None:
        return None  # used after the close
    line = src[src.rfind(b"\n", 0, stmt.start_byte) + 1: stmt.start_byte].decode()
    unit = "\t" if line.startswith("\t") else "    "
    body = src[body_start:body_end].decode("utf-8", "surrogateescape")
    indented = "".join(unit + ln if ln.strip() else ln for ln in body.splitlines(keepends=True))
    return Edit(stmt.start_byte, close.end_byte, f"with {ctx.text(call)} as {name}:\n" + indented.rstrip("\n"))


def _own_line(src: bytes, node: tree_sitter.Node) -> bool:
    start = src.rfind(b"\n", 0, node.start_byte) + 1
    end = src.find(b"\n", node.end_byte)
    end = len(src) if end < 0 else end
    rest = src[node.end_byte:end].strip()
    return not src[start:node.start_byte].strip() and (not rest or rest.startswith(b"#"))


def _defines_open(ctx: Context) -> bool:
    return any(p.search(ctx.source) is not None for p in _OWN_OPEN)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _managed(ctx: Context, call: tree_sitter.Node) -> bool:
    node = call
    parent = node.parent
    # Parentheses and conditional expressions pass the file through unchanged.
    while parent is not None and parent.type in (
        "parenthesized_expression",
        "conditional_expression",
    ):
        node, parent = parent, parent.parent
    if parent is None:
        return False
    t = parent.type
    if t in (
        "with_item",
        "as_pattern",
        "return_statement",
        "yield",
        "lambda",
        "keyword_argument",
        "pair",
    ):
        return True
    if t in ("expression_list", "tuple", "list", "argument_list") and parent.parent is not None:
        grand = parent.parent
        if grand.type in ("return_statement", "yield"):
            return True
        if t == "argument_list" and grand.type == "call":
            func = grand.child_by_field_name("function")
            name = ctx.text(func).rsplit(".", 1)[-1] if func is not None else ""
            # A wrapper (TextIOWrapper, closing, enter_context, a class) takes ownership.
            return name in _MANAGERS or name[:1].isupper()
        return False
    if t == "assignment":
        if parent.parent is not None and parent.parent.type == "assignment":
            return True  # a = b = open(...): too many owners to follow
        left = parent.child_by_field_name("left")
        if left is None or left.type != "identifier":
            return True  # self.f = open(...), a, b = ...: ownership moves elsewhere
        return _closed_later(ctx, call, ctx.text(left))
    return False


def _closed_later(ctx: Context, call: tree_sitter.Node, name: str) -> bool:
    """Whether the scope closes ``name``, enters it in ``with``, returns or hands it on."""
    scope = enclosing_scope(call)
    if scope is None or scope.type == "module":
        return True  # module-level handles usually live for the program: not our business
    src = ctx.source
    for pos in word_positions(src, name, call.end_byte, scope.end_byte):
        after = src[pos + len(name) : pos + len(name) + 8]
        before = src[max(0, pos - 12) : pos]
        if after.startswith(b".close") or after.startswith(b".__exit"):
            return True
        if re.search(rb"(?:with|return|yield|=)\s*$", before) or re.search(rb"[(,]\s*$", before):
            return True
    return False
