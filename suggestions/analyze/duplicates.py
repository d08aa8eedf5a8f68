"""Duplicated blocks across files (KZ705): token-sequence hashing, every language.

Each file is reduced to a *token string*: one character per token. Every word
(identifier, keyword, number, word inside a string) becomes the placeholder ``a``, so
renamed variables and changed literals still match; punctuation and operators are kept,
comments and whitespace dropped. The reduction is ``bytes.translate`` plus a few simple
regular expressions, so it runs at C speed (a tokenizer in Python costs more than the
parse).

Every line start of the token string anchors a window of ``min_tokens`` tokens whose CRC
is that file's fingerprint. Workers compute :class:`Fingerprints` per file
(:func:`fingerprint`); the main process only joins them (:class:`DuplicateIndex`):
equal fingerprints are checked token by token, then extended to the longest common run.
Copies must keep the same line structure at one anchor at least, which copy-paste does.

The same index serves the cold scan (:func:`project_duplicates`, called by
``scan_project``) and the watcher (``update``/``remove`` per changed file, then
``suggestions``).
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from suggestions.model import (
    Applicability,
    Source,
    Span,
    Suggestion,
    fingerprint_of,
    pickled_by_fields,
)

if TYPE_CHECKING:
    from suggestions.analyze.engine import Analyzer
    from suggestions.analyze.scan import FileResult

__all__ = [
    "CODE",
    "DuplicateIndex",
    "Fingerprints",
    "Match",
    "Region",
    "add_project_duplicates",
    "fingerprint",
    "for_analyzer",
    "project_duplicates",
    "tokenize",
]

CODE = "KZ705"
TITLE = "Duplicated block"
RATIONALE = (
    "The same code (up to renamed variables and changed literals) appears more than once; "
    "a fix or change in one copy is easily forgotten in the others. Extract a shared function."
)
# A bucket holding more copies than this is boilerplate; compare only its first few.
_MAX_BUCKET = 24
# A window needs this many distinct tokens: `self.a = a` runs are not worth reporting.
_MIN_DISTINCT = 8

# Every word byte becomes "a" (then runs collapse to one "a" per word): identifiers,
# keywords, numbers and the words inside strings all normalize to one token each, and
# spaces go. Bytes of UTF-8 sequences count as word bytes, so unicode letters are words
# too and tokens stay ASCII. Precision is not the point, consistency is: two copies
# normalize alike.
_WORD_BYTES = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$" + bytes(range(128, 256))
_WORDS = bytes(
    ord("a") if b in _WORD_BYTES else ord('"') if b in b"'`" else b  # any quote style is one token
    for b in range(256)
)
_SPACE = b" \t\r\f\v"
_RUNS = re.compile(b"aa+")  # a one-letter word is already one token: a third fewer replacements
# One pass per pattern, each starting with a literal so ``re`` scans at memchr speed.
# Each with its replacement: a one-line comment simply goes (a constant replacement, no
# Python call per comment); a block keeps its newlines, for line numbers.
_COMMENTS = {
    # Docstrings are prose: one token each.
    "python": (
        (re.compile(rb"#[^\n]*"), b""),
        (re.compile(rb'"""[\s\S]*?"""'), None),
        (re.compile(rb"'''[\s\S]*?'''"), None),
    ),
}
_C_COMMENTS = ((re.compile(rb"//[^\n]*"), b""), (re.compile(rb"/\*[\s\S]*?\*/"), None))
_LANGUAGES = frozenset({"python", "javascript", "typescript", "tsx", "go", "rust", "java", "c"})
_SUPPRESS = re.compile(rb"(?:#|//)\s*kaizen:\s*ignore(?:\[([A-Za-z0-9_, ]*)\])?")


def _strip_comment(m: re.Match[bytes]) -> bytes:
    text = m.group()
    return (b'"' if text[:1] in b"\"'" else b"") + b"\n" * text.count(b"\n")


def tokenize(language: str, data: bytes) -> list[bytes]:
    """The normalized token string of each line of ``data`` (one byte per token).

    Words (identifiers, keywords, numbers) become ``a``; punctuation stays; comments and
    whitespace go. Everything runs in C (``bytes.translate`` and simple regexes).
    """
    for pattern, replacement in _COMMENTS.get(language, _C_COMMENTS):
        data = pattern.sub(_strip_comment if replacement is None else replacement, data)
    return _RUNS.sub(b"a", data.translate(_WORDS)).translate(None, _SPACE).split(b"\n")


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Fingerprints:
    """What a worker sends back for one file: enough to join and to report lines."""

    path: str
    language: str
    tokens: bytes  # the file's normalized token string (ASCII), newlines removed
    line_starts: tuple[int, ...]  # token offset where each line (0-based) starts
    anchors: tuple[tuple[int, int], ...]  # (crc of the window, token offset)
    suppressed: frozenset[int] = frozenset()  # 1-based lines with `kaizen: ignore` for KZ705


def _run_ok(run: bytes) -> bool:
    """Worth reporting: not prose (mostly words) and not a monotone run like ``a.a=a``."""
    return run.count(b"a") <= 0.7 * len(run) and len(set(run)) >= _MIN_DISTINCT


def _suppressed_lines(data: bytes) -> frozenset[int]:
    if b"kaizen:" not in data:
        return frozenset()
    lines: set[int] = set()
    for m in _SUPPRESS.finditer(data):
        codes = m.group(1)
        if codes is None or CODE in codes.decode("ascii", "replace"):
            lines.add(data.count(b"\n", 0, m.start()) + 1)
    return frozenset(lines)


_LAST: list[Any] = [None, None, None]  # (data, args, result): one-slot cache, see fingerprint()


def fingerprint(path: str, language: str, data: bytes, min_tokens: int = 60) -> Fingerprints | None:
    """Fingerprints of one file (None for a language without a tokenizer).

    Cached for the last ``data`` object seen, so the per-file rule and the project pass in
    the same worker tokenize a file once.
    """
    if _LAST[0] is data and _LAST[1] == (path, language, min_tokens):
        result: Fingerprints | None = _LAST[2]
        return result
    if language not in _LANGUAGES:
        return None
    lines = tokenize(language, data)
    starts = tuple(itertools.accumulate(map(len, lines), initial=0))[:-1]
    tokens = b"".join(lines)
    limit = len(tokens) - min_tokens
    crc = zlib.crc32
    # One anchor per non-empty line; the diversity check waits for real matches (rare).
    # Lines of one or two tokens (``)``, ``else:``) anchor nothing the next line does not.
    # (Starts of non-empty lines strictly increase: no duplicates, already sorted.)
    anchor_starts = [s for s, line in zip(starts, lines) if len(line) > 2 and s <= limit]  # noqa: B905
    max_words = 0.7 * min_tokens
    anchors = [
        (crc(window), s)
        for s in anchor_starts
        if (window := tokens[s : s + min_tokens]).count(b"a") <= max_words
    ]
    fp = Fingerprints(path, language, tokens, starts, tuple(anchors), _suppressed_lines(data))
    _LAST[:] = [data, (path, language, min_tokens), fp]
    return fp


@dataclass(frozen=True, slots=True)
class Match:
    """One duplicated run: ``length`` tokens at ``a_start`` in ``a`` and ``b_start`` in ``b``."""

    a: str
    a_start: int
    b: str
    b_start: int
    length: int


def _common_prefix(x: bytes, i: int, y: bytes, j: int) -> int:
    """Length of the common run of ``x[i:]`` and ``y[j:]`` (slice comparisons, C speed)."""
    hi = min(len(x) - i, len(y) - j)
    lo = 0
    step = 64
    while lo < hi:
        n = min(step, hi - lo)
        if x[i + lo : i + lo + n] == y[j + lo : j + lo + n]:
            lo += n
            step *= 2
        elif n == 1:
            break
        else:
            step = max(1, n // 2)
    return lo


def _common_suffix(x: bytes, i: int, y: bytes, j: int) -> int:
    """Length of the common run ending just before ``x[i]`` and ``y[j]`` (binary search)."""
    lo, hi = 0, min(i, j)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if x[i - mid : i] == y[j - mid : j]:
            lo = mid
        else:
            hi = mid - 1
    return lo


@dataclass(slots=True)
class Region:
    """One duplicated stretch of a file (token offsets and 1-based lines) and its copies."""

    path: str
    start: int
    end: int
    start_line: int
    end_line: int
    copies: set[tuple[str, int, int]]  # (path, start_line, end_line) of each other copy

    def title(self, here: str) -> str:
        others = sorted(self.copies)
        lines = self.end_line - self.start_line + 1
        size = f"{TITLE} ({lines} lines, {self.end - self.start} tokens)"
        if all(p == here and self.start_line <= a and b <= self.end_line for p, a, b in others):
            # Copies side by side, merged into one region: name them, not the region again.
            parts = [f"{a}-{b}" for _, a, b in others[:3]]
            return f"{size}: lines {', '.join(parts)} repeat one another"
        where = ", ".join(
            f"{p}:{a}-{b}" if p != here else f"line {a}-{b}" for p, a, b in others[:3]
        )
        more = f" and {len(others) - 3} more" if len(others) > 3 else ""
        return f"{size} also at {where}{more}"

    def evidence(self) -> dict[str, Any]:
        return {
            "severity": 0.3,
            "tokens": self.end - self.start,
            "end_line": self.end_line,
            "copies": [
                {"path": p, "start_line": a, "end_line": b} for p, a, b in sorted(self.copies)
            ],
        }


def _links(
    entries: list[tuple[str, int]], cross_file_only: bool
) -> Iterable[tuple[tuple[str, int], tuple[str, int]]]:
    """Each copy with the next one (from another file when asked): a chain, not all pairs.

    Every copy still gets a region; n copies cost n - 1 comparisons instead of n²/2.
    """
    for i, a in enumerate(entries):
        for b in entries[i + 1 :]:
            if not cross_file_only or b[0] != a[0]:
                yield a, b
                break


def _line_of(fp: Fingerprints, offset: int) -> int:
    """1-based line of a token offset."""
    return bisect.bisect_right(fp.line_starts, offset)


class DuplicateIndex:
    """Fingerprints of many files, joined on demand. Not thread-safe; one owner."""

    def __init__(self, min_tokens: int = 60) -> None:
        self.min_tokens = min_tokens
        self.files: dict[str, Fingerprints] = {}

    def update(self, fp: Fingerprints | None, path: str | None = None) -> None:
        """Add or replace a file's fingerprints (None removes ``path``)."""
        if fp is None:
            if path is not None:
                self.files.pop(path, None)
            return
        self.files[fp.path] = fp

    def remove(self, path: str) -> None:
        self.files.pop(path, None)

    def matches(
        self, only: Iterable[str] | None = None, cross_file_only: bool = False
    ) -> list[Match]:
        """Maximal duplicated runs, each reported once (``only``: runs touching these paths)."""
        wanted = set(only) if only is not None else None
        # Count every window first (C-level iteration), then bucket only the repeated ones:
        # most windows are unique, and building a bucket per anchor is the join's main cost.
        counts = Counter(
            map(
                itemgetter(0),
                itertools.chain.from_iterable(fp.anchors for fp in self.files.values()),
            )
        )
        repeated = {crc for crc, n in counts.items() if n > 1}
        buckets: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for path, fp in self.files.items():
            for crc, offset in [a for a in fp.anchors if a[0] in repeated]:
                buckets[crc].append((path, offset))
        seen: dict[tuple[str, str, int], list[tuple[int, int]]] = defaultdict(list)
        out: list[Match] = []
        for entries in buckets.values():
            if len(entries) < 2:
                continue
            if wanted is not None and not any(p in wanted for p, _ in entries):
                continue
            entries = entries[:_MAX_BUCKET]
            for (pa, oa), (pb, ob) in _links(entries, cross_file_only):
                if wanted is not None and pa not in wanted and pb not in wanted:
                    continue
                if self.files[pa].language != self.files[pb].language:
                    continue
                if (pb, ob) < (pa, oa):
                    pa, oa, pb, ob = pb, ob, pa, oa
                m = self._run_at(pa, oa, pb, ob, seen)
                if m is not None:
                    out.append(m)
        out.sort(key=lambda m: (m.a, m.a_start, m.b, m.b_start))
        return out

    def _run_at(self, pa: str, oa: int, pb: str, ob: int,
                seen: dict[tuple[str, str, int], list[tuple[int, int]]]) -> Match | None:
        """The maximal run through the shared window at ``oa`` / ``ob`` (whole lines), or
        None (inside a run already reported, a CRC collision, too short)."""
        w = self.min_tokens
        key = (pa, pb, ob - oa)
        if any(s <= oa < e for s, e in seen[key]):
            return None  # inside a run already reported
        ta, tb = self.files[pa].tokens, self.files[pb].tokens
        if ta[oa : oa + w] != tb[ob : ob + w]:
            return None  # CRC collision
        back = _common_suffix(ta, oa, tb, ob)
        sa, sb = oa - back, ob - back
        length = back + _common_prefix(ta, oa, tb, ob)
        # Whole lines only: a run that starts mid-line begins at the next line.
        fa = self.files[pa]
        line = _line_of(fa, sa)
        if fa.line_starts[line - 1] != sa and line < len(fa.line_starts):
            shift = fa.line_starts[line] - sa
            sa, sb, length = sa + shift, sb + shift, length - shift
        if pa == pb and sa + length > sb:
            length = sb - sa  # a run overlapping itself: keep the part before the copy
        seen[key].append((sa, sa + length))
        if length < w or not _run_ok(ta[sa : sa + length]):
            return None
        return Match(pa, sa, pb, sb, length)

    def regions(
        self, only: Iterable[str] | None = None, cross_file_only: bool = False
    ) -> dict[str, list[Region]]:
        """Duplicated regions per path: overlapping copies merged, so one place is one region."""
        raw: dict[str, list[tuple[int, int, int, int, tuple[str, int, int]]]] = defaultdict(list)
        for m in self.matches(only, cross_file_only):
            for here, start, there, other_start in (
                (m.a, m.a_start, m.b, m.b_start),
                (m.b, m.b_start, m.a, m.a_start),
            ):
                fp, ofp = self.files[here], self.files[there]
                other = (
                    there,
                    _line_of(ofp, other_start),
                    _line_of(ofp, other_start + m.length - 1),
                )
                raw[here].append(
                    (
                        start,
                        start + m.length,
                        _line_of(fp, start),
                        _line_of(fp, start + m.length - 1),
                        other,
                    )
                )
        wanted = set(only) if only is not None else None
        out: dict[str, list[Region]] = {}
        for path, items in raw.items():
            if wanted is not None and path not in wanted:
                continue
            items.sort()
            merged: list[Region] = []
            for start, end, first, last, other in items:
                if merged and first <= merged[-1].end_line:
                    r = merged[-1]
                    if end > r.end:
                        r.end, r.end_line = end, max(r.end_line, last)
                    r.copies.add(other)
                else:
                    merged.append(Region(path, start, end, first, last, {other}))
            out[path] = merged
        return out

    def suggestions(
        self,
        only: Iterable[str] | None = None,
        cross_file_only: bool = False,
        enabled_in: Any = None,
    ) -> dict[str, list[Suggestion]]:
        """Display-only KZ705 suggestions per path, one per duplicated region.

        ``enabled_in(code, path) -> bool`` applies per-file ignores (the engine's
        ``Selection.enabled_in``); ``# kaizen: ignore[KZ705]`` on a region's first line
        suppresses it there.
        """
        out: dict[str, list[Suggestion]] = {}
        for path, regions in sorted(self.regions(only, cross_file_only).items()):
            if enabled_in is not None and not enabled_in(CODE, path):
                continue
            fp = self.files[path]
            occurrences: dict[str, int] = defaultdict(int)
            found: list[Suggestion] = []
            for r in regions:
                if r.start_line in fp.suppressed:
                    continue
                target = f"{zlib.crc32(fp.tokens[r.start : r.end]):08x}:{r.end - r.start}"
                occ = occurrences[target]
                occurrences[target] += 1
                found.append(
                    Suggestion(
                        fingerprint=fingerprint_of(CODE, path, target, occ),
                        code=CODE,
                        title=r.title(path),
                        rationale=RATIONALE,
                        path=path,
                        span=Span(r.start_line, 0, r.end_line, 0),
                        patch=None,
                        applicability=Applicability.DISPLAY_ONLY,
                        confidence=0.7,
                        source=Source.STATIC,
                        category="structure",
                        evidence=r.evidence(),
                    )
                )
            if found:
                out[path] = found
        return out


def project_duplicates(
    fingerprints: Iterable[Fingerprints | None],
    min_tokens: int = 60,
    enabled_in: Any = None,
    cross_file_only: bool = True,
) -> dict[str, list[Suggestion]]:
    """The project-level pass: join every file's fingerprints, return suggestions per path.

    ``cross_file_only`` (default) leaves duplicates inside one file to the per-file rule
    ``duplicate_block`` (KZ705 as well), so nothing is reported twice.
    """
    index = DuplicateIndex(min_tokens)
    for fp in fingerprints:
        index.update(fp)
    return index.suggestions(cross_file_only=cross_file_only, enabled_in=enabled_in)


def _min_tokens(settings: Mapping[str, Any]) -> int:
    try:
        return max(10, int(settings.get("thresholds.duplicate-tokens", 60) or 60))
    except (TypeError, ValueError):
        return 60


def for_analyzer(analyzer: Analyzer, path: str, language: str, data: bytes) -> Fingerprints | None:
    """A worker's fingerprints for one file, or None when KZ705 is not selected."""
    if not analyzer.selection.enabled(CODE):
        return None
    return fingerprint(path, language, data, _min_tokens(analyzer.settings))


def add_project_duplicates(files: list[FileResult], analyzer: Analyzer) -> list[FileResult]:
    """``files`` with the cross-file KZ705 suggestions added to the files they concern."""
    if not analyzer.selection.enabled(CODE):
        return files
    found = project_duplicates(
        (f.fingerprints for f in files if f.fingerprints is not None),
        _min_tokens(analyzer.settings),
        enabled_in=analyzer.selection.enabled_in,
    )
    if not found:
        return files
    out: list[FileResult] = []
    for f in files:
        extra = found.get(f.path)
        if extra:
            merged = sorted(
                f.suggestions + extra, key=lambda s: (s.span.start_line, s.span.start_col, s.code)
            )
            f = dataclasses.replace(f, suggestions=merged)
        out.append(f)
    return out
