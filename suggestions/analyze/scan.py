"""Whole-project analysis: inventory, parse, symbols, rules — on every core.

:func:`analyze_file` is the unit of work shared by the cold scan, the watcher's service
and validation; :func:`scan_project` fans it out over processes for large projects.
"""

from __future__ import annotations

import gc
import hashlib
import importlib.util
import inspect
import json
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.config import Config, load_config
from analysis.inventory import Inventory, SourceText, read_source, scan_inventory
from analysis.parsing import ParseCache, ParsedFile
from analysis.symbols import SymbolRow
from suggestions.analyze import duplicates
from suggestions.analyze.duplicates import Fingerprints
from suggestions.analyze.engine import Analyzer, Selection
from suggestions.model import Suggestion, pickled_by_fields

__all__ = [
    "SIGNATURE_KEY", "FileResult", "ScanResult", "analysis_signature", "analyze_file", "analyzer_for", "scan_project",
]

# Below this many files a scan runs in-process: starting workers would cost more. Spawned
# workers import and compile everything again (about 0.4 s of CPU each); forked ones
# inherit it, and pay off from a few dozen files (boltons, 61 files: 0.49 s instead of 0.58).
PARALLEL_THRESHOLD = 150
FORKED_THRESHOLD = 24


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class FileResult:
    path: str
    language: str
    record: tuple[str, str, str, int, int, str, bool, int] | None  # None when skipped
    symbols: list[SymbolRow]
    suggestions: list[Suggestion]
    skipped: str = ""  # the reason, when the file could not be analysed
    seconds: float = 0.0
    fingerprints: Fingerprints | None = None  # token fingerprints for the duplicate pass (KZ705)


@dataclass
class ScanResult:
    root: Path
    files: list[FileResult] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    jobs: int = 1
    revised: set[str] = field(default_factory=set)  # paths whose results changed after on_files
    reused: int = 0  # files whose stored results were current (a warm scan)

    @property
    def suggestions(self) -> list[Suggestion]:
        return [s for f in self.files for s in f.suggestions]

    @property
    def parse_errors(self) -> int:
        return sum(1 for f in self.files if f.record is not None and f.record[7])


# The store's meta key for :func:`analysis_signature`: stored results are current for it.
SIGNATURE_KEY = "service.analysis-signature"


def analysis_signature(config: Config, analyzer: Any | None = None) -> str:
    """A hash of everything that decides a file's suggestions besides its content.

    Settings that select or tune rules, and the source of every enabled rule and of the
    engine: when any of them changes, stored suggestions are stale.
    """
    analyzer = analyzer or analyzer_for(config)
    h = hashlib.sha256()
    top = config.values[""]
    relevant = {
        "select": top.get("select"), "ignore": top.get("ignore"),
        "per-file-ignores": top.get("per-file-ignores"), "exclude": top.get("exclude"),
        "max-file-size": top.get("max-file-size"), "target-version": top.get("target-version"),
        "thresholds": config.section("thresholds"),
    }
    h.update(json.dumps(relevant, sort_keys=True, default=str).encode())
    files: set[str] = set()
    for rule in sorted(analyzer.rules, key=lambda r: r.code):
        h.update(rule.code.encode())
        src = inspect.getsourcefile(type(rule))
        if src:
            files.add(src)
    for mod in ("suggestions.analyze.engine", "suggestions.analyze.framework", "suggestions.analyze.scan",
                "analysis.symbols", "analysis.parsing", "suggestions.analyze.duplicates"):
        spec = importlib.util.find_spec(mod)
        if spec is not None and spec.origin:
            files.add(spec.origin)
    for path in sorted(files):
        try:
            h.update(hashlib.sha256(Path(path).read_bytes()).digest())
        except OSError:
            h.update(path.encode())
    return h.hexdigest()


def analyzer_for(config: Config) -> Analyzer:
    return Analyzer(Selection.from_config(config.values), settings=_settings(config))


def _settings(config: Config) -> dict[str, Any]:
    out: dict[str, Any] = {f"thresholds.{k}": v for k, v in config.section("thresholds").items()}
    out["target-version"] = config.get("target-version")
    return out


def analyze_file(
    root: Path,
    path: str,
    language: str,
    analyzer: Analyzer,
    cache: ParseCache | None = None,
    max_size: int = 2_000_000,
    text: SourceText | None = None,
) -> FileResult:
    """Read, parse and analyse one file. Never raises for bad input: skips with a reason."""
    t0 = time.perf_counter()
    abspath = root / path
    if text is None:
        try:
            text = read_source(abspath, max_size)
        except ValueError as exc:
            return FileResult(path, language, None, [], [], skipped=str(exc))
    parsed: ParsedFile = (
        cache.parse(path, language, text.data) if cache is not None else _parse_once(path, language, text.data)
    )
    try:
        st = os.stat(abspath)
        size, mtime = st.st_size, st.st_mtime_ns
    except OSError:
        size, mtime = len(text.data), 0
    suggestions, symbols = analyzer.analyze_with_symbols(parsed, text.raw_hash)
    record = (path, language, text.raw_hash, size, mtime, text.encoding, text.fallback, len(parsed.issues))
    fingerprints = duplicates.for_analyzer(analyzer, path, language, parsed.source)
    return FileResult(
        path, language, record, symbols, suggestions, seconds=time.perf_counter() - t0, fingerprints=fingerprints
    )


def _parse_once(path: str, language: str, data: bytes) -> ParsedFile:
    from analysis.parsing import parse

    return ParsedFile(path, language, data, parse(language, data))


# --- parallel scan -----------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _init_worker(root: str) -> None:
    gc.set_threshold(*_SCAN_GC)
    config = load_config(Path(root))
    _worker["root"] = Path(root)
    _worker["analyzer"] = analyzer_for(config)
    _worker["max_size"] = config.get("max-file-size")


def _run_chunk(items: Sequence[tuple[str, str]]) -> list[FileResult]:
    root, analyzer, max_size = _worker["root"], _worker["analyzer"], _worker["max_size"]
    return [analyze_file(root, p, lang, analyzer, max_size=max_size) for p, lang in items]


def _pool(jobs: int, root: Path, config: Config, languages: set[str]) -> ProcessPoolExecutor:
    """Worker processes, forked ready to work when that is safe, else spawned.

    Forking a process that runs other threads (the window, the watcher) can copy a held
    lock into the child, so only a single-threaded caller (the CLI) forks; its workers
    inherit the loaded rules and compiled queries instead of each importing and compiling
    them again (about 0.4 s of CPU per worker).
    """
    if _can_fork():
        analyzer = analyzer_for(config)
        for language in sorted(languages):
            analyzer.prepare(language)
        _worker.update(root=root, analyzer=analyzer, max_size=config.get("max-file-size"))
        return ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"))
    return ProcessPoolExecutor(
        jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker, initargs=(str(root),)
    )


def _can_fork() -> bool:
    return sys.platform == "linux" and threading.active_count() == 1  # macOS: fork is unsafe


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Young-generation collections every 100k allocations instead of 700, in a
    single-threaded caller (the CLI) and in the workers (forked ones inherit it; spawned
    ones set it in ``_init_worker``).

    A scan allocates millions of short-lived, acyclic objects (nodes, tuples); reference
    counting frees them, and collecting every few hundred allocations only walks them
    (about 5% of a scan's CPU). A process with other threads (the window) keeps its own
    settings: rarer but longer collections there would be pauses a user sees.
    """
    if threading.active_count() > 1:
        yield
        return
    old = gc.get_threshold()
    gc.set_threshold(*_SCAN_GC)
    try:
        yield
    finally:
        gc.set_threshold(*old)


_SCAN_GC = (100_000, 50, 1_000)


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


@_fewer_collections()
def _scan_here(
    root: Path, config: Config, items: list[tuple[str, str]], max_size: int, result: ScanResult,
    progress: Callable[[int, int], None] | None, on_files: Callable[[list[FileResult]], None] | None,
) -> None:
    """Analyse in this process, reporting every 50 files."""
    analyzer = analyzer_for(config)
    batch: list[FileResult] = []
    for done, (p, lang) in enumerate(items, start=1):
        batch.append(analyze_file(root, p, lang, analyzer, max_size=max_size))
        if done % 50 == 0 or done == len(items):
            result.files.extend(batch)
            if on_files:
                on_files(batch)
            batch = []
            if progress:
                progress(done, len(items))
    result.jobs = 1


def _scan_in_workers(
    root: Path, config: Config, items: list[tuple[str, str]], inventory: Inventory, jobs: int,
    result: ScanResult, progress: Callable[[int, int], None] | None,
    on_files: Callable[[list[FileResult]], None] | None,
) -> None:
    """Analyse in a pool of ``jobs`` workers, in chunks of about equal cost."""
    # Interleave large and small files so chunks cost about the same.
    sizes = {f.path: f.size for f in inventory.files}
    items.sort(key=lambda i: -sizes.get(i[0], 0))
    # Small chunks: the main process unpickles each result while holding the GIL, and a
    # window on that process must not stall for long (bench/ui_bench.py).
    n_chunks = max(jobs * 8, len(items) // 10)
    chunks = [items[i::n_chunks] for i in range(n_chunks)]
    done = 0
    with _pool(jobs, root, config, {lang for _, lang in items}) as pool:
        for chunk_result in pool.map(_run_chunk, [c for c in chunks if c]):
            result.files.extend(chunk_result)
            if on_files:
                on_files(chunk_result)
            done += len(chunk_result)
            if progress:
                progress(done, len(items))
    result.files.sort(key=lambda f: f.path)
    result.jobs = jobs


def scan_project(
    root: Path | str,
    config: Config | None = None,
    jobs: int | None = None,
    inventory: Inventory | None = None,
    only: Iterable[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_files: Callable[[list[FileResult]], None] | None = None,
    project_pass: bool = True,
) -> ScanResult:
    """Analyse every file of the project (or the paths in ``only``).

    ``on_files`` sees the results as they arrive (a batch at a time, in the calling
    thread), so a caller can store them while the workers go on. Files that the
    project-level duplicate pass changes afterwards are listed in ``ScanResult.revised``;
    a caller that joins duplicates itself (the service) turns that pass off.
    """
    t0 = time.perf_counter()
    root = Path(root).resolve()
    config = config or load_config(root)
    max_size = int(config.get("max-file-size"))
    inventory = inventory or scan_inventory(root, max_size, config.get("exclude"))
    result = ScanResult(root, skipped={s.path: s.reason for s in inventory.skipped})
    items = [(f.path, f.language) for f in inventory.files]
    if only is not None:
        wanted = set(only)
        items = [i for i in items if i[0] in wanted]
    jobs = jobs or default_jobs()
    if jobs == 1 or len(items) < (FORKED_THRESHOLD if _can_fork() else PARALLEL_THRESHOLD):
        _scan_here(root, config, items, max_size, result, progress, on_files)
    else:
        _scan_in_workers(root, config, items, inventory, jobs, result, progress, on_files)
    for f in result.files:
        if f.skipped:
            result.skipped[f.path] = f.skipped
    # Project-level pass: workers sent token fingerprints, the join happens here. A scan of
    # some files only (``only``) cannot see their copies elsewhere, so it skips the pass.
    if only is None and project_pass:
        before = {f.path: f for f in result.files}
        result.files = duplicates.add_project_duplicates(result.files, analyzer_for(config))
        result.revised = {f.path for f in result.files if f is not before[f.path]}
    result.seconds = time.perf_counter() - t0
    return result
