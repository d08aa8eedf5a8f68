"""Cross-file duplicates for a live project (the KZ705 project pass, incrementally).

:class:`CrossFileDuplicates` keeps the duplicate index of the whole project in memory,
loaded on the first change from the ``watch_fingerprints`` table (each file's token
fingerprints, so a warm start need not re-read unchanged files to find copies of a
changed one), and re-joins copies only for the files a batch changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from analysis.inventory import read_source
from analysis.store import FileRecord
from suggestions.analyze import duplicates
from suggestions.analyze.duplicates import DuplicateIndex, Fingerprints
from suggestions.analyze.engine import Analyzer
from suggestions.analyze.scan import FileResult
from suggestions.model import Suggestion
from suggestions.store import Store

__all__ = ["MIGRATIONS", "CrossFileDuplicates", "is_cross_duplicate"]

# The table this module owns: each file's token fingerprints, keyed by path and content hash.
MIGRATIONS: tuple[str, ...] = (
    "CREATE TABLE watch_fingerprints (path TEXT PRIMARY KEY, hash TEXT NOT NULL, data TEXT NOT NULL)",
)


class CrossFileDuplicates:
    """The project's duplicate index, kept current batch by batch.

    Args:
        root: the project's real root.
        store: the project's store (the ``watch_fingerprints`` table).
        analyzer: returns the analyzer in use (it changes when the settings do).
        max_size: returns the largest file analysed.
    """

    def __init__(self, root: Path, store: Store, analyzer: Callable[[], Analyzer],
                 max_size: Callable[[], int]) -> None:
        self.root = root
        self.store = store
        self._analyzer = analyzer
        self._max_size = max_size
        self._index: _IncrementalIndex | None = None  # loaded on the first change
        store.ensure_schema("watch", MIGRATIONS)

    @property
    def enabled(self) -> bool:
        return self._analyzer().selection.enabled(duplicates.CODE)

    @property
    def loaded(self) -> bool:
        return self._index is not None

    def invalidate(self, *, forget_stored: bool = False) -> None:
        """Drop the index (the window size may have changed); ``forget_stored`` empties the
        table too (stored fingerprints may be in an older format)."""
        self._index = None
        if forget_stored:
            self.store.execute("DELETE FROM watch_fingerprints")

    def pass_for(
        self, ok: Sequence[FileResult], leaving: set[str], files: Mapping[str, FileRecord],
        current: Mapping[str, Suggestion],
    ) -> tuple[set[str], dict[str, list[Suggestion]]] | None:
        """Re-join duplicates for the changed files: (paths concerned, their KZ705 suggestions).

        Concerned are the changed files, files they now share code with, and files whose
        stored cross-file findings (in ``current``) point at them. None when KZ705 is not
        selected.
        """
        analyzer = self._analyzer()
        if not analyzer.selection.enabled(duplicates.CODE):
            return None
        changed = {r.path for r in ok} | leaving
        if not changed:
            return None
        index = self.index(files)
        for r in ok:
            index.update(r.fingerprints, r.path)
        for path in leaving:
            index.remove(path)
        concerned = set(changed)
        matched = index.matches(only=changed, cross_file_only=True)
        for m in matched:
            concerned.update((m.a, m.b))
        had_cross = False
        for s in current.values():
            if not is_cross_duplicate(s):
                continue
            if s.path in changed:
                had_cross = True
            elif s.path not in concerned and any(
                c.get("path") in changed for c in s.evidence.get("copies", ()) if isinstance(c, Mapping)
            ):
                concerned.add(s.path)
        if not matched and not had_cross and concerned == changed:
            return concerned, {}  # no copies before or after: nothing to join
        found = index.suggestions(only=concerned, cross_file_only=True,
                                  enabled_in=analyzer.selection.enabled_in)
        return concerned, found

    def index(self, files: Mapping[str, FileRecord]) -> _IncrementalIndex:
        """The index over ``files`` (the service's analysed files), loaded once."""
        if self._index is not None:
            return self._index
        analyzer = self._analyzer()
        index = _IncrementalIndex(duplicates._min_tokens(analyzer.settings))
        have: set[str] = set()
        for path, h, data in self.store.execute("SELECT path, hash, data FROM watch_fingerprints"):
            rec = files.get(path)
            if rec is not None and rec.hash == h:
                try:
                    index.update(_fingerprints_from_json(path, data))
                    have.add(path)
                except (ValueError, KeyError, TypeError):
                    pass  # an unreadable row: recomputed below
        rows = []
        for rec in (rec for p, rec in files.items() if p not in have):
            # e.g. files stored by `kaizen scan`: fingerprint them once
            try:
                text = read_source(self.root / rec.path, self._max_size())
            except ValueError:
                continue
            fp = duplicates.for_analyzer(analyzer, rec.path, rec.language, text.data)
            index.update(fp, rec.path)
            if fp is not None:
                rows.append((rec.path, text.raw_hash, _fingerprints_to_json(fp)))
        if rows:
            self.store.executemany("INSERT OR REPLACE INTO watch_fingerprints(path, hash, data) VALUES(?,?,?)", rows)
        self._index = index
        return index

    def save(self, ok: Sequence[FileResult], leaving: set[str]) -> None:
        """Store the fingerprints of the analysed files; drop those of files that left."""
        rows = [(r.path, r.record[2], _fingerprints_to_json(r.fingerprints))
                for r in ok if r.record is not None and r.fingerprints is not None]
        dropped = [(r.path,) for r in ok if r.fingerprints is None] + [(p,) for p in leaving]
        with self.store.transaction() as db:
            db.executemany("DELETE FROM watch_fingerprints WHERE path=?", dropped)
            db.executemany("INSERT OR REPLACE INTO watch_fingerprints(path, hash, data) VALUES(?,?,?)", rows)


class _IncrementalIndex(DuplicateIndex):
    """rules-b's duplicate index, joined only over the files that share a window with the
    changed ones.

    ``DuplicateIndex.matches`` buckets every anchor of every file on each call (a second
    or more on a large project); here a map from window CRC to the files holding it is
    kept up to date, and ``matches(only=...)`` runs the original join on just the files
    that can match. Files are handed over in path order, the order of a cold scan, so the
    runs found (and the findings built from them) are the same.
    """

    def __init__(self, min_tokens: int = 60) -> None:
        super().__init__(min_tokens)
        self._where: dict[int, str | set[str]] = {}  # crc -> path (or paths) holding it

    def _link(self, fp: Fingerprints) -> None:
        where, path = self._where, fp.path
        for crc, _ in fp.anchors:
            held = where.get(crc)
            if held is None:
                where[crc] = path
            elif isinstance(held, str):
                if held != path:
                    where[crc] = {held, path}
            else:
                held.add(path)

    def _unlink(self, fp: Fingerprints) -> None:
        where, path = self._where, fp.path
        for crc, _ in fp.anchors:
            held = where.get(crc)
            if held == path:
                del where[crc]
            elif isinstance(held, set):
                held.discard(path)
                if len(held) == 1:
                    where[crc] = next(iter(held))

    def update(self, fp: Fingerprints | None, path: str | None = None) -> None:
        key = fp.path if fp is not None else path
        old = self.files.get(key) if key is not None else None
        if old is not None:
            self._unlink(old)
        super().update(fp, path)
        if fp is not None:
            self._link(fp)

    def remove(self, path: str) -> None:
        old = self.files.get(path)
        if old is not None:
            self._unlink(old)
        super().remove(path)

    def matches(self, only: Iterable[str] | None = None, cross_file_only: bool = False) -> list[Any]:
        everything = self.files
        if only is None:
            subset = dict(sorted(everything.items()))
        else:
            relevant = set(only)
            for path in list(relevant):
                fp = everything.get(path)
                for crc, _ in fp.anchors if fp is not None else ():
                    held = self._where.get(crc)
                    if isinstance(held, set):
                        relevant |= held
                    elif held is not None:
                        relevant.add(held)
            subset = {p: everything[p] for p in sorted(relevant) if p in everything}
        self.files = subset  # the service's lock keeps anyone else out meanwhile
        try:
            return super().matches(only, cross_file_only)
        finally:
            self.files = everything


def is_cross_duplicate(s: Suggestion) -> bool:
    """A KZ705 of the project pass: its copies are in other files (the per-file rule's are not)."""
    if s.code != duplicates.CODE:
        return False
    copies = s.evidence.get("copies") or ()
    return any(isinstance(c, Mapping) and c.get("path") != s.path for c in copies)


def _fingerprints_to_json(fp: Fingerprints) -> str:
    tokens: Any = fp.tokens
    as_bytes = isinstance(tokens, bytes | bytearray)  # the token string is ASCII text or bytes
    return json.dumps({
        "language": fp.language, "tokens": tokens.decode("latin-1") if as_bytes else tokens,
        "bytes": as_bytes, "line_starts": fp.line_starts, "anchors": fp.anchors,
        "suppressed": sorted(fp.suppressed),
    })


def _fingerprints_from_json(path: str, text: str) -> Fingerprints:
    d = json.loads(text)
    tokens: Any = d["tokens"].encode("latin-1") if d.get("bytes") else d["tokens"]
    return Fingerprints(
        path, d["language"], tokens, tuple(d["line_starts"]),
        tuple((int(c), int(o)) for c, o in d["anchors"]), frozenset(d["suppressed"]),
    )
