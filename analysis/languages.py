"""The languages Kaizen parses: extensions, tree-sitter grammars (from wheels) and queries.

Grammars come from per-language wheels and load lazily, so nothing is downloaded and a
project with only Python files never loads the Rust grammar.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from pathlib import Path

import tree_sitter

__all__ = ["LANGUAGES", "LanguageSpec", "language_for_path", "query_text", "ts_language"]

QUERIES = Path(__file__).resolve().parent.parent / "resources" / "queries"


@dataclass(frozen=True)
class LanguageSpec:
    name: str
    extensions: tuple[str, ...]
    module: str
    function: str = "language"
    pygments: str = ""  # lexer alias for highlighting
    # Node types that open a function body / a block, for the structural analyzers.
    function_nodes: tuple[str, ...] = ()
    branch_nodes: tuple[str, ...] = ()
    block_nodes: tuple[str, ...] = ()


LANGUAGES: dict[str, LanguageSpec] = {
    spec.name: spec
    for spec in (
        LanguageSpec(
            "python",
            (".py", ".pyi", ".pyw"),
            "tree_sitter_python",
            pygments="python",
            function_nodes=("function_definition",),
            branch_nodes=(
                "if_statement", "elif_clause", "for_statement", "while_statement",
                "except_clause", "boolean_operator", "conditional_expression",
                "for_in_clause", "if_clause", "case_clause", "with_statement",
            ),
            block_nodes=(
                "if_statement", "for_statement", "while_statement", "try_statement",
                "with_statement", "match_statement",
            ),
        ),
        LanguageSpec(
            "javascript",
            (".js", ".mjs", ".cjs", ".jsx"),
            "tree_sitter_javascript",
            pygments="javascript",
            function_nodes=(
                "function_declaration", "function_expression", "arrow_function",
                "method_definition", "generator_function_declaration",
            ),
            branch_nodes=(
                "if_statement", "for_statement", "for_in_statement", "while_statement",
                "do_statement", "catch_clause", "ternary_expression", "switch_case",
                "binary_expression&&", "binary_expression||",
            ),
            block_nodes=(
                "if_statement", "for_statement", "for_in_statement", "while_statement",
                "do_statement", "try_statement", "switch_statement",
            ),
        ),
        LanguageSpec(
            "typescript",
            (".ts", ".mts", ".cts"),
            "tree_sitter_typescript",
            "language_typescript",
            pygments="typescript",
            function_nodes=(
                "function_declaration", "function_expression", "arrow_function",
                "method_definition", "generator_function_declaration",
            ),
            branch_nodes=(
                "if_statement", "for_statement", "for_in_statement", "while_statement",
                "do_statement", "catch_clause", "ternary_expression", "switch_case",
                "binary_expression&&", "binary_expression||",
            ),
            block_nodes=(
                "if_statement", "for_statement", "for_in_statement", "while_statement",
                "do_statement", "try_statement", "switch_statement",
            ),
        ),
        LanguageSpec(
            "tsx",
            (".tsx",),
            "tree_sitter_typescript",
            "language_tsx",
            pygments="tsx",
            function_nodes=(
                "function_declaration", "function_expression", "arrow_function",
                "method_definition", "generator_function_declaration",
            ),
            branch_nodes=(
                "if_statement", "for_statement", "for_in_statement", "while_statement",
                "do_statement", "catch_clause", "ternary_expression", "switch_case",
                "binary_expression&&", "binary_expression||",
            ),
            block_nodes=(
                "if_statement", "for_statement", "for_in_statement", "while_statement",
                "do_statement", "try_statement", "switch_statement",
            ),
        ),
        LanguageSpec(
            "go",
            (".go",),
            "tree_sitter_go",
            pygments="go",
            function_nodes=("function_declaration", "method_declaration", "func_literal"),
            branch_nodes=(
                "if_statement", "for_statement", "expression_case", "type_case",
                "communication_case", "binary_expression&&", "binary_expression||",
            ),
            block_nodes=(
                "if_statement", "for_statement", "expression_switch_statement",
                "type_switch_statement", "select_statement",
            ),
        ),
        LanguageSpec(
            "rust",
            (".rs",),
            "tree_sitter_rust",
            pygments="rust",
            function_nodes=("function_item", "closure_expression"),
            branch_nodes=(
                "if_expression", "for_expression", "while_expression", "loop_expression",
                "match_arm", "binary_expression&&", "binary_expression||",
            ),
            block_nodes=(
                "if_expression", "for_expression", "while_expression", "loop_expression",
                "match_expression",
            ),
        ),
        LanguageSpec(
            "java",
            (".java",),
            "tree_sitter_java",
            pygments="java",
            function_nodes=("method_declaration", "constructor_declaration", "lambda_expression"),
            branch_nodes=(
                "if_statement", "for_statement", "enhanced_for_statement", "while_statement",
                "do_statement", "catch_clause", "ternary_expression", "switch_label",
                "binary_expression&&", "binary_expression||",
            ),
            block_nodes=(
                "if_statement", "for_statement", "enhanced_for_statement", "while_statement",
                "do_statement", "try_statement", "switch_expression",
            ),
        ),
        LanguageSpec(
            "c",
            (".c", ".h"),
            "tree_sitter_c",
            pygments="c",
            function_nodes=("function_definition",),
            branch_nodes=(
                "if_statement", "for_statement", "while_statement", "do_statement",
                "case_statement", "conditional_expression",
                "binary_expression&&", "binary_expression||",
            ),
            block_nodes=(
                "if_statement", "for_statement", "while_statement", "do_statement",
                "switch_statement",
            ),
        ),
    )
}

_BY_EXTENSION = {ext: spec.name for spec in LANGUAGES.values() for ext in spec.extensions}


def language_for_path(path: str | Path) -> str | None:
    """The language name for a file, by extension; None for files Kaizen does not parse."""
    return _BY_EXTENSION.get(Path(path).suffix.lower())


@functools.cache
def ts_language(name: str) -> tree_sitter.Language:
    spec = LANGUAGES[name]
    module = importlib.import_module(spec.module)
    return tree_sitter.Language(getattr(module, spec.function)())


@functools.cache
def query_text(language: str, kind: str) -> str:
    """The text of ``resources/queries/<language>-<kind>.scm`` (empty when absent)."""
    path = QUERIES / f"{language}-{kind}.scm"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


@functools.cache
def query(language: str, source: str) -> tree_sitter.Query:
    """A compiled query (cached: compiling is much dearer than running)."""
    return tree_sitter.Query(ts_language(language), source)
