"""The rule framework: one small file per rule, ``suggestions/analyze/rules/<folder>/<slug>.py``.

A rule is a subclass of :class:`Rule` whose module name is its slug, in the folder of its
category (``correctness/``, ``performance/``... ``structure/``), or ``runtime/`` and ``llm/``
for the rules whose suggestions come from a trace (KZ8xx, :class:`RuntimeRule`) or from a
model (KZ9xx, :class:`LlmRule`). It declares its code, category, fix applicability and
confidence. A static rule finds problems in one of two ways:

* ``query``: a tree-sitter query (a plain pattern, kept as data). The engine folds every
  rule's query for a language into one compiled query, runs it once per file, and hands
  each rule its own matches through :meth:`Rule.on_match`. One pass, whatever the number
  of rules.
* :meth:`Rule.check`: whole-file logic for what a pattern cannot say (unused names, say).
  Shared per-file facts live on the :class:`Context` and are computed once.

A runtime or LLM rule only declares: its detection runs where its data is
(``suggestions/analyze/runtime.py`` over the latest trace, ``suggestions/llm/targets.py``
for what a model is asked), and that code takes the code, category, applicability and
confidence from the declaration.

The class docstring documents the rule (*What it does / Why is this bad? / Example / Fix
safety*); the meta-test parses its ``python bad`` and ``python good`` fenced blocks and, for
a static rule, runs them: the bad one must be flagged, the good one not.
"""

from __future__ import annotations

import enum
import functools
import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import tree_sitter

from suggestions.model import Applicability, Edit, Source

__all__ = [
    "Category",
    "Context",
    "Facts",
    "Finding",
    "LlmRule",
    "Rule",
    "RuntimeRule",
    "all_rules",
    "docstring_examples",
    "node_text",
    "rule_for",
    "static_rules",
]


class Category(enum.StrEnum):
    CORRECTNESS = "correctness"
    PERFORMANCE = "performance"
    RESOURCES = "resources"
    SIMPLIFICATION = "simplification"
    MODERNIZATION = "modernization"
    STYLE = "style"
    STRUCTURE = "structure"


@dataclass(slots=True)
class Finding:
    """What a rule reports: where, what, and (optionally) the exact fix."""

    node: tree_sitter.Node  # the span the finding points at
    message: str  # specific title, e.g. "Mutable default argument `items=[]`"
    edits: list[Edit] | None = None  # None: no fix (display only)
    target: tree_sitter.Node | None = None  # text used for the fingerprint (default: node)
    applicability: Applicability | None = None  # overrides the rule's (e.g. unsafe here)
    rationale: str = ""  # extra, finding-specific explanation
    evidence: dict[str, Any] = field(default_factory=dict)
    end: tree_sitter.Node | None = None  # the span runs to this node's end (default: node's)


@dataclass(frozen=True)
class Facts:
    """Per-file captures that several rules share, gathered in the engine's single pass.

    ``query(language)`` gives the patterns (or None where the language has none); the
    engine folds them into its combined query and leaves each file's matches in
    :meth:`Context.collected` under ``key``. A rule that needs them lists the Facts in
    its ``facts`` so the engine knows to gather them.
    """

    key: str
    query: Callable[[str], str | None]


def node_text(node: tree_sitter.Node, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


class Context:
    """One file under analysis, with lazily computed facts that several rules share."""

    def __init__(
        self,
        path: str,
        language: str,
        source: bytes,
        tree: tree_sitter.Tree,
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.path = path
        self.language = language
        self.source = source
        self.tree = tree
        self.settings = settings or {}
        self._cache: dict[str, Any] = {}
        # Facts key -> matches, filled by the engine's pass (absent outside the engine).
        self._collected: dict[str, list[dict[str, list[tree_sitter.Node]]]] = {}

    @property
    def root(self) -> tree_sitter.Node:
        return self.tree.root_node

    def text(self, node: tree_sitter.Node) -> str:
        return node_text(node, self.source)

    def shared(self, key: str, compute: Callable[[Context], Any]) -> Any:
        """A per-file fact computed once, whichever rule asks first."""
        if key not in self._cache:
            self._cache[key] = compute(self)
        return self._cache[key]

    def collecting(self, keys: Iterable[str]) -> dict[str, list[dict[str, list[tree_sitter.Node]]]]:
        """Empty match lists for these Facts keys, for the engine's pass to fill."""
        fresh: dict[str, list[dict[str, list[tree_sitter.Node]]]] = {key: [] for key in keys}
        self._collected.update(fresh)
        return fresh

    def collected(self, facts: Facts) -> list[dict[str, list[tree_sitter.Node]]] | None:
        """The matches of ``facts`` from the engine's pass, or None if it did not run them."""
        return self._collected.get(facts.key)

    def setting(self, key: str, default: Any = None) -> Any:
        return self.settings.get(key, default)

    def line_indent(self, node: tree_sitter.Node) -> str:
        start = self.source.rfind(b"\n", 0, node.start_byte) + 1
        line = self.source[start : node.start_byte]
        return line[: len(line) - len(line.lstrip())].decode("utf-8", "replace")

    def replace(self, node: tree_sitter.Node, text: str) -> Edit:
        return Edit(node.start_byte, node.end_byte, text)


class Rule:
    """Base class of every rule. Subclasses set the ClassVars and override a hook."""

    code: ClassVar[str]
    name: ClassVar[str]  # short human title, e.g. "Mutable default argument"
    category: ClassVar[Category]
    applicability: ClassVar[Applicability]
    confidence: ClassVar[float]  # declared: how often a finding is a real improvement
    severity: ClassVar[float] = 0.5  # static impact, 0..1, for the ranker
    languages: ClassVar[tuple[str, ...]] = ("python",)
    query: ClassVar[str | None] = None  # tree-sitter query source for on_match
    facts: ClassVar[tuple[Facts, ...]] = ()  # shared captures the rule's check reads
    source: ClassVar[Source] = Source.STATIC  # where its suggestions come from
    slug: ClassVar[str] = ""  # set by discovery from the module name

    def on_match(self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]) -> Iterable[Finding]:
        return ()

    def check(self, ctx: Context) -> Iterable[Finding]:
        return ()

    def prepare(self, language: str) -> None:
        """Compile what the rule compiles on first use (before worker processes fork)."""

    @classmethod
    def has_check(cls) -> bool:
        return cls.check is not Rule.check

    @classmethod
    def doc(cls) -> str:
        return cls.__doc__ or ""

    @classmethod
    def summary(cls) -> str:
        """The *Why is this bad?* paragraph, used as the suggestion's rationale."""
        return _summary(cls.doc())

    @classmethod
    def headline(cls) -> str:
        """The docstring's first line, without its markup: the one-line summary of ``kaizen rules``."""
        first = cls.doc().strip().split("\n", 1)[0].strip()
        return first.replace("``", "`").rstrip(".")

    @classmethod
    def folder(cls) -> str:
        """The rules/ folder the rule lives in: its category, or ``runtime`` / ``llm``."""
        return {Source.RUNTIME: "runtime", Source.LLM: "llm"}.get(cls.source, cls.category.value)


class RuntimeRule(Rule):
    """A KZ8xx rule: a declaration; ``suggestions.analyze.runtime`` finds it in the latest trace."""

    source = Source.RUNTIME


class LlmRule(Rule):
    """A KZ9xx rule: a declaration; ``suggestions.llm.targets`` asks a model for it.

    A model's rewrite never claims to keep the exact meaning: every one is UNSAFE, and
    validation is what earns it trust.
    """

    source = Source.LLM
    applicability = Applicability.UNSAFE
    confidence = 0.5  # a model's word


@functools.cache
def _summary(doc: str) -> str:
    # Cached: every suggestion asks (15,000 of them for the standard library).
    m = re.search(r"Why is this bad\?\s*\n(.*?)(?:\n\s*\n\s*(?:Example|Fix safety)|\Z)", doc, re.S)
    return " ".join((m.group(1) if m else doc).split())


def docstring_examples(rule: type[Rule]) -> dict[str, str]:
    """The ``bad`` and ``good`` fenced examples of a rule's docstring, dedented."""
    import textwrap

    out: dict[str, str] = {}
    for m in re.finditer(r"```(\w+) (bad|good)\n(.*?)```", rule.doc(), re.S):
        out[m.group(2)] = textwrap.dedent(m.group(3))
    return out


@functools.cache
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule, discovered by walking ``suggestions.analyze.rules`` and its category folders.

    No hand-kept list; modules whose name starts with ``_`` are helpers.
    """
    import suggestions.analyze.rules as package

    found: list[type[Rule]] = []
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        slug = info.name.rsplit(".", 1)[-1]
        if info.ispkg or slug.startswith("_"):
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Rule) and obj.__module__ == module.__name__:
                obj.slug = slug
                found.append(obj)
    found.sort(key=lambda r: r.code)
    return tuple(found)


def static_rules() -> tuple[type[Rule], ...]:
    """The rules the engine runs on source files (not the runtime and LLM declarations)."""
    return tuple(r for r in all_rules() if r.source is Source.STATIC)


@functools.cache
def _by_code() -> dict[str, type[Rule]]:
    return {r.code: r for r in all_rules()}


def rule_for(code: str) -> type[Rule] | None:
    """The rule declared with ``code`` (any source), or None."""
    return _by_code().get(code)
