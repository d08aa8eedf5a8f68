"""A whole-project scan kept in ``.kaizen/`` (``kaizen scan``): written batch by batch, or
the stored analysis brought up to date when the same rules and settings made it."""

from __future__ import annotations

import time
from pathlib import Path

from analysis.config import Config
from suggestions.analyze.scan import (
    SIGNATURE_KEY,
    FileResult,
    ScanResult,
    analysis_signature,
    scan_project,
)
from suggestions.model import Source, Suggestion
from suggestions.store import Store

__all__ = ["scan_stored"]


def _scan_into(store: Store, root: Path, config: Config, jobs: int | None, signature: str) -> ScanResult:
    """Scan and store at once: each batch of results is written while the workers go on.

    The analysis signature is cleared first and written last, so the service (``kaizen
    suggest``, ``watch``, the window) starts warm from a complete scan, and from nothing
    an interrupted one left half-written.
    """
    store.set_meta(SIGNATURE_KEY, "")
    stale = set(store.file_hashes())
    written: set[str] = set()
    pending: list[FileResult] = []

    def add(files: list[FileResult]) -> None:
        # Batches of ~200 files: each transaction's commit costs, and ten of them take
        # half the time of a hundred and eighty (measured on the standard library).
        pending.extend(files)
        if len(pending) >= 200:
            write(pending)
            pending.clear()

    def write(files: list[FileResult]) -> None:
        ok = [f for f in files if f.record]
        store.update_files(
            [f.record for f in ok if f.record],
            symbols={f.path: f.symbols for f in ok},
            skipped={f.path: f.skipped for f in files if f.skipped},
        )
        suggestions = [s for f in files for s in f.suggestions]
        store.replace_suggestions({f.path for f in files}, suggestions)
        written.update(s.fingerprint for s in suggestions)
        stale.difference_update(f.path for f in ok)

    result = scan_project(root, config, jobs=jobs, on_files=add)
    write(pending)
    store.update_files([], skipped=result.skipped, removed=stale - set(result.skipped))
    store.replace_suggestions(stale, [])
    # The project-level pass added cross-file duplicates to files already written.
    store.put_suggestions(
        s for f in result.files if f.path in result.revised for s in f.suggestions if s.fingerprint not in written
    )
    store.set_meta(SIGNATURE_KEY, signature)
    return result


def _warm(root: Path, jobs: int | None) -> ScanResult:
    """The stored analysis brought up to date (only changed files are analysed again)."""
    from suggestions.project.service import ProjectService

    t0 = time.perf_counter()
    service = ProjectService(root, jobs=jobs)
    try:
        stats = service.open()
        found = [s for s in service.suggestions(include_rejected=True) if s.source is Source.STATIC]
        by_path: dict[str, list[Suggestion]] = {}
        for s in found:
            by_path.setdefault(s.path, []).append(s)
        files = [FileResult(path, rec.language, rec.row(), [], by_path.get(path, [])) for path, rec in sorted(service.files().items())]
        return ScanResult(root, files, service.skipped(), time.perf_counter() - t0, reused=stats.reused)
    finally:
        service.close()


def scan_stored(root: Path, config: Config, jobs: int | None, *, warm_ok: bool) -> ScanResult:
    """Scan ``root`` and keep the results (warm when ``warm_ok`` and the stored scan is current)."""
    signature = analysis_signature(config)
    with Store(root) as store:
        stored = store.get_meta(SIGNATURE_KEY)
    # Warm when a complete scan with these very rules and settings is stored, and they
    # come from the settings file (the service reads that, not --select/--ignore).
    if stored == signature and warm_ok:
        return _warm(root, jobs)
    with Store(root) as store, store.bulk_load():
        return _scan_into(store, root, config, jobs, signature)
