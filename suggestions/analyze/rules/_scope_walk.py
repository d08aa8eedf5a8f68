"""The walk that builds the scope model of ``_scope.py``: one pass over the tree.

Statements are dispatched by hand; every expression is walked with one tree cursor (no
Python-level child lists), reading ``kind_id`` integers, and the subtrees that cannot
read a name (plain strings, the ``.name`` of an attribute, the ``name=`` of a keyword
argument) are not entered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import tree_sitter

from analysis.languages import ts_language
from suggestions.analyze.framework import Context
from suggestions.analyze.rules._scope import DYNAMIC, Loop, Model, Scope

__all__ = ["build"]


def build(ctx: Context) -> Model:
    """The scope model of ``ctx``'s file (empty and invalid when the tree has errors)."""
    root = ctx.root
    if ctx.language != "python" or root.has_error:
        return Model(valid=False)
    walker = _Walker(ctx)
    try:
        walker.module(root)
    except RecursionError:
        return Model(valid=False)
    return walker.result


_LANG = ts_language("python")


def _kind(name: str) -> int:
    kind = _LANG.id_for_node_kind(name, True)
    assert kind is not None, name
    return kind


def _kinds(*names: str) -> frozenset[int]:
    return frozenset(_kind(n) for n in names)


K_ID = _kind("identifier")
K_KWARG = _kind("keyword_argument")
K_WALRUS = _kind("named_expression")
K_LAMBDA = _kind("lambda")
K_COMMENT = _kind("comment")
K_STRING = _kind("string")
K_COMPREHENSIONS = _kinds(
    "list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression"
)
K_SPECIAL = K_COMPREHENSIONS | {K_LAMBDA, K_COMMENT, K_STRING, K_KWARG, K_WALRUS}
K_ATTRIBUTE = _kind("attribute")
K_ASSIGNMENT = _kind("assignment")
K_AUGMENTED = _kind("augmented_assignment")
K_EXPRESSION_STATEMENT = _kind("expression_statement")

_TARGET_LISTS = frozenset(
    {
        "pattern_list",
        "tuple_pattern",
        "list_pattern",
        "tuple",
        "list",
        "parenthesized_expression",
        "expression_list",
        "list_splat_pattern",
        "list_splat",
        "as_pattern_target",
    }
)


class _Walker:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.src = ctx.source
        self.result = Model(valid=True)
        self.guarded = 0  # inside a try body whose handler catches NameError
        self.loop_stack: list[Loop] = []

    # -- scopes ---------------------------------------------------------------------

    def new_scope(self, kind: str, node: tree_sitter.Node, parent: Scope | None) -> Scope:
        scope = Scope(kind, node, parent, loops=tuple(self.loop_stack))
        self.result.scopes.append(scope)
        return scope

    def module(self, root: tree_sitter.Node) -> None:
        scope = self.new_scope("module", root, None)
        self.block(root, scope)
        getattr_defs = scope.bindings.get("__getattr__", ())
        if any(b.kind == "def" for b in getattr_defs) or scope.dynamic:
            self.result.dynamic_module = True
        if any(marker in self.src for marker in _DYNAMIC_MARKERS):
            self.result.dynamic_module = True

    def name(self, node: tree_sitter.Node) -> str:
        return self.src[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def bind(self, scope: Scope, node: tree_sitter.Node, kind: str, at: int) -> None:
        name = self.name(node)
        if name in scope.globals:
            scope = self.result.module
        scope.bind(name, kind, node.start_byte, node.end_byte, at)

    def load(self, scope: Scope, node: tree_sitter.Node) -> None:
        name = self.src[node.start_byte : node.end_byte].decode("utf-8", "replace")
        if name in _WATCHED:
            self.note_dynamic(scope, name, node.end_byte)
        if not self.guarded:
            scope.loads.setdefault(name, []).append(node.start_byte)

    # -- statements -----------------------------------------------------------------

    def block(self, node: tree_sitter.Node | None, scope: Scope) -> None:
        if node is None:
            return
        handlers = _BY_KIND
        for child in node.named_children:
            k = child.kind_id
            handler = handlers.get(k)
            if handler is not None:
                handler(self, child, scope)
            elif k == K_EXPRESSION_STATEMENT:
                self.expression_statement(child, scope)
            elif k != K_COMMENT:
                self.expr(child, scope)

    def expression_statement(self, node: tree_sitter.Node, scope: Scope) -> None:
        for child in node.named_children:
            k = child.kind_id
            if k == K_ASSIGNMENT:
                self.assignment(child, scope, child.end_byte)
            elif (
                k == K_STRING
                and b"f" not in self.src[child.start_byte : child.start_byte + 3].lower()
            ):
                continue  # a docstring (or another plain string): nothing to read
            elif k == K_AUGMENTED:
                left, right = child.child_by_field_name("left"), child.child_by_field_name("right")
                if right is not None:
                    self.expr(right, scope)
                if left is not None:
                    if left.kind_id == K_ID:
                        self.load(scope, left)
                        self.bind(scope, left, "aug", child.end_byte)
                    else:
                        self.expr(left, scope)
            else:
                self.expr(child, scope)

    def assignment(self, node: tree_sitter.Node, scope: Scope, at: int) -> None:
        left = node.child_by_field_name("left")
        annotation = node.child_by_field_name("type")
        right = node.child_by_field_name("right")
        if annotation is not None and scope.kind != "function":
            self.expr(annotation, scope)  # a local variable's annotation is never evaluated
        if right is not None:
            if right.kind_id == K_ASSIGNMENT:
                self.assignment(right, scope, at)
            else:
                self.expr(right, scope)
        if left is not None:
            # An annotation alone (``x: int``) binds nothing, but it declares the name
            # local; count it as a binding (lenient: never a false "undefined").
            self.target(left, scope, "assign" if right is not None else "annotation", at)

    def target(self, node: tree_sitter.Node, scope: Scope, kind: str, at: int) -> None:
        if node.kind_id == K_ID:
            self.bind(scope, node, kind, at)
        elif node.type in _TARGET_LISTS:
            for child in node.named_children:
                self.target(child, scope, kind, at)
        else:
            self.expr(node, scope)

    def for_statement(self, node: tree_sitter.Node, scope: Scope) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if right is not None:
            self.expr(right, scope)
        names: set[str] = set()
        if left is not None:
            self.target(left, scope, "for", right.end_byte if right is not None else left.end_byte)
            names = set(_identifiers(self, left))
        loop = Loop(node, frozenset(names), scope)
        self.result.loops.append(loop)
        self.loop_stack.append(loop)
        self.block(node.child_by_field_name("body"), scope)
        self.loop_stack.pop()
        self.clause_bodies(node.child_by_field_name("alternative"), scope)

    def while_statement(self, node: tree_sitter.Node, scope: Scope) -> None:
        condition = node.child_by_field_name("condition")
        if condition is not None:
            self.expr(condition, scope)
        self.block(node.child_by_field_name("body"), scope)
        self.clause_bodies(node.child_by_field_name("alternative"), scope)

    def if_statement(self, node: tree_sitter.Node, scope: Scope) -> None:
        for child in node.named_children:
            t = child.type
            if t == "block":
                self.block(child, scope)
            elif t in ("elif_clause", "else_clause"):
                self.if_statement(child, scope)
            elif child.kind_id != K_COMMENT:
                self.expr(child, scope)

    def clause_bodies(self, node: tree_sitter.Node | None, scope: Scope) -> None:
        if node is not None:
            for child in node.named_children:
                if child.type == "block":
                    self.block(child, scope)

    def try_statement(self, node: tree_sitter.Node, scope: Scope) -> None:
        guard = any(
            _catches_name_error(self, c) for c in node.named_children if c.type.startswith("except")
        )
        for child in node.named_children:
            t = child.type
            if t == "block":
                self.guarded += guard
                self.block(child, scope)
                self.guarded -= guard
            elif t in ("except_clause", "except_group_clause"):
                self.except_clause(child, scope)
            elif t in ("else_clause", "finally_clause"):
                self.clause_bodies(child, scope)

    def except_clause(self, node: tree_sitter.Node, scope: Scope) -> None:
        for child in node.named_children:
            if child.type == "block":
                self.block(child, scope)
            elif child.type == "as_pattern":
                alias = child.child_by_field_name("alias")
                first = child.named_children[0] if child.named_child_count else None
                if first is not None and first != alias:
                    self.expr(first, scope)
                if alias is not None:
                    self.target(alias, scope, "except", node.start_byte)
            elif child.kind_id != K_COMMENT:
                self.expr(child, scope)

    def with_statement(self, node: tree_sitter.Node, scope: Scope) -> None:
        for child in node.named_children:
            if child.type == "with_clause":
                for item in child.named_children:
                    value = item.child_by_field_name("value")
                    if value is not None and value.type == "as_pattern":
                        alias = value.child_by_field_name("alias")
                        first = value.named_children[0]
                        self.expr(first, scope)
                        if alias is not None:
                            self.target(alias, scope, "with", value.end_byte)
                    elif value is not None:
                        self.expr(value, scope)
            elif child.type == "block":
                self.block(child, scope)

    def decorated_definition(self, node: tree_sitter.Node, scope: Scope) -> None:
        for child in node.named_children:
            if child.type == "decorator":
                self.expr(child, scope)
            elif child.type == "function_definition":
                self.function_definition(child, scope)
            elif child.type == "class_definition":
                self.class_definition(child, scope)

    def type_scope(self, node: tree_sitter.Node, scope: Scope) -> Scope:
        """The annotation scope of ``def f[T]`` / ``class C[T]``, or ``scope`` without one."""
        params = node.child_by_field_name("type_parameters")
        if params is None:
            return scope
        inner = self.new_scope("annotation", node, scope)
        for ident in _identifier_nodes(params):
            inner.bind(self.name(ident), "type", ident.start_byte, ident.end_byte, node.start_byte)
        return inner

    def function_definition(self, node: tree_sitter.Node, scope: Scope) -> None:
        name = node.child_by_field_name("name")
        if name is not None:
            self.bind(scope, name, "def", node.end_byte)
        outer = self.type_scope(node, scope)
        returns = node.child_by_field_name("return_type")
        if returns is not None:
            self.expr(returns, outer)
        saved, self.loop_stack = self.loop_stack, self.loop_stack[:]
        inner = self.new_scope("function", node, outer)
        inner.in_class = scope.kind == "class"
        self.loop_stack = []
        guarded, self.guarded = self.guarded, 0
        params = node.child_by_field_name("parameters")
        if params is not None:
            self.parameters(params, inner, scope, outer, node.start_byte)
        self.block(node.child_by_field_name("body"), inner)
        self.loop_stack, self.guarded = saved, guarded

    def parameters(
        self, node: tree_sitter.Node, inner: Scope, outer: Scope, annotations: Scope, at: int
    ) -> None:
        for child in node.named_children:
            t = child.type
            if child.kind_id == K_ID:
                self.bind(inner, child, "param", at)
                continue
            value = child.child_by_field_name("value")
            if value is not None:
                self.expr(value, outer)
            annotation = child.child_by_field_name("type")
            if annotation is not None:
                self.expr(annotation, annotations)
            if t in ("default_parameter", "typed_default_parameter"):
                target = child.child_by_field_name("name")
                if target is not None:
                    self.target(target, inner, "param", at)
            elif t in (
                "typed_parameter",
                "list_splat_pattern",
                "dictionary_splat_pattern",
                "tuple_pattern",
            ):
                for ident in _identifier_nodes(child, stop=annotation):
                    self.bind(inner, ident, "param", at)

    def class_definition(self, node: tree_sitter.Node, scope: Scope) -> None:
        name = node.child_by_field_name("name")
        if name is not None:
            self.bind(scope, name, "class", node.end_byte)
        outer = self.type_scope(node, scope)
        bases = node.child_by_field_name("superclasses")
        if bases is not None:
            self.expr(bases, outer)
        saved, self.loop_stack = self.loop_stack, []
        guarded, self.guarded = self.guarded, 0
        inner = self.new_scope("class", node, outer)
        self.block(node.child_by_field_name("body"), inner)
        self.loop_stack, self.guarded = saved, guarded

    def import_statement(self, node: tree_sitter.Node, scope: Scope) -> None:
        for item in node.children_by_field_name("name"):
            if item.type == "aliased_import":
                alias = item.child_by_field_name("alias")
                if alias is not None:
                    self.bind(scope, alias, "import", node.end_byte)
            elif item.named_child_count:
                first = item.named_children[0]  # ``import a.b`` binds ``a``
                self.bind(scope, first if first.kind_id == K_ID else item, "import", node.end_byte)
        if any(c.type == "wildcard_import" for c in node.named_children):
            self.result.star_import = True

    def global_statement(self, node: tree_sitter.Node, scope: Scope) -> None:
        for ident in node.named_children:
            if ident.kind_id == K_ID:
                name = self.name(ident)
                if node.type == "global_statement":
                    scope.globals.add(name)
                    if scope is not self.result.module:
                        self.result.module.bind(
                            name, "global", ident.start_byte, ident.end_byte, node.end_byte
                        )
                else:
                    scope.nonlocals.add(name)

    def delete_statement(self, node: tree_sitter.Node, scope: Scope) -> None:
        for child in node.named_children:
            self.target(child, scope, "del", node.start_byte)

    def match_statement(self, node: tree_sitter.Node, scope: Scope) -> None:
        for child in node.named_children:
            if child.type == "block":
                for case in child.named_children:
                    if case.type == "case_clause":
                        self.case_clause(case, scope)
            elif child.kind_id != K_COMMENT:
                self.expr(child, scope)

    def case_clause(self, node: tree_sitter.Node, scope: Scope) -> None:
        for child in node.named_children:
            if child.type == "case_pattern":
                self.pattern(child, scope, node.start_byte)
            elif child.type == "if_clause":
                self.expr(child, scope)
            elif child.type == "block":
                self.block(child, scope)

    def pattern(self, node: tree_sitter.Node, scope: Scope, at: int) -> None:
        t = node.type
        if t == "dotted_name":
            idents = [c for c in node.named_children if c.kind_id == K_ID]
            parent = node.parent
            is_class = parent is not None and parent.type == "class_pattern"
            if len(idents) > 1 or is_class:
                self.load(scope, idents[0])  # a value pattern ``Color.RED`` / a class
            elif idents and self.name(idents[0]) != "_":
                self.bind(scope, idents[0], "match", at)
        elif node.kind_id == K_ID:
            if parent_type(node) != "keyword_pattern" or node.prev_named_sibling is not None:
                self.bind(scope, node, "match", at)
        elif t in ("string", "integer", "float", "concatenated_string", "true", "false", "none"):
            return
        else:
            for child in node.named_children:
                self.pattern(child, scope, at)

    def type_alias_statement(self, node: tree_sitter.Node, scope: Scope) -> None:
        left = node.child_by_field_name("left")
        if left is not None:
            first = next(_identifier_nodes(left), None)
            if first is not None:
                self.bind(scope, first, "type", node.end_byte)

    def nothing(self, node: tree_sitter.Node, scope: Scope) -> None:
        """``pass``, ``break``, ``continue``: nothing to read or bind."""

    def skip(self, node: tree_sitter.Node, scope: Scope) -> None:
        """Python 2 ``print``/``exec`` statements: this is not a Python 3 file."""
        self.result.valid = False

    # -- expressions ----------------------------------------------------------------

    def expr(self, node: tree_sitter.Node, scope: Scope) -> None:
        """Every read in an expression subtree, with one cursor; scopes inside go to their handlers.

        The hot loop of the model (a fifth of a scan's nodes are identifiers): locals
        instead of globals, no call per identifier, and subtrees that cannot read a name
        are not entered: plain strings, the ``.name`` of an attribute (only its object is
        walked), the ``name=`` of a keyword argument.
        """
        src = self.src
        loads: dict[str, list[int]] = {} if self.guarded else scope.loads
        ident, attribute, special, watched = K_ID, K_ATTRIBUTE, K_SPECIAL, _WATCHED
        c = node.walk()
        depth = 0
        only_first = [-1]  # depths whose later siblings are skipped (attribute names)
        while True:
            n = c.node
            k = n.kind_id  # type: ignore[union-attr]
            if k == ident:
                start, end = n.start_byte, n.end_byte  # type: ignore[union-attr]
                text = src[start:end].decode("utf-8", "replace")
                if text in watched:
                    self.note_dynamic(scope, text, end)
                seen = loads.get(text)
                if seen is None:
                    loads[text] = [start]
                else:
                    seen.append(start)
            elif k == attribute:
                if c.goto_first_child():  # the object; ``.name`` is skipped
                    depth += 1
                    only_first.append(depth)
                    continue
            elif k in special:
                if self.enter(c, n, k, scope):  # type: ignore[arg-type]
                    depth += 1
                    continue
            elif c.goto_first_child():
                depth += 1
                continue
            while depth:
                if only_first[-1] == depth:
                    only_first.pop()
                elif c.goto_next_sibling():
                    break
                c.goto_parent()
                depth -= 1
            if depth == 0:
                return

    def enter(self, c: tree_sitter.TreeCursor, n: tree_sitter.Node, k: int, scope: Scope) -> bool:
        """The rarer nodes of :meth:`expr`; True when the cursor went down into ``n``."""
        if k == K_STRING:
            # Only an f-string has reads inside: a prefix with f before the quote.
            return (
                b"f" in self.src[n.start_byte : n.start_byte + 3].lower() and c.goto_first_child()
            )
        if k in (K_KWARG, K_WALRUS):
            # The name comes first: skip it (a walrus binds it), go on with the value.
            if not c.goto_first_child():
                return False
            target = c.node
            if k == K_WALRUS and target is not None and target.kind_id == K_ID:
                self.bind(_walrus_scope(scope), target, "walrus", n.end_byte)
            c.goto_next_sibling()
            return True
        if k == K_LAMBDA:
            self.lambda_(n, scope)
        elif k != K_COMMENT:
            self.comprehension(n, scope)
        return False

    def note_dynamic(self, scope: Scope, name: str, end: int) -> None:
        if name in DYNAMIC:
            scope.dynamic = True
        elif _writes_globals(self.src, end):
            self.result.dynamic_module = True

    def lambda_(self, node: tree_sitter.Node, scope: Scope) -> None:
        inner = self.new_scope("lambda", node, scope)
        params = node.child_by_field_name("parameters")
        if params is not None:
            self.parameters(params, inner, scope, scope, node.start_byte)
        body = node.child_by_field_name("body")
        if body is not None:
            saved, self.loop_stack = self.loop_stack, []
            self.expr(body, inner)
            self.loop_stack = saved

    def comprehension(self, node: tree_sitter.Node, scope: Scope) -> None:
        inner = self.new_scope("comprehension", node, scope)
        clauses = [c for c in node.named_children if c.type in ("for_in_clause", "if_clause")]
        names: set[str] = set()
        for i, clause in enumerate(clauses):
            if clause.type == "for_in_clause":
                right = clause.child_by_field_name("right")
                if right is not None:
                    self.expr(right, scope if i == 0 else inner)
                left = clause.child_by_field_name("left")
                if left is not None:
                    self.target(left, inner, "comprehension", clause.start_byte)
                    names.update(_identifiers(self, left))
            else:
                self.expr(clause, inner)
        loop = Loop(node, frozenset(names), inner)
        self.loop_stack.append(loop)
        body = node.child_by_field_name("body")
        if body is not None:
            self.expr(body, inner)
        self.loop_stack.pop()


# Ways a module fills its own namespace at run time: enum's helpers export members as
# module names, and ``sys.modules[__name__]`` can be set on.
_WATCHED = DYNAMIC | {"globals"}
_DYNAMIC_MARKERS = (b"global_enum", b"._convert_(", b"sys.modules[__name__]")


def _writes_globals(src: bytes, end: int) -> bool:
    """``globals()`` used to add names: ``.update``, ``.setdefault``, ``[k] = ...``, or passed on."""
    tail = src[end : end + 16]
    if tail.startswith((b"().update", b"().setdefault", b"().__setitem__", b"()[")):
        return True
    before = src[max(0, end - 12) : end - 7].rstrip()
    return tail.startswith(b"()") and before.endswith((b",", b"(", b"="))


def parent_type(node: tree_sitter.Node) -> str:
    parent = node.parent
    return parent.type if parent is not None else ""


def _walrus_scope(scope: Scope) -> Scope:
    s = scope
    while s.kind == "comprehension" and s.parent is not None:
        s = s.parent
    return s


def _identifier_nodes(
    node: tree_sitter.Node, stop: tree_sitter.Node | None = None
) -> Iterator[tree_sitter.Node]:
    """The identifiers of a target or parameter subtree (not inside ``stop``, an annotation)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if stop is not None and n == stop:
            continue
        if n.kind_id == K_ID:
            yield n
        elif n.type not in ("attribute", "subscript"):
            stack.extend(reversed(n.named_children))


def _identifiers(walker: _Walker, node: tree_sitter.Node) -> Iterator[str]:
    return (walker.name(n) for n in _identifier_nodes(node))


def _catches_name_error(walker: _Walker, clause: tree_sitter.Node) -> bool:
    """An ``except`` clause catching NameError (alone, in a tuple) or everything (bare)."""
    types = [c for c in clause.named_children if c.type != "block" and c.kind_id != K_COMMENT]
    if not types:
        return True
    text = walker.src[types[0].start_byte : types[0].end_byte]
    return b"NameError" in text


_STATEMENTS: dict[str, Callable[[_Walker, tree_sitter.Node, Scope], None]] = {
    "expression_statement": _Walker.expression_statement,
    "for_statement": _Walker.for_statement,
    "while_statement": _Walker.while_statement,
    "if_statement": _Walker.if_statement,
    "try_statement": _Walker.try_statement,
    "with_statement": _Walker.with_statement,
    "function_definition": _Walker.function_definition,
    "class_definition": _Walker.class_definition,
    "decorated_definition": _Walker.decorated_definition,
    "import_statement": _Walker.import_statement,
    "import_from_statement": _Walker.import_statement,
    "future_import_statement": _Walker.import_statement,
    "global_statement": _Walker.global_statement,
    "nonlocal_statement": _Walker.global_statement,
    "delete_statement": _Walker.delete_statement,
    "match_statement": _Walker.match_statement,
    "type_alias_statement": _Walker.type_alias_statement,
    "print_statement": _Walker.skip,
    "exec_statement": _Walker.skip,
    "pass_statement": _Walker.nothing,
    "break_statement": _Walker.nothing,
    "continue_statement": _Walker.nothing,
}
_BY_KIND = {_kind(name): handler for name, handler in _STATEMENTS.items()}
