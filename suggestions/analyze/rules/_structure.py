"""Per-function structure facts for the structural analyzers (KZ701-KZ704), every language.

One tree-sitter query per language (built from the node lists in
:data:`analysis.languages.LANGUAGES`) captures functions, branch points and nesting
blocks; a single sweep over the captures, ordered by position, attributes each branch and
block to its innermost function. The result is cached on the :class:`Context`, so the four
rules share one pass.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import tree_sitter

from analysis.languages import LANGUAGES, query
from suggestions.analyze.framework import Context, Facts

__all__ = ["ALL_LANGUAGES", "STRUCTURE", "FunctionFacts", "functions", "threshold"]

ALL_LANGUAGES = tuple(LANGUAGES)

# Defaults mirror analysis.config SCHEMA [thresholds]; the engine passes the real values.
_DEFAULTS = {"function-lines": 80, "parameters": 6, "nesting": 4, "complexity": 12}

# Parameter-list entries that are not parameters a caller passes.
_NOT_PARAMETERS = frozenset(
    {
        "comment",
        "self_parameter",
        "receiver_parameter",
        "keyword_separator",
        "positional_separator",
        "line_comment",
        "block_comment",
        "(",
        ")",
    }
)
_IF_TYPES = frozenset({"if_statement", "if_expression"})


@dataclass
class FunctionFacts:
    node: tree_sitter.Node
    name: str
    name_node: tree_sitter.Node
    lines: int
    parameters: int
    complexity: int = 1
    max_depth: int = 0
    deepest: tree_sitter.Node | None = None
    branches: list[int] = field(default_factory=list)  # lines of the branch points


def threshold(ctx: Context, key: str) -> int:
    value = ctx.setting(f"thresholds.{key}", _DEFAULTS[key])
    try:
        return int(value)
    except (TypeError, ValueError):
        return _DEFAULTS[key]


@functools.cache
def _query_source(language: str) -> str:
    spec = LANGUAGES[language]
    parts = [f"[{' '.join(f'({t})' for t in spec.function_nodes)}] @function"]
    plain = [t for t in spec.branch_nodes if "&" not in t and "|" not in t]
    if plain:
        parts.append(f"[{' '.join(f'({t})' for t in plain)}] @branch")
    for entry in spec.branch_nodes:
        for op in ("&&", "||"):
            if entry.endswith(op):
                parts.append(f'({entry[: -len(op)]} operator: "{op}") @branch')
    if spec.block_nodes:
        parts.append(f"[{' '.join(f'({t})' for t in spec.block_nodes)}] @block")
    return "\n".join(parts)


# The engine gathers these captures in its single pass over the file (rules list it in
# ``facts``); outside the engine, _compute runs the query itself.
STRUCTURE = Facts("structure", _query_source)


def _is_else_if(node: tree_sitter.Node) -> bool:
    """An ``if`` that continues an ``else`` chain: it adds a branch, not a nesting level."""
    if node.type not in _IF_TYPES:
        return False
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "else_clause":
        return parent.named_child_count == 1
    return parent.type in _IF_TYPES and parent.child_by_field_name("alternative") == node


def _parameter_list(node: tree_sitter.Node) -> tree_sitter.Node | None:
    params = node.child_by_field_name("parameters") or node.child_by_field_name("parameter")
    if params is not None:
        return params
    declarator = node.child_by_field_name("declarator")  # C: through pointer declarators
    while declarator is not None:
        if declarator.type == "function_declarator":
            return declarator.child_by_field_name("parameters")
        declarator = declarator.child_by_field_name("declarator")
    return None


def _count_parameters(language: str, params: tree_sitter.Node | None, source: bytes) -> int:
    if params is None:
        return 0
    if params.type == "identifier":  # JS `x => ...`, Java `x -> ...`
        return 1
    count = 0
    first = True
    for child in params.named_children:
        if child.type in _NOT_PARAMETERS:
            continue
        if language == "python" and first:
            first = False
            text = source[child.start_byte : child.end_byte].split(b":", 1)[0].strip()
            if text in (b"self", b"cls"):
                continue
        first = False
        if language == "go" and child.type == "parameter_declaration":
            names = child.children_by_field_name("name")
            count += max(1, len(names))
            continue
        if (
            language == "c"
            and child.type == "parameter_declaration"
            and source[child.start_byte : child.end_byte].strip() == b"void"
        ):
            continue
        count += 1
    return count


def _name_of(node: tree_sitter.Node, source: bytes) -> tuple[str, tree_sitter.Node]:
    name = node.child_by_field_name("name")
    if name is None:
        declarator = node.child_by_field_name("declarator")
        while declarator is not None and name is None:
            if declarator.type in ("identifier", "field_identifier"):
                name = declarator
            else:
                declarator = declarator.child_by_field_name("declarator")
    if (
        name is None
        and node.parent is not None
        and node.parent.type in ("variable_declarator", "assignment_expression")
    ):
        name = node.parent.child_by_field_name("name") or node.parent.child_by_field_name("left")
    if name is None:
        return "<anonymous>", node
    return source[name.start_byte : name.end_byte].decode("utf-8", "replace"), name


def _compute(ctx: Context) -> list[FunctionFacts]:
    # kind: 0 function, 1 block, 2 branch; functions first at the same start so they own what they hold
    kinds = {"function": 0, "block": 1, "branch": 2}
    matches = ctx.collected(STRUCTURE)
    if matches is None:
        matches = [tree_sitter.QueryCursor(query(ctx.language, _query_source(ctx.language))).captures(ctx.root)]
    events: list[tuple[int, int, int, tree_sitter.Node]] = [
        (node.start_byte, -node.end_byte, kinds[label], node)
        for captures in matches
        for label, nodes in captures.items()
        for node in nodes
    ]
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    out: list[FunctionFacts] = []
    # Stack of open ranges: (end_byte, facts or None for a block, depth of the block).
    stack: list[tuple[int, FunctionFacts | None, int]] = []
    src = ctx.source
    for start, neg_end, kind, node in events:
        end = -neg_end
        while stack and stack[-1][0] <= start and not (stack[-1][0] == start == end):
            stack.pop()
        owner: FunctionFacts | None = None
        depth = 0
        for _entry_end, facts, entry_depth in reversed(stack):
            if facts is not None:
                owner = facts
                break
            depth = max(depth, entry_depth)
        if kind == 0:
            name, name_node = _name_of(node, src)
            facts = FunctionFacts(
                node,
                name,
                name_node,
                node.end_point[0] - node.start_point[0] + 1,
                _count_parameters(ctx.language, _parameter_list(node), src),
            )
            out.append(facts)
            stack.append((end, facts, 0))
        elif kind == 1:
            level = depth if _is_else_if(node) else depth + 1
            stack.append((end, None, level))
            if owner is not None and level > owner.max_depth:
                owner.max_depth = level
                owner.deepest = node
        elif owner is not None:
            owner.complexity += 1
            owner.branches.append(node.start_point[0] + 1)
    return out


def functions(ctx: Context) -> list[FunctionFacts]:
    """Facts for every function of the file (computed once per file)."""
    result: list[FunctionFacts] = ctx.shared("structure.functions", _compute)
    return result
