"""What the runtime rules (``runtime.py``, ``runtime_notes.py``) share: a module's functions
by qualified name, the file a suggestion is made for, and the suggestion itself."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tree_sitter

from analysis.hashing import content_hash
from analysis.inventory import read_source
from analysis.parsing import parse
from analysis.tracing import FunctionStats
from suggestions.analyze.framework import Rule
from suggestions.diff import patch_diff
from suggestions.model import Applicability, Patch, Source, Span, Suggestion, fingerprint_of

__all__ = [
    "TEST_FILE",
    "FunctionDef",
    "SourceFile",
    "function_defs",
    "header",
    "in_test",
    "load_file",
    "make_suggestion",
    "node_text",
    "parse_file",
    "text_hash",
    "walk",
]

TEST_FILE = re.compile(r"(^|/)(tests?/|test_[^/]*\.py$|[^/]*_test\.py$|conftest\.py$)")


@dataclass(frozen=True)
class FunctionDef:
    """A ``def`` found by tree-sitter, with the qualified name Python would give it."""

    qualname: str
    name: str
    def_line: int  # the `def` line (1-based)
    start_line: int  # first decorator line, else the def line (what co_firstlineno says)
    end_line: int
    node: tree_sitter.Node  # function_definition
    outer: tree_sitter.Node  # decorated_definition when decorated, else the function itself
    in_class: bool
    nested: bool


def function_defs(tree: tree_sitter.Tree) -> list[FunctionDef]:
    """Every function in a module with its ``__qualname__`` (``C.m``, ``f.<locals>.g``)."""
    out: list[FunctionDef] = []

    def walk_(node: tree_sitter.Node, prefix: str, in_class: bool, nested: bool) -> None:
        for child in node.named_children:
            target, outer = child, child
            if child.type == "decorated_definition":
                inner = child.child_by_field_name("definition")
                if inner is None:
                    continue
                target = inner
            if target.type == "function_definition":
                name_node = target.child_by_field_name("name")
                name = node_text(name_node) if name_node else "?"
                qual = f"{prefix}{name}"
                out.append(FunctionDef(qual, name, target.start_point[0] + 1, outer.start_point[0] + 1,
                                       target.end_point[0] + 1, target, outer, in_class, nested))
                body = target.child_by_field_name("body")
                if body is not None:
                    walk_(body, f"{qual}.<locals>.", False, True)
            elif target.type == "class_definition":
                name_node = target.child_by_field_name("name")
                body = target.child_by_field_name("body")
                if name_node is not None and body is not None:
                    walk_(body, f"{prefix}{node_text(name_node)}.", True, nested)
            elif child.type in ("if_statement", "try_statement", "with_statement", "else_clause", "elif_clause",
                                "except_clause", "finally_clause", "block", "for_statement", "while_statement"):
                walk_(child, prefix, in_class, nested)  # defs in blocks keep the enclosing prefix

    walk_(tree.root_node, "", False, False)
    return out


def node_text(node: tree_sitter.Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def text_hash(node: tree_sitter.Node) -> str:
    """A short hash of a node's text, whitespace-normalized: "is this still the same code?"."""
    return hashlib.sha1(" ".join(node_text(node).split()).encode()).hexdigest()[:16]


def walk(node: tree_sitter.Node) -> Iterable[tree_sitter.Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def in_test(path: str, fd: FunctionDef, defs: Iterable[FunctionDef] = ()) -> bool:
    """Test code: a test file (conftest too), a ``test_*`` function, one nested in it, a fixture."""
    if TEST_FILE.search(path):
        return True
    parts = fd.qualname.replace(".<locals>", "").split(".")
    if any(p.startswith("test_") or p.startswith("Test") for p in parts):
        return True
    outer = [d for d in defs if fd.qualname.startswith(d.qualname + ".<locals>.")]
    return any(re.search(r"@(pytest\.)?fixture\b", node_text(d.outer)[:200]) for d in [fd, *outer]
               if d.outer is not d.node)


@dataclass
class SourceFile:
    path: str
    data: bytes
    base_hash: str
    tree: tree_sitter.Tree
    defs: list[FunctionDef]

    def find(self, stats: FunctionStats) -> FunctionDef | None:
        for fd in self.defs:
            if fd.qualname == stats.name and stats.line in (fd.start_line, fd.def_line):
                return fd
        return self.named(stats.name)

    def named(self, qualname: str, text: str = "") -> FunctionDef | None:
        """The function called ``qualname`` (one with the text hash ``text`` when several are)."""
        same = [fd for fd in self.defs if fd.qualname == qualname]
        if len(same) > 1 and text:
            same = [fd for fd in same if text_hash(fd.outer) == text]
        return same[0] if len(same) == 1 else None


def parse_file(path: str, data: bytes) -> SourceFile:
    tree = parse("python", data)
    return SourceFile(path, data, content_hash(data), tree, function_defs(tree))


def load_file(root: Path, path: str, cache: dict[str, SourceFile | None]) -> SourceFile | None:
    if path in cache:
        return cache[path]
    f: SourceFile | None = None
    if path.endswith(".py"):
        try:
            src = read_source(root / path)
            tree = parse("python", src.data)
            f = SourceFile(path, src.data, src.raw_hash, tree, function_defs(tree))
        except (OSError, ValueError):
            f = None
    cache[path] = f
    return f


def make_suggestion(rule: type[Rule], f: SourceFile, span: tuple[tree_sitter.Node, tree_sitter.Node], title: str,
                    rationale: str, patch: Patch | None, evidence: dict[str, Any], target: str) -> Suggestion:
    """A suggestion of ``rule`` (its declared applicability, confidence and category) over the
    code from the start of ``span[0]`` to the end of ``span[1]``."""
    applicability = rule.applicability if patch is not None else Applicability.DISPLAY_ONLY
    first, last = span
    (sr, sc), (er, ec) = first.start_point, last.end_point
    return Suggestion(
        fingerprint=fingerprint_of(rule.code, f.path, target),
        code=rule.code,
        title=title,
        rationale=rationale,
        path=f.path,
        span=Span(sr + 1, sc, er + 1, ec, first.start_byte, last.end_byte),
        patch=patch,
        applicability=applicability,
        confidence=rule.confidence,
        source=Source.RUNTIME,
        category=rule.category.value,
        diff=patch_diff(patch, f.data) if patch else "",
        evidence=evidence,
    )


def header(fd: FunctionDef) -> str:
    body = fd.node.child_by_field_name("body")
    end = body.start_byte if body is not None else fd.node.end_byte
    return fd.node.text[: end - fd.node.start_byte].decode("utf-8", "replace") if fd.node.text else fd.qualname
