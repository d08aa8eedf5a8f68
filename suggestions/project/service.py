"""ProjectService: the one object the UI and the CLI drive to keep a project analysed.

It owns one project's state — the store, a parse cache, the analyzer, the current suggestions
by fingerprint — and keeps it equal to what a cold scan of the tree would produce, cheaply:

* :meth:`ProjectService.open` is a warm start. It takes the inventory, trusts stored results
  for files whose size and mtime match, hashes the others and re-analyses only those whose
  content differs, drops removed files. Stored results are thrown away when the analysis
  itself changed (rules, settings): the store remembers a signature of both.
* :meth:`ProjectService.handle_paths` (called by the watcher with each debounced batch, or by
  anyone) re-reads only the changed paths, re-parses them incrementally through the
  :class:`ParseCache`, re-runs the rules, writes the store and publishes a
  :class:`ServiceEvent` saying which suggestions were added, updated (same fingerprint, e.g.
  moved lines) and removed, and which files changed, vanished or became unreadable.

Fingerprints do not contain line numbers, so a suggestion that moves because lines above it
changed keeps its identity, and with it its decisions. A suggestion whose latest decision is
*reject* stays hidden. Subscribers and ``after_batch`` hooks are called on the thread that
handled the batch (the watcher's thread while watching), never while the service is locked
against readers: they may call back into the service.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from analysis.config import Config, ConfigError, load_config
from analysis.inventory import (
    IgnoreMatcher,
    Inventory,
    PathKind,
    SourceFile,
    classify,
    classify_stat,
    in_virtualenv,
    read_source,
    scan_inventory,
    walk_folder,
)
from analysis.parsing import ParseCache
from analysis.store import FileRecord, Store
from analysis.watcher import Batch, Watcher
from suggestions.analyze.scan import (
    PARALLEL_THRESHOLD,
    SIGNATURE_KEY,
    FileResult,
    analysis_signature,
    analyze_file,
    analyzer_for,
    scan_project,
)
from suggestions.model import Source, Suggestion, content_hash
from suggestions.project.dup_index import CrossFileDuplicates, is_cross_duplicate
from suggestions.project.memory import gc_tuned, tune_gc

__all__ = [
    "CONFIG_FILES",
    "EventKind",
    "OpenStats",
    "ProjectService",
    "ServiceEvent",
    "analysis_signature",
    "gc_tuned",
    "tune_gc",
]

log = logging.getLogger(__name__)

CONFIG_FILES = ("kaizen.toml", "pyproject.toml")
# Batches up to this many files are parsed through the cache (incremental next time);
# bigger ones (a checkout) are parsed once, so the cache does not hold a whole tree.
CACHED_BATCH = 64



class EventKind(enum.StrEnum):
    """What a :class:`ServiceEvent` reports."""

    OPENED = "opened"  # open() finished: stats say how much was re-analysed
    CHANGED = "changed"  # a batch was analysed: suggestion and file deltas
    STATUS = "status"  # a sentence for the user (watching mode, polling fallback)
    CONFIG = "config"  # settings reloaded (level info) or broken (level error, last good kept)
    ROOT_LOST = "root-lost"  # the project folder was deleted or renamed; watching stopped
    ERROR = "error"  # a batch failed unexpectedly; the previous state is kept


@dataclass(frozen=True)
class ServiceEvent:
    """One thing that happened to the project's analysis.

    Attributes:
        kind: see :class:`EventKind`.
        added: suggestions that appeared (rejected ones are never reported).
        updated: suggestions whose fingerprint stayed but whose content changed (moved
            lines, new patch base...); ``previous`` holds the old version by fingerprint.
        removed: suggestions that disappeared (their last known version).
        files_changed: files analysed again because their content changed (or appeared).
        files_removed: files no longer analysed (deleted, moved away, now ignored).
        files_skipped: files that became unusable, with the reason ("binary file"...).
        folders_removed: folders that were deleted or moved away with their files.
        message: a sentence for STATUS / CONFIG / ROOT_LOST / ERROR events.
        level: "info", "warning" or "error".
        stats: numbers (OPENED: files, analysed, reused, removed, seconds; CHANGED: raw
            events in the batch, seconds spent analysing it).
        latency: seconds from the first filesystem event of the batch to this event.
        at: wall-clock time of the event.
    """

    kind: EventKind
    added: tuple[Suggestion, ...] = ()
    updated: tuple[Suggestion, ...] = ()
    removed: tuple[Suggestion, ...] = ()
    previous: Mapping[str, Suggestion] = field(default_factory=dict)
    files_changed: tuple[str, ...] = ()
    files_removed: tuple[str, ...] = ()
    files_skipped: Mapping[str, str] = field(default_factory=dict)
    folders_removed: tuple[str, ...] = ()
    message: str = ""
    level: str = "info"
    stats: Mapping[str, Any] = field(default_factory=dict)
    latency: float | None = None
    at: float = field(default_factory=time.time)

    @property
    def moved(self) -> list[tuple[Suggestion, int]]:
        """Updated suggestions whose line changed, with their previous line."""
        out = []
        for s in self.updated:
            old = self.previous.get(s.fingerprint)
            if old is not None and old.line != s.line:
                out.append((s, old.line))
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (suggestions in their ``--json`` shape)."""
        return {
            "kind": self.kind.value,
            "added": [s.summary_dict() for s in self.added],
            "updated": [
                {**s.summary_dict(), "previous_line": self.previous[s.fingerprint].line}
                if s.fingerprint in self.previous else s.summary_dict()
                for s in self.updated
            ],
            "removed": [s.summary_dict() for s in self.removed],
            "files_changed": list(self.files_changed),
            "files_removed": list(self.files_removed),
            "files_skipped": dict(self.files_skipped),
            "folders_removed": list(self.folders_removed),
            "message": self.message,
            "level": self.level,
            "stats": dict(self.stats),
            "latency": self.latency,
            "at": self.at,
        }


@dataclass(frozen=True)
class OpenStats:
    """How :meth:`ProjectService.open` spent its time."""

    files: int  # source files in the project
    analysed: int  # files parsed and analysed
    reused: int  # files whose stored results were kept
    hashed: int  # files whose size/mtime changed, so their content was hashed
    removed: int  # stored files that are gone
    cold: bool  # the stored analysis was unusable (first start or rules/settings changed)
    seconds: float


class Ranker(Protocol):
    def rank(self, suggestions: list[Suggestion]) -> list[Suggestion]: ...


@dataclass
class _Delta:
    """What one batch or reconcile changed, accumulated before it is published."""

    added: list[Suggestion] = field(default_factory=list)
    updated: list[Suggestion] = field(default_factory=list)
    removed: list[Suggestion] = field(default_factory=list)
    previous: dict[str, Suggestion] = field(default_factory=dict)
    files_changed: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    files_skipped: dict[str, str] = field(default_factory=dict)
    folders_removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.files_changed
                    or self.files_removed or self.files_skipped or self.folders_removed)


class ProjectService:
    """Keeps one project's analysis current and tells subscribers what changed.

    Thread-safe: batches are handled one at a time; readers (:meth:`suggestions`,
    :meth:`files`) may call from any thread. Typical use::

        service = ProjectService(root)
        service.subscribe(print)
        service.open()             # warm start from .kaizen/kaizen.db
        service.start_watching()   # batches arrive on the watcher's thread
        ...
        service.close()

    Args:
        root: the project folder.
        config: settings to use; default: read ``kaizen.toml`` / ``pyproject.toml`` and
            reload them whenever they change (an explicit config is never reloaded).
        store: an open store for ``root`` (default: ``<root>/.kaizen/kaizen.db``).
        jobs: worker processes for large (re-)analyses; default: all cores; 1: in-process.

    Raises:
        ConfigError: the project's settings are broken at construction time.
        StoreError: the database cannot be opened.
    """

    def __init__(
        self,
        root: Path | str,
        config: Config | None = None,
        *,
        store: Store | None = None,
        jobs: int | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self._config_explicit = config is not None
        self._config_stale = False  # the file on disk is broken; we use the last good settings
        self._config = config if config is not None else load_config(self.root)
        self.store = store if store is not None else Store(self.root)
        self.duplicates = CrossFileDuplicates(self.root, self.store, lambda: self.analyzer, lambda: self._max_size)
        self.cache = ParseCache(max_files=512)
        self.analyzer = analyzer_for(self._config)
        self.jobs = jobs
        self.ranker: Ranker | None = None
        #: Callables run after each published CHANGED event (the policy's auto-apply).
        self.after_batch: list[Callable[[ServiceEvent], Any]] = []
        self._subscribers: list[Callable[[ServiceEvent], Any]] = []
        self._lock = threading.RLock()  # serialises batches and guards the state below
        self._files: dict[str, FileRecord] = {}
        self._skipped: dict[str, str] = {}
        self._suggestions: dict[str, Suggestion] = {}
        self._by_path: dict[str, set[str]] = {}
        self._store_mark: tuple[int, float] = (0, 0.0)
        self._pending: list[Callable[[], None]] = []  # deferred store writes, oldest first
        self._matcher = self._new_matcher()
        self._watcher: Watcher | None = None
        self._opened = False
        self.root_lost = False
        #: Counters for tests and benchmarks: files analysed / reused since construction.
        self.analysed_count = 0
        self.reused_count = 0
        self.batches = 0

    # --- properties ---------------------------------------------------------------------------

    @property
    def config(self) -> Config:
        """The settings in use (the last good ones if the file on disk is broken)."""
        return self._config

    @property
    def watching(self) -> str:
        """"native", "polling", or "" when not watching."""
        w = self._watcher
        return w.mode if w is not None and w.running else ""

    def _new_matcher(self) -> IgnoreMatcher:
        return IgnoreMatcher(self.root, self._config.get("exclude"))

    @property
    def _max_size(self) -> int:
        return int(self._config.get("max-file-size"))

    # --- subscriptions ------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[ServiceEvent], Any]) -> Callable[[], None]:
        """Call ``callback(event)`` for every event; returns a function that unsubscribes."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def _publish(self, event: ServiceEvent, *, subscribers: bool = True, hooks: bool = True) -> None:
        with self._lock:
            to_call = list(self._subscribers) if subscribers else []
            if hooks and event.kind is EventKind.CHANGED:
                to_call += self.after_batch
        for cb in to_call:
            try:
                cb(event)
            except Exception:  # one broken subscriber must not starve the others
                log.exception("service subscriber %r failed on %s event", cb, event.kind.value)

    def _status(self, message: str, level: str = "info", kind: EventKind = EventKind.STATUS) -> None:
        self._publish(ServiceEvent(kind, message=message, level=level))

    # --- reading state ------------------------------------------------------------------------

    def revision(self) -> tuple[int, float, int]:
        """A value that changes whenever :meth:`suggestions` could return something else:
        the stored suggestions (every batch lands there) and the decisions the ranking
        learns from. A window compares it to skip re-ranking a large list for nothing."""
        with self._lock:
            self._flush_pending()
            count, updated = self._mark()
        decisions = int(self.store.execute("SELECT COALESCE(MAX(id), 0) FROM decisions")[0][0])
        return count, updated, decisions

    def rejected(self) -> set[str]:
        """Fingerprints a rejection hides now (a not-now one for a day): see decide.visibility."""
        from suggestions.decide.visibility import hidden_by_decisions

        return hidden_by_decisions(self.store.latest_decisions(), time.time(), applied=False)

    def suggestions(self, path: str | None = None, *, include_rejected: bool = False) -> list[Suggestion]:
        """The current suggestions (ranked when :attr:`ranker` is set), rejected ones hidden."""
        with self._lock:
            self._sync_from_store()
            if path is None:
                items = list(self._suggestions.values())
            else:
                items = [self._suggestions[fp] for fp in self._by_path.get(path, ())]
        if not include_rejected:
            hidden = self.rejected()
            items = [s for s in items if s.fingerprint not in hidden]
        if self.ranker is not None:
            return self.ranker.rank(items)
        return sorted(items, key=lambda s: (s.path, s.line, s.span.start_col, s.code))

    def suggestion(self, handle: str) -> Suggestion | None:
        """By fingerprint or a unique prefix of it (the short id)."""
        with self._lock:
            self._sync_from_store()
            hits = [s for fp, s in self._suggestions.items() if fp.startswith(handle.lower())]
        return hits[0] if len(hits) == 1 else None

    def files(self) -> dict[str, FileRecord]:
        """Analysed files: path -> (path, language, hash, size, mtime_ns, encoding, fallback, errors)."""
        with self._lock:
            return dict(self._files)

    def skipped(self) -> dict[str, str]:
        """Files Kaizen could not analyse, with the reason."""
        with self._lock:
            return dict(self._skipped)

    def _mark(self) -> tuple[int, float]:
        row = self.store.execute("SELECT COUNT(*), COALESCE(MAX(updated_at), 0) FROM suggestions")[0]
        return int(row[0]), float(row[1])

    def _sync_from_store(self) -> None:
        """Reload suggestions when another component (validator, ranker, CLI) wrote them."""
        self._flush_pending()
        mark = self._mark()
        if mark != self._store_mark:
            self._load_suggestions()

    def _load_suggestions(self) -> None:
        rows = self.store.execute("SELECT data FROM suggestions")
        self._suggestions = {}
        self._by_path = {}
        for (data,) in rows:
            s = Suggestion.from_dict(json.loads(data))
            self._suggestions[s.fingerprint] = s
            self._by_path.setdefault(s.path, set()).add(s.fingerprint)
        self._store_mark = self._mark()

    # --- warm start -------------------------------------------------------------------------

    def open(self) -> OpenStats:
        """Bring the store up to date with the tree on disk, re-analysing as little as possible."""
        with self._lock:
            self._flush_pending()  # a re-open reads the store: it must hold every batch
            t0 = time.perf_counter()
            stored: dict[str, FileRecord] = {r.path: r for r in self.store.files()}
            self._files = stored
            self._skipped = self.store.skipped()
            self._load_suggestions()
            stats, _ = self._reconcile(force=None)
            self._opened = True
            stats = OpenStats(**{**stats.__dict__, "seconds": time.perf_counter() - t0})
        self._publish(ServiceEvent(EventKind.OPENED, stats=stats.__dict__,
                                   message=_open_message(stats)))
        return stats

    def _reconcile(self, force: bool | None) -> tuple[OpenStats, _Delta]:
        """Compare the whole tree with the known state; analyse what differs.

        ``force`` True re-analyses everything; None decides from the stored signature.
        """
        self._sync_from_store()  # carry over what the validator or ranker stored meanwhile
        signature = analysis_signature(self._config, self.analyzer)
        if force is None:
            force = self.store.get_meta(SIGNATURE_KEY) != signature
        if force:  # stored fingerprints may be in an older format: every file is redone anyway
            self.duplicates.invalidate(forget_stored=True)
        inv = scan_inventory(self.root, self._max_size, self._config.get("exclude"))
        to_analyse: list[SourceFile] = []
        touched: list[FileRecord] = []
        hashed = 0
        for f in inv.files:
            rec = self._files.get(f.path)
            if force or rec is None or rec.language != f.language:
                to_analyse.append(f)
                continue
            if rec.size == f.size and rec.mtime_ns == f.mtime_ns:
                continue
            if rec.size != f.size:  # a different size is a different content: no need to hash
                to_analyse.append(f)
                continue
            hashed += 1
            try:
                with open(self.root / f.path, "rb") as fh:
                    same = content_hash(fh.read(self._max_size + 1)) == rec.hash
            except OSError:
                same = False
            if same:
                touched.append(rec.seen_at(f.size, f.mtime_ns))
            else:
                to_analyse.append(f)
        present = {f.path for f in inv.files} | {s.path for s in inv.skipped}
        gone = [p for p in self._files if p not in present]
        results = self._analyse(to_analyse)
        skipped = {s.path: s.reason for s in inv.skipped}
        delta = self._commit(results, gone, skipped, touched, replace_skipped=True)
        if self.store.get_meta(SIGNATURE_KEY) != signature:
            self.store.set_meta(SIGNATURE_KEY, signature)
        reused = len(inv.files) - len(to_analyse)
        self.reused_count += reused
        stats = OpenStats(len(inv.files), len(to_analyse), reused, hashed, len(gone), force, 0.0)
        return stats, delta

    # --- analysis -----------------------------------------------------------------------------

    def _analyse(self, files: Sequence[SourceFile]) -> list[FileResult]:
        self.analysed_count += len(files)
        if not files:
            return []
        jobs = self.jobs
        if len(files) >= PARALLEL_THRESHOLD and jobs != 1 and not self._config_explicit and not self._config_stale:
            # Workers read the settings from disk, so only when those are the ones in use.
            inv = Inventory(self.root, files=list(files))
            # The project pass is _commit's own, incremental one.
            return scan_project(self.root, self._config, jobs=jobs, inventory=inv, project_pass=False).files
        cache = self.cache if len(files) <= CACHED_BATCH else None
        out = []
        for f in files:
            try:
                out.append(analyze_file(self.root, f.path, f.language, self.analyzer, cache, self._max_size))
            except Exception as exc:  # a rule's bug loses one file's results, not the batch
                log.exception("analysis of %s failed", f.path)
                out.append(FileResult(f.path, f.language, None, [], [], skipped=f"analysis failed ({exc})"))
        return out

    def _commit(
        self,
        results: Sequence[FileResult],
        gone: Iterable[str],
        skipped: Mapping[str, str],
        touched: Sequence[FileRecord] = (),
        *,
        replace_skipped: bool = False,
        defer: bool = False,
    ) -> _Delta:
        """Write results to memory and the store; return what changed for subscribers.

        With ``defer`` the store write is queued (``_pending``): the caller tells subscribers
        first, outside the lock, then flushes the queue in order before the ``after_batch``
        hooks, which read the store. Anything that reads or writes the store flushes first.
        """
        delta = _Delta()
        gone = [p for p in gone if p in self._files or p in self._skipped]
        skipped = self._skips(results, skipped, delta)
        stale_skipped = [p for p in self._skipped if p not in skipped] if replace_skipped else []
        ok = [r for r in results if r.record is not None]
        affected = {r.path for r in results} | set(gone) | set(skipped) | set(stale_skipped)
        affected = {p for p in affected if p in self._by_path or p in {r.path for r in ok}}
        leaving = {p for p in [*gone, *skipped] if p in self._files}
        new_by_path, hashes = self._findings(ok, leaving, affected)
        all_new, upserts, deletes = self._diff(affected, new_by_path, hashes, delta)
        records = [FileRecord.of(r.record) for r in ok if r.record is not None]
        for rec in records:
            prev = self._files.get(rec.path)
            if prev is None or prev.hash != rec.hash or prev.language != rec.language:
                delta.files_changed.append(rec.path)
        delta.files_changed.sort()
        delta.files_removed = sorted(p for p in gone if p in self._files)
        removed_rows = list(gone) + stale_skipped

        def persist() -> None:
            self.store.update_files(
                [*records, *touched],
                symbols={r.path: r.symbols for r in ok},
                skipped=skipped,
                removed=removed_rows,
            )
            self._write_suggestions(deletes, upserts)
            self.duplicates.save(ok, leaving | set(gone))
            self._store_mark = self._mark()

        if defer:
            self._pending.append(persist)
        else:
            persist()
        self._remember([*records, *touched], removed_rows, skipped, affected, all_new)
        return delta

    def _skips(self, results: Sequence[FileResult], skipped: Mapping[str, str], delta: _Delta) -> dict[str, str]:
        """Every file skipped now (the unreadable results too); new reasons go in ``delta``."""
        out = dict(skipped)
        for r in results:
            if r.record is None:
                out[r.path] = r.skipped or "unreadable"
        # Files that became unusable (binary, too large, broken link...): report them once.
        for path, reason in out.items():
            if self._skipped.get(path) != reason:
                delta.files_skipped[path] = reason
        return out

    def _findings(
        self, ok: Sequence[FileResult], leaving: set[str], affected: set[str]
    ) -> tuple[dict[str, list[Suggestion]], dict[str, str]]:
        """The new static findings by path (and the content hash each was made for): each
        analysed file's own, and the cross-file duplicates of the project pass, which may
        concern unchanged files too (added to ``affected``)."""
        new_by_path: dict[str, list[Suggestion]] = {}
        hashes = {r.path: r.record[2] for r in ok if r.record is not None}
        for r in ok:
            # Cross-file duplicates come from the project pass below, over the whole project.
            new_by_path[r.path] = [s for s in r.suggestions if not is_cross_duplicate(s)]
        cross = self.duplicates.pass_for(ok, leaving, self._files, self._suggestions)
        if cross is None:
            return new_by_path, hashes
        concerned, found = cross
        for path in concerned:
            if path in leaving or (path not in new_by_path and path not in self._files):
                continue
            if path not in new_by_path:  # unchanged file: keep its own findings
                hashes[path] = self._files[path].hash
                new_by_path[path] = [
                    self._suggestions[fp] for fp in self._by_path.get(path, ())
                    if fp in self._suggestions and self._suggestions[fp].source is Source.STATIC
                    and not is_cross_duplicate(self._suggestions[fp])
                ]
            new_by_path[path].extend(found.get(path, ()))
            affected.add(path)
        return new_by_path, hashes

    def _diff(
        self, affected: set[str], new_by_path: Mapping[str, list[Suggestion]], hashes: Mapping[str, str],
        delta: _Delta,
    ) -> tuple[list[Suggestion], list[Suggestion], list[str]]:
        """Old against new suggestions of the affected paths: (all current, rows to write,
        fingerprints to delete); added, updated and removed ones go in ``delta``."""
        rejected = self.rejected()
        all_new: list[Suggestion] = []
        upserts: list[Suggestion] = []
        deletes: list[str] = []
        for path in affected:
            old = {fp: self._suggestions[fp] for fp in self._by_path.get(path, ()) if fp in self._suggestions}
            fresh = {s.fingerprint: s for s in new_by_path.get(path, [])}
            new_hash = hashes.get(path)
            for fp, o in old.items():
                if fp in fresh:
                    fresh[fp] = _carry_over(o, fresh[fp])
                elif o.source is not Source.STATIC and new_hash is not None and (
                    o.patch is None or o.patch.base_hash == new_hash
                ):
                    fresh[fp] = o  # runtime / LLM findings survive while their patch applies
            for fp, s in fresh.items():
                before = old.get(fp)
                if fp in rejected:
                    continue
                if before is None:
                    delta.added.append(s)
                elif before != s:
                    delta.updated.append(s)
                    delta.previous[fp] = before
            for fp, o in old.items():
                if fp not in fresh:
                    deletes.append(fp)
                    if fp not in rejected:
                        delta.removed.append(o)
            upserts.extend(s for fp, s in fresh.items() if old.get(fp) != s)
            all_new.extend(fresh.values())
        return all_new, upserts, deletes

    def _remember(self, records: Sequence[FileRecord], removed: Sequence[str], skipped: Mapping[str, str],
                  affected: set[str], current: Sequence[Suggestion]) -> None:
        """Memory follows the store."""
        for p in removed:
            self._files.pop(p, None)
            self._skipped.pop(p, None)
        for p in skipped:
            self._files.pop(p, None)
            self._skipped[p] = skipped[p]
        for rec in records:
            self._files[rec.path] = rec
            self._skipped.pop(rec.path, None)
        for path in affected:
            for fp in self._by_path.pop(path, set()):
                self._suggestions.pop(fp, None)
        for s in current:
            self._suggestions[s.fingerprint] = s
            self._by_path.setdefault(s.path, set()).add(s.fingerprint)

    def _write_suggestions(self, deletes: Sequence[str], upserts: Sequence[Suggestion]) -> None:
        """Store only what changed (unchanged rows keep their bytes and timestamps)."""
        now = time.time()
        with self.store.transaction() as db:
            db.executemany("DELETE FROM suggestions WHERE fingerprint=?", [(fp,) for fp in deletes])
            db.executemany(
                "INSERT INTO suggestions(fingerprint, path, code, line, data, created_at, updated_at)"
                " VALUES(?,?,?,?,?,?,?) ON CONFLICT(fingerprint) DO UPDATE SET path=excluded.path,"
                " code=excluded.code, line=excluded.line, data=excluded.data, updated_at=excluded.updated_at",
                [(s.fingerprint, s.path, s.code, s.line, json.dumps(s.to_dict()), now, now) for s in upserts],
            )

    # --- batches ------------------------------------------------------------------------------

    def handle_paths(self, paths: Iterable[str | Path]) -> ServiceEvent | None:
        """Re-analyse what changed at ``paths`` (files or folders, relative or absolute).

        Returns the published CHANGED event, or None when nothing changed.
        """
        rels = set()
        for p in paths:
            rel = self._rel(p)
            if rel is not None:
                rels.add(rel)
        return self.handle_batch(Batch(paths=frozenset(rels), events=len(rels), first_event=time.monotonic()))

    def _rel(self, path: str | Path) -> str | None:
        p = Path(path)
        if p.is_absolute():
            try:
                p = p.relative_to(self.root)
            except ValueError:
                try:
                    p = p.resolve().relative_to(self.root)
                except ValueError:
                    return None
        rel = p.as_posix().strip("/")
        return None if rel in ("", ".") else rel

    def handle_batch(self, batch: Batch) -> ServiceEvent | None:
        """Handle one watcher batch (see :class:`analysis.watcher.Batch`)."""
        if batch.root_lost or not self.root.is_dir():
            self._on_root_lost()
            return None
        t0 = time.perf_counter()
        try:
            with self._lock:
                if not self._opened:
                    self.open()
                self.batches += 1
                delta, notes = self._handle_locked(batch)
        except Exception as exc:  # keep the last good state; say what happened
            log.exception("batch failed in %s", self.root)
            if not self.root.is_dir():
                self._on_root_lost()
                return None
            self._status(f"analysis of a change failed: {exc}", "error", EventKind.ERROR)
            return None
        for kind, level, message in notes:
            self._status(message, level, kind)
        if not delta:
            self._flush_pending()
            return None
        latency = time.monotonic() - batch.first_event if batch.first_event else None
        event = ServiceEvent(
            EventKind.CHANGED,
            added=tuple(delta.added),
            updated=tuple(delta.updated),
            removed=tuple(delta.removed),
            previous=delta.previous,
            files_changed=tuple(delta.files_changed),
            files_removed=tuple(delta.files_removed),
            files_skipped=delta.files_skipped,
            folders_removed=tuple(sorted(delta.folders_removed)),
            stats={"events": batch.events, "seconds": time.perf_counter() - t0},
            latency=latency,
        )
        # Subscribers hear first (a save's latency is what the user feels), then the batch is
        # stored, then the after_batch hooks (auto-apply) run: they read the stored state.
        self._publish(event, hooks=False)
        self._flush_pending()
        self._publish(event, subscribers=False)
        return event

    def _flush_pending(self) -> None:
        """Write deferred batches to the store, oldest first (see :meth:`_commit`)."""
        with self._lock:
            while self._pending:
                persist = self._pending.pop(0)
                try:
                    persist()
                except Exception as exc:  # memory stays current; a warm start re-analyses
                    log.exception("storing a batch failed in %s", self.root)
                    self._status(f"could not store the analysis: {exc}", "error", EventKind.ERROR)

    def _handle_locked(self, batch: Batch) -> tuple[_Delta, list[tuple[EventKind, str, str]]]:
        notes: list[tuple[EventKind, str, str]] = []
        self._sync_from_store()  # carry over what the validator or ranker stored meanwhile
        full: bool | None = False
        if any(p in CONFIG_FILES for p in batch.paths) and not self._config_explicit:
            changed_analysis, note = self._reload_config()
            notes.append(note)
            if changed_analysis:
                full = True
        if batch.ignore_changed:
            self._matcher.invalidate()
        if full or batch.overflow or batch.ignore_changed:
            _, delta = self._reconcile(force=bool(full))
            return delta, notes

        candidates: set[str] = set()
        folders_gone: list[str] = []
        walked: dict[str, os.stat_result] = {}
        walk_skipped: dict[str, str] = {}
        known = set(self._files) | set(self._skipped)
        for rel in batch.paths | batch.dirs:
            candidates.add(rel)
            prefix = rel + "/"
            under = [p for p in known if p.startswith(prefix)]
            candidates.update(under)
            absp = self.root / rel
            if absp.is_dir():
                if not self._matcher.is_ignored(rel, True) and not in_virtualenv(self.root, rel):
                    files, why = walk_folder(self.root, rel, self._matcher)
                    walked.update(files)
                    walk_skipped.update(why)
            elif under:
                folders_gone.append(rel)

        to_analyse: list[SourceFile] = []
        gone: list[str] = []
        skipped: dict[str, str] = dict(walk_skipped)
        texts: dict[str, Any] = {}
        seen: set[str] = set()
        for rel, st in walked.items():
            seen.add(rel)
            kind = classify_stat(rel, st, self._max_size)
            self._route(rel, kind, to_analyse, gone, skipped)
        for rel in candidates - seen:
            kind = classify(self.root, rel, self._matcher, self._max_size)
            self._route(rel, kind, to_analyse, gone, skipped)

        # Content unchanged (a touch, a save without edits)? Keep the results.
        touched: list[FileRecord] = []
        really: list[SourceFile] = []
        for f in to_analyse:
            rec = self._files.get(f.path)
            if rec is not None and rec.language == f.language:
                try:
                    text = read_source(self.root / f.path, self._max_size)
                except ValueError:
                    really.append(f)
                    continue
                if text.raw_hash == rec.hash:
                    if (rec.size, rec.mtime_ns) != (f.size, f.mtime_ns):
                        touched.append(rec.seen_at(f.size, f.mtime_ns))
                    self.reused_count += 1
                    continue
                texts[f.path] = text
            really.append(f)
        results = self._analyse_with_texts(really, texts)
        delta = self._commit(results, gone, skipped, touched, defer=True)
        delta.folders_removed = folders_gone
        return delta, notes

    def _analyse_with_texts(self, files: list[SourceFile], texts: dict[str, Any]) -> list[FileResult]:
        if len(files) >= PARALLEL_THRESHOLD or not texts:
            return self._analyse(files)
        self.analysed_count += len(files)
        cache = self.cache if len(files) <= CACHED_BATCH else None
        out = []
        for f in files:
            try:
                out.append(analyze_file(self.root, f.path, f.language, self.analyzer, cache,
                                        self._max_size, text=texts.get(f.path)))
            except Exception as exc:
                log.exception("analysis of %s failed", f.path)
                out.append(FileResult(f.path, f.language, None, [], [], skipped=f"analysis failed ({exc})"))
        return out

    @staticmethod
    def _route(
        rel: str,
        kind: PathKind,
        to_analyse: list[SourceFile],
        gone: list[str],
        skipped: dict[str, str],
    ) -> None:
        what, value = kind
        if what == "file":
            to_analyse.append(value)
        elif what == "skip":
            skipped[rel] = value
        else:  # gone, or now a folder (its files come from the walk): no longer a file
            gone.append(rel)

    def _reload_config(self) -> tuple[bool, tuple[EventKind, str, str]]:
        """Re-read the settings; returns (analysis changed, the note to publish)."""
        try:
            new = load_config(self.root)
        except ConfigError as exc:
            self._config_stale = True
            return False, (EventKind.CONFIG, "error",
                           f"settings not reloaded: {exc}; still using the last good settings")
        old_sig = analysis_signature(self._config, self.analyzer)
        self._config_stale = False
        self._config = new
        self.analyzer = analyzer_for(new)
        self._matcher = self._new_matcher()
        self.duplicates.invalidate()  # the window size may have changed
        changed = analysis_signature(new, self.analyzer) != old_sig
        where = new.path.name if new.path else "defaults"
        msg = f"settings reloaded from {where}" + ("; re-analysing the project" if changed else "")
        return changed, (EventKind.CONFIG, "info", msg)

    def reload(self) -> OpenStats:
        """Reconcile the whole tree now (as after a .gitignore or settings change)."""
        with self._lock:
            self._flush_pending()
            stats, delta = self._reconcile(force=None)
        if delta:
            self._publish(ServiceEvent(
                EventKind.CHANGED, added=tuple(delta.added), updated=tuple(delta.updated),
                removed=tuple(delta.removed), previous=delta.previous,
                files_changed=tuple(delta.files_changed), files_removed=tuple(delta.files_removed),
                files_skipped=delta.files_skipped,
            ))
        return stats

    # --- watching -----------------------------------------------------------------------------

    def start_watching(self, **options: Any) -> str:
        """Watch the folder; returns "native" or "polling". ``options`` go to :class:`Watcher`.

        Opens the project first if :meth:`open` has not run.
        """
        if not self._opened:
            self.open()
        with self._lock:
            if self._watcher is not None and self._watcher.running:
                return self._watcher.mode
            self.root_lost = False
            self._watcher = Watcher(self.root, self.handle_batch, on_status=self._status, **options)
            mode = self._watcher.start()
        if not self.duplicates.loaded and self.duplicates.enabled:
            # Load the duplicate index now rather than on the first save.
            threading.Thread(target=self._preload, name="kaizen-preload", daemon=True).start()
        self._status(f"watching {self.root} ({mode})")
        return mode

    def _preload(self) -> None:
        try:
            with self._lock:
                if self._opened and not self.root_lost:
                    self.duplicates.index(self._files)
        except Exception:  # the first batch will try again
            log.exception("preloading the duplicate index failed")

    def _on_root_lost(self) -> None:
        with self._lock:
            if self.root_lost:
                return
            self.root_lost = True
            w, self._watcher = self._watcher, None
        if w is not None:
            w.stop()
        how = "deleted" if not os.path.lexists(self.root) else "moved or replaced"
        self._status(f"the project folder {self.root} was {how}; watching stopped", "error",
                     EventKind.ROOT_LOST)

    def stop(self) -> None:
        """Stop watching (the state stays usable)."""
        with self._lock:
            w, self._watcher = self._watcher, None
        if w is not None:
            w.stop()

    def close(self) -> None:
        """Stop watching and close the store."""
        self.stop()
        with self._lock:
            self._flush_pending()
            self.store.close()

    def __enter__(self) -> ProjectService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _carry_over(old: Suggestion, new: Suggestion) -> Suggestion:
    """Keep what other components attached to a suggestion that is still there."""
    keep: dict[str, Any] = {}
    if old.validation.base_hash and new.patch is not None and old.validation.base_hash == new.patch.base_hash:
        keep["validation"] = old.validation  # still the same file content: still valid
    if old.score or old.score_breakdown:
        keep["score"], keep["score_breakdown"] = old.score, old.score_breakdown
    extra = {k: v for k, v in old.evidence.items() if k not in new.evidence}
    if extra:
        keep["evidence"] = {**new.evidence, **extra}
    return new.replace(**keep) if keep else new


def _open_message(stats: OpenStats) -> str:
    if stats.cold:
        return f"analysed {stats.analysed} file(s) in {stats.seconds:.2f}s"
    return (
        f"{stats.files} file(s): {stats.reused} unchanged, {stats.analysed} re-analysed, "
        f"{stats.removed} removed ({stats.seconds:.2f}s)"
    )
