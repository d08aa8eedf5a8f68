"""Runs the selected rules over one parsed file and turns findings into suggestions.

Every rule's query for a language is folded into one compiled query, run once per file;
matches go back to the rule that owns the pattern. Selection (``select``/``ignore``/
``per-file-ignores``) and ``# kaizen: ignore[...]`` suppressions are applied here, so
rules never think about them.
"""

from __future__ import annotations

import bisect
import fnmatch
import itertools
import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import tree_sitter

from analysis.languages import query_text, ts_language
from analysis.parsing import ParsedFile
from analysis.symbols import SymbolRow, symbol_rows_from_matches
from suggestions.analyze.framework import Category, Context, Facts, Finding, Rule, static_rules
from suggestions.diff import patch_diff
from suggestions.model import (
    Applicability,
    Patch,
    Source,
    Span,
    Suggestion,
    fingerprint_of,
)

__all__ = ["SYNTAX_CODE", "Analyzer", "Selection"]

SYNTAX_CODE = "KZ001"
_SUPPRESS = re.compile(rb"#\s*kaizen:\s*ignore(?:\[([A-Za-z0-9_, ]*)\])?")


@dataclass(frozen=True)
class Selection:
    """Which codes run, globally and per file."""

    select: tuple[str, ...] = ("KZ",)
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def from_config(cls, values: dict[str, Any]) -> Selection:
        root = values.get("", values)
        return cls(
            tuple(root.get("select", ("KZ",))),
            tuple(root.get("ignore", ())),
            tuple((k, tuple(v)) for k, v in root.get("per-file-ignores", {}).items()),
        )

    def enabled(self, code: str) -> bool:
        return _matches(code, self.select) and not _matches(code, self.ignore)

    def enabled_in(self, code: str, path: str) -> bool:
        for pattern, codes in self.per_file_ignores:
            if _path_matches(path, pattern) and _matches(code, codes):
                return False
        return True


def _matches(code: str, prefixes: Iterable[str]) -> bool:
    return any(code.startswith(p) or fnmatch.fnmatchcase(code, p) or p in ("ALL", "*") for p in prefixes)


def _path_matches(path: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, pattern.rstrip("/") + "/*") or (
        "/" not in pattern and fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pattern)
    )


class _Compiled(NamedTuple):
    query: tree_sitter.Query
    owners: list[Rule | str | None]  # per pattern: its rule, a Facts key, or None for tags
    facts: tuple[str, ...]  # the Facts keys gathered in the pass


class Analyzer:
    """The static analysis engine for a fixed rule selection. Thread-safe."""

    def __init__(
        self,
        selection: Selection | None = None,
        settings: dict[str, Any] | None = None,
        rules: Sequence[type[Rule]] | None = None,
    ) -> None:
        self.selection = selection or Selection()
        self.settings = settings or {}
        self.rules = [r() for r in (rules if rules is not None else static_rules()) if self.selection.enabled(r.code)]
        self._queries: dict[str, _Compiled | None] = {}
        self._lock = threading.Lock()

    def _query_for(self, language: str) -> _Compiled | None:
        """Every enabled rule's patterns, the shared facts' and the symbol index's, as one query.

        One pass over the tree serves all of them: the traversal, not the number of
        patterns, is what a query costs. Owners: a rule, a :class:`Facts` key, or ``None``
        for the tag patterns.
        """
        with self._lock:
            if language in self._queries:
                return self._queries[language]
            parts: list[tuple[Rule | str | None, str]] = []
            facts: dict[str, Facts] = {}
            for rule in self.rules:
                if rule.query and language in rule.languages:
                    parts.append((rule, rule.query))
                if language in rule.languages or "*" in rule.languages:
                    for f in rule.facts:
                        facts.setdefault(f.key, f)
            for key, f in facts.items():
                source = f.query(language)
                if source:
                    parts.append((key, source))
            tags = query_text(language, "tags")
            if tags:
                parts.append((None, tags))
            compiled = None
            if parts:
                # One compilation (the dear part): each pattern's owner is found from where
                # the pattern starts in the joined source.
                starts = list(itertools.accumulate((len(src.encode()) + 1 for _, src in parts), initial=0))
                query = tree_sitter.Query(ts_language(language), "\n".join(src for _, src in parts))
                owners = [
                    parts[bisect.bisect_right(starts, query.start_byte_for_pattern(i)) - 1][0]
                    for i in range(query.pattern_count)
                ]
                compiled = _Compiled(query, owners, tuple(facts))
            self._queries[language] = compiled
            return compiled

    def prepare(self, language: str) -> None:
        """Compile the queries for ``language`` now rather than on first use."""
        self._query_for(language)
        for rule in self.rules:
            if language in rule.languages:
                rule.prepare(language)

    def findings(
        self,
        ctx: Context,
        symbol_matches: list[dict[str, list[tree_sitter.Node]]] | None = None,
        rules: bool = True,
    ) -> list[tuple[Rule, Finding]]:
        """Raw findings of every enabled rule, before suppression.

        When ``symbol_matches`` is a list, the tag matches for the symbol index are collected
        into it in the same pass.
        """
        out: list[tuple[Rule, Finding]] = []
        compiled = self._query_for(ctx.language)
        if compiled is not None and (rules or symbol_matches is not None):
            collected = ctx.collecting(compiled.facts if rules else ())
            owners = compiled.owners
            for pattern, captures in tree_sitter.QueryCursor(compiled.query).matches(ctx.root):
                owner = owners[pattern]
                if owner is None:
                    if symbol_matches is not None:
                        symbol_matches.append(captures)
                elif not rules:
                    continue
                elif isinstance(owner, str):
                    collected[owner].append(captures)
                else:
                    out.extend((owner, f) for f in owner.on_match(ctx, captures))
        if rules:
            for r in self.rules:
                if type(r).has_check() and (ctx.language in r.languages or "*" in r.languages):
                    out.extend((r, f) for f in r.check(ctx))
        return out

    def analyze_with_symbols(self, parsed: ParsedFile, base_hash: str) -> tuple[list[Suggestion], list[SymbolRow]]:
        """Suggestions and the symbol index rows of one file, from one pass of the combined query."""
        matches: list[dict[str, list[tree_sitter.Node]]] = []
        suggestions = self._analyze(parsed, base_hash, matches)
        return suggestions, symbol_rows_from_matches(matches, parsed.source)

    def analyze(self, parsed: ParsedFile, base_hash: str) -> list[Suggestion]:
        """Suggestions for one file. ``base_hash`` pins fixes to the file's content on disk."""
        return self._analyze(parsed, base_hash, None)

    def _analyze(
        self, parsed: ParsedFile, base_hash: str, symbol_matches: list[dict[str, list[tree_sitter.Node]]] | None
    ) -> list[Suggestion]:
        path, source = parsed.path, parsed.source
        ctx = Context(path, parsed.language, source, parsed.tree, self.settings)
        suppressed = _suppressions(source)
        results: list[Suggestion] = []
        occurrences: dict[tuple[str, str], int] = defaultdict(int)
        if parsed.has_errors and self.selection.enabled(SYNTAX_CODE) and self.selection.enabled_in(SYNTAX_CODE, path):
            for issue in parsed.issues[:5]:
                key = (SYNTAX_CODE, issue.message)
                occ = occurrences[key]
                occurrences[key] += 1
                results.append(
                    Suggestion(
                        fingerprint=fingerprint_of(SYNTAX_CODE, path, issue.message, occ),
                        code=SYNTAX_CODE,
                        title=issue.message.capitalize(),
                        rationale="The parser could not read this code; analysis around it is less precise.",
                        path=path,
                        span=Span(issue.line, issue.col, issue.end_line, issue.end_col),
                        patch=None,
                        applicability=Applicability.DISPLAY_ONLY,
                        confidence=1.0,
                        category=Category.CORRECTNESS.value,
                    )
                )
        per_file_off = {r.code for r in self.rules if not self.selection.enabled_in(r.code, path)}
        findings = self.findings(ctx, symbol_matches, rules=len(per_file_off) < len(self.rules))
        for rule, f in findings:
            if rule.code in per_file_off:
                continue
            line = f.node.start_point[0] + 1
            codes = suppressed.get(line)
            if codes is not None and (not codes or rule.code in codes):
                continue
            target_text = ctx.text(f.target or f.node)
            key = (rule.code, " ".join(target_text.split()))  # as fingerprint_of sees the text
            occ = occurrences[key]
            occurrences[key] += 1
            applicability = f.applicability or rule.applicability
            patch = Patch(path, base_hash, tuple(f.edits)) if f.edits else None
            if patch is None:
                applicability = Applicability.DISPLAY_ONLY
            rationale = rule.summary()
            if f.rationale:
                rationale = f"{f.rationale} {rationale}"
            last = f.end or f.node
            (sr, sc), (er, ec) = f.node.start_point, last.end_point
            results.append(
                Suggestion(
                    fingerprint=fingerprint_of(rule.code, path, target_text, occ),
                    code=rule.code,
                    # One line: a title quoting a multi-line expression would break the
                    # list's rows and line-oriented output.
                    title=" ".join(f.message.split()) if "\n" in f.message else f.message,
                    rationale=rationale,
                    path=path,
                    span=Span(sr + 1, sc, er + 1, ec, f.node.start_byte, last.end_byte),
                    patch=patch,
                    applicability=applicability,
                    confidence=rule.confidence,
                    source=Source.STATIC,
                    category=rule.category.value,
                    diff=patch_diff(patch, source) if patch else "",
                    evidence={"severity": rule.severity, **f.evidence},
                )
            )
        results.sort(key=lambda s: (s.span.start_line, s.span.start_col, s.code))
        return results


def _suppressions(source: bytes) -> dict[int, frozenset[str]]:
    """Line -> codes suppressed there (empty set: every code)."""
    if b"kaizen:" not in source:
        return {}
    out: dict[int, frozenset[str]] = {}
    for m in _SUPPRESS.finditer(source):
        line = source.count(b"\n", 0, m.start()) + 1
        codes = m.group(1)
        out[line] = (
            frozenset(c.strip() for c in codes.decode().split(",") if c.strip()) if codes is not None else frozenset()
        )
    return out
