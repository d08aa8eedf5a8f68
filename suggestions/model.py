"""Kaizen's core data model: plain, typed, frozen dataclasses that round-trip through JSON.

Offsets in :class:`Edit` and :class:`Span` are byte offsets into the UTF-8 encoding of the
file's decoded text (for UTF-8 files that is the file itself), the same offsets tree-sitter
reports, so a rule can turn a node into an edit without conversion.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from analysis.hashing import content_hash

__all__ = [
    "Applicability",
    "Decision",
    "DecisionAction",
    "Edit",
    "Grade",
    "Patch",
    "ScoreTerm",
    "Source",
    "Span",
    "Strength",
    "Suggestion",
    "Validation",
    "ValidationStatus",
    "content_hash",
    "fingerprint_of",
    "pickled_by_fields",
]


class Applicability(enum.StrEnum):
    """How safe a suggestion's fix is."""

    SAFE = "safe"  # keeps the exact meaning
    UNSAFE = "unsafe"  # may change behaviour
    DISPLAY_ONLY = "display-only"  # advice, no fix


class Source(enum.StrEnum):
    STATIC = "static"
    RUNTIME = "runtime"
    LLM = "llm"


class ValidationStatus(enum.StrEnum):
    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    # The candidate's tests pass, but no test executed a changed line: nothing was checked.
    UNVERIFIED = "unverified"


class Grade(enum.StrEnum):
    """How strong the evidence behind a validation is (issue #19), strongest first."""

    PROVEN = "proven"  # every changed line ran, and mutants were killed or replays matched
    PASSED = "passed"  # tests ran the change and passed: weaker evidence
    UNVERIFIED = "unverified"  # no test executed a changed line
    FAILED = "failed"


class DecisionAction(enum.StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    AUTO_APPLIED = "auto-applied"
    UNDONE = "undone"


T = TypeVar("T")


def pickled_by_fields(cls: type[T]) -> type[T]:
    """Unpickle by calling the constructor with the field values.

    The default for frozen slots dataclasses (``__setstate__`` looping over
    ``dataclasses.fields()``) is several times slower, and scan workers send tens of
    thousands of these objects to the main process.
    """
    names = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]

    def __reduce__(self: Any) -> tuple[type, tuple[Any, ...]]:
        return cls, tuple(getattr(self, n) for n in names)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign]
    return cls


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Edit:
    """Replace bytes ``[start, end)`` with ``replacement``."""

    start: int
    end: int
    replacement: str

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"invalid edit range {self.start}..{self.end}")


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Patch:
    """Non-overlapping edits to one file, made for the content whose hash is ``base_hash``."""

    path: str
    base_hash: str
    edits: tuple[Edit, ...]

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.edits, key=lambda e: (e.start, e.end)))
        for a, b in itertools.pairwise(ordered):
            if b.start < a.end:
                raise ValueError(f"overlapping edits in {self.path}: {a} and {b}")
        object.__setattr__(self, "edits", ordered)

    def apply(self, data: bytes) -> bytes:
        """Apply the edits to ``data`` (UTF-8 bytes); later edits never shift earlier ones."""
        out: list[bytes] = []
        pos = 0
        for e in self.edits:
            if e.end > len(data):
                raise ValueError(f"edit {e.start}..{e.end} past end of {self.path}")
            out.append(data[pos : e.start])
            out.append(e.replacement.encode("utf-8"))
            pos = e.end
        out.append(data[pos:])
        return b"".join(out)

    def merged(self, other: Patch) -> Patch:
        """One patch holding both patches' edits (same file, same base)."""
        if other.path != self.path or other.base_hash != self.base_hash:
            raise ValueError("can only merge patches for the same file and base")
        return Patch(self.path, self.base_hash, self.edits + other.edits)

    def changed_lines(self, data: bytes) -> int:
        """Lines touched on either side: a measure of the diff's size."""
        n = 0
        for e in self.edits:
            old = data[e.start : e.end]
            n += max(old.count(b"\n"), e.replacement.count("\n")) + 1
        return n


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Span:
    """Where a suggestion points: 1-based lines, 0-based columns, byte offsets."""

    start_line: int
    start_col: int
    end_line: int
    end_col: int
    start_byte: int = 0
    end_byte: int = 0


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Strength:
    """The evidence a validation collected, and the grade it earns (see Grade).

    Line numbers are 1-based lines of the patched file (the new side of the diff) that hold
    code; ``changed_lines_run`` is the part of them the validation's own test run executed.
    """

    grade: Grade | None = None
    changed_lines: tuple[int, ...] = ()
    changed_lines_run: tuple[int, ...] = ()
    covering_tests: tuple[str, ...] = ()  # tests that executed a changed line
    mutants: int = 0  # mutants of the original region run against the covering tests
    mutants_killed: int = 0
    survivors: tuple[str, ...] = ()  # what each surviving mutant changed, in words
    replayed: int = 0  # recorded real calls replayed on the old and the new code
    mismatches: int = 0
    mismatch: str = ""  # the first input whose old and new behaviour differ, in words
    speedup_pairs: int = 0  # interleaved before/after timing pairs
    speedup_median: float | None = None
    speedup_low: float | None = None  # bootstrap 95% interval of the speed-up
    speedup_high: float | None = None
    touches_tests: tuple[str, ...] = ()  # why the candidate counts as touching the tests


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Validation:
    status: ValidationStatus = ValidationStatus.PENDING
    tests_run: tuple[str, ...] = ()
    failed_tests: tuple[str, ...] = ()
    duration_s: float | None = None
    time_before_s: float | None = None
    time_after_s: float | None = None
    speedup: float | None = None
    log: str = ""
    base_hash: str = ""  # the file content the validation was run against
    at: float | None = None
    # Whether the tests ran confined (suggestions.validate.confine); None: not recorded (a result made
    # in code, or by a Kaizen from before confinement).
    confined: bool | None = None
    strength: Strength | None = None  # None: made before issue #19, or never judged

    @property
    def done(self) -> bool:
        return self.status is not ValidationStatus.PENDING


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ScoreTerm:
    """One factor of a suggestion's rank and the words that explain it."""

    name: str
    value: float
    explanation: str


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Suggestion:
    fingerprint: str
    code: str
    title: str
    rationale: str
    path: str  # project-relative, POSIX separators
    span: Span
    patch: Patch | None
    applicability: Applicability
    confidence: float
    source: Source = Source.STATIC
    category: str = ""
    diff: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)
    validation: Validation = field(default_factory=Validation)
    score: float = 0.0
    score_breakdown: tuple[ScoreTerm, ...] = ()

    @property
    def id(self) -> str:
        """A short handle for the CLI; derived from the fingerprint, so just as stable."""
        return self.fingerprint[:10]

    @property
    def line(self) -> int:
        return self.span.start_line

    def replace(self, **changes: Any) -> Suggestion:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        # Hot (every stored suggestion): the fixed parts are spelled out; the result equals
        # the generic ``_to_json(self)``, which a test checks.
        sp, patch = self.span, self.patch
        return {
            "fingerprint": self.fingerprint,
            "code": self.code,
            "title": self.title,
            "rationale": self.rationale,
            "path": self.path,
            "span": {
                "start_line": sp.start_line,
                "start_col": sp.start_col,
                "end_line": sp.end_line,
                "end_col": sp.end_col,
                "start_byte": sp.start_byte,
                "end_byte": sp.end_byte,
            },
            "patch": None
            if patch is None
            else {
                "path": patch.path,
                "base_hash": patch.base_hash,
                "edits": [{"start": e.start, "end": e.end, "replacement": e.replacement} for e in patch.edits],
            },
            "applicability": self.applicability.value,
            "confidence": self.confidence,
            "source": self.source.value,
            "category": self.category,
            "diff": self.diff,
            "evidence": _to_json(self.evidence),
            "validation": _validation_json(self.validation),
            "score": self.score,
            "score_breakdown": [_to_json(t) for t in self.score_breakdown],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Suggestion:
        return _from_json(cls, data)

    def summary_dict(self) -> dict[str, Any]:
        """The flat shape of ``--json`` output (DESIGN.md): stable field names."""
        return {
            "id": self.id,
            "fingerprint": self.fingerprint,
            "code": self.code,
            "title": self.title,
            "path": self.path,
            "line": self.line,
            "column": self.span.start_col + 1,
            "end_line": self.span.end_line,
            "applicability": self.applicability.value,
            "confidence": self.confidence,
            "source": self.source.value,
            "category": self.category,
            "score": round(self.score, 4),
            "validation": _to_json(self.validation),
            "rationale": self.rationale,
            "evidence": dict(self.evidence),
            "diff": self.diff,
        }


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Decision:
    fingerprint: str
    action: DecisionAction
    actor: str  # "user" or the name of an auto-apply rule
    at: float
    reason: str = ""
    code: str = ""
    path: str = ""

    def to_dict(self) -> dict[str, Any]:
        return _to_json(self)  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        return _from_json(cls, data)


_WS = re.compile(r"\s+")


def fingerprint_of(code: str, path: str, target_text: str, occurrence: int = 0) -> str:
    """A fingerprint that survives line shifts: rule, file and the normalized target text.

    ``occurrence`` tells apart identical targets in one file (the n-th such text).
    """
    # Same as _WS.sub(" ", text).strip() (both use Unicode whitespace), 4x faster on the
    # large targets of structural rules.
    normalized = " ".join(target_text.split())
    raw = f"{code}\0{path}\0{normalized}\0{occurrence}"
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


# --- JSON round-trip -------------------------------------------------------------------------


_SCALARS = (str, int, float, bool, type(None))
_NAMES: dict[type, tuple[str, ...]] = {}


def _to_json(obj: Any) -> Any:
    # Hot: every stored suggestion goes through here. Scalars first, field names cached.
    if isinstance(obj, _SCALARS) and not isinstance(obj, enum.Enum):
        return obj
    names = _NAMES.get(type(obj))
    if names is None and dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        names = _NAMES[type(obj)] = tuple(f.name for f in dataclasses.fields(obj))
    if names is not None:
        return {n: _to_json(getattr(obj, n)) for n in names}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, Mapping):
        return {str(k): _to_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_to_json(v) for v in obj]
    return obj


_PENDING = Validation()
_PENDING_JSON: dict[str, Any] = _to_json(_PENDING)


def _validation_json(v: Validation) -> dict[str, Any]:
    if v == _PENDING:  # most suggestions: a copy of the encoded default
        return {**_PENDING_JSON, "tests_run": [], "failed_tests": []}
    return _to_json(v)  # type: ignore[no-any-return]


_FIELDS: dict[type, list[tuple[str, Any]]] = {}


def _from_json(cls: type[T], data: Any) -> T:
    # Loading a project's stored suggestions decodes thousands of them: resolve the type
    # hints once per class and compile one converter per field (see _converter).
    fields = _FIELDS.get(cls)
    if fields is None:
        import typing

        hints = typing.get_type_hints(cls)
        fields = _FIELDS[cls] = [
            (f.name, _converter(hints[f.name]))
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        ]
    return cls(**{name: conv(data[name]) for name, conv in fields if name in data})


def _converter(tp: Any) -> Any:
    """A function turning a JSON value into ``tp`` (None stays None)."""
    import types
    import typing

    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) != 1:
            return lambda v: v
        inner = _converter(args[0])
        return lambda v: None if v is None else inner(v)
    if origin is tuple:
        item = _converter(typing.get_args(tp)[0])
        return lambda v: None if v is None else tuple(item(x) for x in v)
    if origin in (Mapping, dict):
        return lambda v: None if v is None else dict(v)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return lambda v: None if v is None else tp(v)
    if dataclasses.is_dataclass(tp):
        return lambda v: None if v is None else _from_json(tp, v)  # type: ignore[arg-type]
    if tp is float:
        return lambda v: float(v) if isinstance(v, int) else v
    return lambda v: v
