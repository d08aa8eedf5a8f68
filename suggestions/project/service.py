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

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from analysis.config import Config, ConfigError, load_config
from analysis.inventory import (
    IgnoreMatcher,
    Inventory,
    SourceFile,
    SourceText,
    classify_batch,
    read_source,
    scan_inventory,
)
from analysis.parsing import ParseCache
from analysis.store import FileRecord
from analysis.watcher import Batch, Watcher
from suggestions.analyze.runtime import runtime_after_edit
from suggestions.analyze.scan import (
    PARALLEL_THRESHOLD,
    SIGNATURE_KEY,
    FileResult,
    analysis_signature,
    analyze_file,
    analyzer_for,
    scan_project,
)
from suggestions.decide.visibility import hidden_by_decisions
from suggestions.model import Source, Suggestion, content_hash
from suggestions.project.dup_index import CrossFileDuplicates, is_cross_duplicate
from suggestions.project.events import (
    Delta,
    EventKind,
    OpenStats,
    ServiceEvent,
    diff_suggestions,
    open_message,
)
from suggestions.project.memory import gc_tuned, tune_gc
from suggestions.store import Store

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



class Ranker(Protocol):
    def rank(self, suggestions: list[Suggestion]) -> list[Suggestion]: ...


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
                                   message=open_message(stats)))
        return stats

    def _reconcile(self, force: bool | None) -> tuple[OpenStats, Delta]:
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

    def _analyse(self, files: Sequence[SourceFile], texts: Mapping[str, SourceText] | None = None) -> list[FileResult]:
        """Analyse files (``texts``: those already read, by path), in workers when many."""
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
        texts = texts or {}
        out = []
        for f in files:
            try:
                out.append(analyze_file(self.root, f.path, f.language, self.analyzer, cache, self._max_size,
                                        text=texts.get(f.path)))
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
    ) -> Delta:
        """Write results to memory and the store; return what changed for subscribers.

        With ``defer`` the store write is queued (``_pending``): the caller tells subscribers
        first, outside the lock, then flushes the queue in order before the ``after_batch``
        hooks, which read the store. Anything that reads or writes the store flushes first.
        """
        delta = Delta()
        gone = [p for p in gone if p in self._files or p in self._skipped]
        skipped = self._skips(results, skipped, delta)
        stale_skipped = [p for p in self._skipped if p not in skipped] if replace_skipped else []
        ok = [r for r in results if r.record is not None]
        analysed = {r.path for r in ok}
        affected = {p for p in (*(r.path for r in results), *gone, *skipped, *stale_skipped)
                    if p in self._by_path or p in analysed}
        leaving = {p for p in [*gone, *skipped] if p in self._files}
        new_by_path, hashes = self._findings(ok, leaving, affected)
        all_new, upserts, deletes = diff_suggestions(
            affected, self._old_by_path(affected), new_by_path, hashes, self.rejected(), delta
        )
        records = [FileRecord.of(r.record) for r in ok if r.record is not None]
        delta.files_changed = self._changed(records)
        delta.files_removed = sorted(p for p in gone if p in self._files)
        removed_rows = list(gone) + stale_skipped

        def persist() -> None:
            self.store.update_files(
                [*records, *touched],
                symbols={r.path: r.symbols for r in ok},
                skipped=skipped,
                removed=removed_rows,
            )
            self.store.write_changes(deletes, upserts)
            self.duplicates.save(ok, leaving | set(gone))
            self._store_mark = self._mark()

        if defer:
            self._pending.append(persist)
        else:
            persist()
        self._remember([*records, *touched], removed_rows, skipped, affected, all_new)
        return delta

    def _old_by_path(self, paths: Iterable[str]) -> dict[str, dict[str, Suggestion]]:
        return {
            path: {fp: self._suggestions[fp] for fp in self._by_path.get(path, ()) if fp in self._suggestions}
            for path in paths
        }

    def _changed(self, records: Sequence[FileRecord]) -> list[str]:
        """The files whose content (or language) differs from what was known, sorted."""
        return sorted(
            rec.path for rec in records
            if (prev := self._files.get(rec.path)) is None or prev.hash != rec.hash or prev.language != rec.language
        )

    def _skips(self, results: Sequence[FileResult], skipped: Mapping[str, str], delta: Delta) -> dict[str, str]:
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
        concerned, found = cross if cross is not None else ((), {})
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
        for path, found_here in new_by_path.items():
            found_here.extend(self._runtime_findings(path, hashes.get(path, "")))
        return new_by_path, hashes

    def _runtime_findings(self, path: str, new_hash: str) -> list[Suggestion]:
        """The runtime suggestions of ``path`` for its content ``new_hash`` (re-mapped if it changed)."""
        old = [self._suggestions[fp] for fp in self._by_path.get(path, ())
               if fp in self._suggestions and self._suggestions[fp].source is Source.RUNTIME]
        prev = self._files.get(path)
        return runtime_after_edit(self.root, path, old, prev.hash if prev else "", new_hash)

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
        event = delta.event(stats={"events": batch.events, "seconds": time.perf_counter() - t0}, latency=latency)
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

    def _handle_locked(self, batch: Batch) -> tuple[Delta, list[tuple[EventKind, str, str]]]:
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

        paths = classify_batch(self.root, batch.paths | batch.dirs, set(self._files) | set(self._skipped),
                               self._matcher, self._max_size)
        to_analyse, gone, skipped = paths.files, paths.gone, paths.skipped
        texts: dict[str, SourceText] = {}

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
        results = self._analyse(really, texts)
        delta = self._commit(results, gone, skipped, touched, defer=True)
        delta.folders_removed = paths.folders_gone
        return delta, notes

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
            self._publish(delta.event())
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
