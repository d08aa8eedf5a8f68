"""One file of a change being validated: its bytes before and after, and what the edit touches.

A suggestion is a change set of one file; ``kaizen validate --diff`` gives one per file of
the diff. :func:`prepare` applies a patch to the sandbox's copy of the file (in the file's own
encoding), checks that the result still parses, and works out the affected region (for test
selection, mutants and replay) and the changed lines that hold code (what the validation
run records as executed).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import tree_sitter

from analysis.inventory import decode_source, encode_source
from analysis.languages import language_for_path
from analysis.parsing import parse, syntax_issues
from suggestions.model import Patch, Validation, ValidationStatus
from suggestions.validate.coverage import (
    AST_LOCK,
    Region,
    affected_region,
    changed_code_lines,
    new_side,
)

__all__ = ["Change", "prepare"]


@dataclass(frozen=True)
class Change:
    """A patch applied to its file, ready to be tested."""

    patch: Patch
    raw: bytes  # the file as the sandbox holds it (b"" for a file the change creates)
    new_raw: bytes  # the patched file, in the file's own encoding
    data: bytes  # UTF-8 text of ``raw`` (what edit offsets index)
    new_data: bytes
    language: str | None
    tree: tree_sitter.Tree | None
    region: Region
    lines: tuple[int, ...] | None  # changed code lines of the patched file (None: not Python, or no compile)

    @property
    def rel(self) -> str:
        return self.patch.path

    @property
    def python(self) -> bool:
        return self.language == "python"

    @property
    def ranges(self) -> tuple[tuple[int, int], ...]:
        """1-based inclusive line ranges of the original that the patch changes (its functions,
        or the changed lines for module-level code)."""
        if not self.region.module_level and self.region.functions:
            return self.region.functions
        return (self.region.changed_lines,)

    def texts(self) -> tuple[str, str]:
        return (self.data.decode("utf-8", "replace"), self.new_data.decode("utf-8", "replace"))


def prepare(box: Path, patch: Patch) -> Change | Validation:
    """The change ``patch`` makes to the sandbox ``box``'s copy of its file, or the verdict
    when that already decides (it does not apply, or the result does not parse)."""
    rel = patch.path
    target = box / rel
    raw = target.read_bytes() if target.exists() else b""
    try:
        text, encoding, _fb, bom = decode_source(raw)
        data = text.encode("utf-8", "surrogatepass")
        new_data = patch.apply(data)
        new_raw = encode_source(new_data.decode("utf-8", "surrogatepass"), encoding, bom)
    except (ValueError, UnicodeError) as exc:
        return Validation(ValidationStatus.ERROR, log=f"the patch cannot be applied to {rel}: {exc}")
    language = language_for_path(rel)
    tree = parse(language, data) if language else None
    problem = _parse_problem(language, tree, data, new_data)
    if problem:
        return Validation(ValidationStatus.FAILED, log=f"the patched {rel} does not parse: {problem}")
    edits = [(e.start, e.end) for e in patch.edits]
    region = affected_region(language, tree, data, edits)
    lines = None
    if language == "python":
        spans = new_side([(e.start, e.end, len(e.replacement.encode("utf-8"))) for e in patch.edits])
        lines = changed_code_lines(new_data, str(box / rel), spans)
    return Change(patch, raw, new_raw, data, new_data, language, tree, region, lines)


def _parse_problem(language: str | None, tree: tree_sitter.Tree | None, data: bytes, new_data: bytes) -> str:
    if language is None:
        return ""
    new_tree = parse(language, new_data)
    if new_tree.root_node.has_error and not (tree is not None and tree.root_node.has_error):
        issues = syntax_issues(new_tree, new_data)
        return f"line {issues[0].line}: {issues[0].message}" if issues else "syntax error"
    if language == "python":
        # One parse at a time: on 3.11, ast.parse in two threads at once can fail with
        # "SystemError: AST constructor recursion depth mismatch" (CPython gh-106905), and
        # validations run in parallel threads.
        with AST_LOCK:
            try:
                ast.parse(data)
            except (SyntaxError, ValueError):
                return ""  # the original does not compile either; nothing to compare against
            try:
                ast.parse(new_data)
            except (SyntaxError, ValueError) as exc:
                return f"line {getattr(exc, 'lineno', '?')}: {getattr(exc, 'msg', exc)}"
    return ""

