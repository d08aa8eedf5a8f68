"""The project's state in ``<project>/.kaizen/kaizen.db``: SQLite in WAL mode.

Each component owns its tables and migrations: it calls :meth:`Store.ensure_schema` with
its name and an append-only list of SQL steps, and the store applies the steps it has not
applied yet (tracked per component in ``schema_versions``). So the trace store, the audit
log or the ranker can each evolve their tables without a central list.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from analysis.symbols import SymbolRow

__all__ = ["CORE_MIGRATIONS", "DatabaseBroken", "FileRecord", "FileRow", "Store", "StoreError", "state_dir"]

STATE_DIR = ".kaizen"


class StoreError(Exception):
    """Kaizen's state cannot be used (one line for the user; ``main.py`` exits with 2).

    ``readonly`` says that the cause is a folder or file Kaizen may not write (a read-only
    project), so that a command that only reads can carry on without its state.
    """

    def __init__(self, message: str, *, readonly: bool = False) -> None:
        super().__init__(message)
        self.readonly = readonly


class DatabaseBroken(StoreError, sqlite3.DatabaseError):
    """The database failed mid-use (damaged, locked, disk full); still a ``sqlite3.DatabaseError``
    for code that catches those."""


_READONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


def _os_error(what: Path, exc: OSError) -> StoreError:
    ro = exc.errno in _READONLY
    hint = " (the project is read-only: Kaizen keeps its state in .kaizen/)" if ro else ""
    return StoreError(f"{what}: {exc.strerror or exc}{hint}", readonly=ro)


def state_dir(root: Path) -> Path:
    """``<root>/.kaizen``, created on first use, ignoring itself for git."""
    d = Path(root) / STATE_DIR
    if (d.exists() and not d.is_dir()) or (d.is_symlink() and not d.exists()):
        raise StoreError(f"{d}: not a folder (Kaizen keeps its state there; move the file away)")
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_error(d, exc) from None
    gi = d / ".gitignore"
    if not gi.exists():
        try:
            gi.write_text("# Kaizen's own state; never committed.\n*\n", encoding="utf-8")
        except OSError:
            pass  # a read-only folder: the database below reports it, if it matters
    return d


def _database_error(path: Path, exc: sqlite3.Error, *, always: bool = True) -> StoreError | None:
    """The user's words for a database failure; None (``always=False``) when it is not the
    database's state but the SQL (a bug, to be raised as it is)."""
    text = str(exc)
    low = text.lower()
    if "readonly" in low or "read-only" in low or "unable to open" in low:
        folder = path.parent
        ro = not os.access(folder, os.W_OK) or _on_readonly_fs(folder)
        hint = " (the project is read-only: Kaizen keeps its state in .kaizen/)" if ro else ""
        return DatabaseBroken(f"{path}: cannot open Kaizen's database ({text}){hint}", readonly=ro)
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        return DatabaseBroken(
            f"{path}: cannot open Kaizen's database: it is damaged ({text}); move it away to start "
            "afresh (its audit log is then lost, and Kaizen will say so)"
        )
    if any(w in low for w in ("disk", "full", "locked", "busy", "i/o", "no such file")) or always:
        return DatabaseBroken(f"{path}: database error ({text})")
    return None


def _raise_database_error(path: Path, exc: sqlite3.Error) -> None:
    err = _database_error(path, exc, always=False)
    if err is not None:
        raise err from None


def _on_readonly_fs(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


CORE_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE files (
        path TEXT PRIMARY KEY,
        language TEXT NOT NULL,
        hash TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        encoding TEXT NOT NULL DEFAULT 'utf-8',
        fallback INTEGER NOT NULL DEFAULT 0,
        parse_errors INTEGER NOT NULL DEFAULT 0,
        analyzed_at REAL NOT NULL
    );
    CREATE TABLE skipped (path TEXT PRIMARY KEY, reason TEXT NOT NULL);
    CREATE TABLE symbols (
        path TEXT NOT NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        definition INTEGER NOT NULL,
        line INTEGER NOT NULL,
        col INTEGER NOT NULL,
        end_line INTEGER NOT NULL,
        container TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX symbols_path ON symbols(path);
    CREATE INDEX symbols_name ON symbols(name);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # References to one name from one file share a row: the first occurrence's columns,
    # the others as a JSON list of [line, col, end_line] (the standard library: 410k
    # symbols in 147k rows). Store.symbols() unfolds them.
    "ALTER TABLE symbols ADD COLUMN more TEXT NOT NULL DEFAULT '';",
)


_BULK_SYMBOLS = 20_000
_SYMBOL_INDEXES = {"symbols_path": "path", "symbols_name": "name"}


def _drop_symbol_indexes(db: sqlite3.Connection) -> None:
    for name in _SYMBOL_INDEXES:
        db.execute(f"DROP INDEX IF EXISTS {name}")


def _create_symbol_indexes(db: sqlite3.Connection) -> None:
    for name, column in _SYMBOL_INDEXES.items():
        db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON symbols({column})")


# A file's row as the analyzers produce it: (path, language, hash, size, mtime_ns, encoding,
# fallback, parse_errors).
FileRow = tuple[str, str, str, int, int, str, bool, int]


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One analysed file as the store knows it."""

    path: str
    language: str
    hash: str  # content hash of the raw bytes
    size: int
    mtime_ns: int
    encoding: str = "utf-8"
    fallback: bool = False  # decoded with a fallback encoding
    parse_errors: int = 0

    @classmethod
    def of(cls, row: FileRecord | Sequence[Any]) -> FileRecord:
        """From a record or a row in column order (a database row, a :data:`FileRow`)."""
        if isinstance(row, FileRecord):
            return row
        p, lang, h, size, mtime, enc, fallback, errors = row
        return cls(str(p), str(lang), str(h), int(size), int(mtime), str(enc), bool(fallback), int(errors))

    def row(self) -> FileRow:
        return (self.path, self.language, self.hash, self.size, self.mtime_ns, self.encoding,
                self.fallback, self.parse_errors)

    def seen_at(self, size: int, mtime_ns: int) -> FileRecord:
        """The same content, with the size and mtime it has now (a touch, a save without edits)."""
        return dataclasses.replace(self, size=size, mtime_ns=mtime_ns)


class Store:
    """A connection to one project's database, safe to share between threads."""

    def __init__(self, root: Path | str, *, path: Path | None = None) -> None:
        self.root = Path(root)
        self.path = path or state_dir(self.root) / "kaizen.db"
        self._lock = threading.RLock()
        self._after_commit: list[Callable[[], None]] | None = None
        if self.path.exists() and not self.path.is_file():
            raise StoreError(f"{self.path}: not a regular file (Kaizen's database belongs there)")
        try:
            # Whether the database is new (absent or empty): the audit log compares this with
            # its head records kept outside the database, so a reset is reported, not silent.
            self.created = not self.path.exists() or self.path.stat().st_size == 0
        except OSError as exc:
            raise _os_error(self.path, exc) from None
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise _database_error(self.path, exc) from None  # type: ignore[misc]
        try:
            self._db.row_factory = sqlite3.Row  # rows index by position and by column name
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
            )
            self.ensure_schema("core", CORE_MIGRATIONS)
            self._bulk = False
            with self._lock:
                _create_symbol_indexes(self._db)  # after a bulk load that was interrupted
        except sqlite3.Error as exc:
            self._db.close()
            raise _database_error(self.path, exc) from None  # type: ignore[misc]
        except StoreError:
            self._db.close()
            raise

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Many :meth:`update_files` calls in a row (a whole-project scan written as it runs).

        Symbol rows then go in without the index by name, which is built once at the end
        (rows arrive grouped by path, so that index is the costly one to keep up row by
        row). Lookups by name are slow meanwhile; an interrupted load gets the index back on
        the next open.
        """
        with self._lock:
            self._db.execute("DROP INDEX IF EXISTS symbols_name")  # by path stays: deletes need it
            self._bulk = True
        try:
            yield
        finally:
            with self._lock:
                self._bulk = False
                _create_symbol_indexes(self._db)

    # --- plumbing ---------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                _raise_database_error(self.path, exc)
                raise
            outer, self._after_commit = self._after_commit, []
            try:
                yield self._db
            except BaseException as exc:
                self._after_commit = outer
                try:
                    self._db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # SQLite rolled back itself (e.g. disk full)
                if isinstance(exc, sqlite3.Error) and not isinstance(exc, StoreError):
                    _raise_database_error(self.path, exc)
                raise
            callbacks, self._after_commit = self._after_commit, outer
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                _raise_database_error(self.path, exc)
                raise
        for callback in callbacks:
            callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the current transaction commits (now, outside one); dropped on
        rollback. The audit log writes its head records outside the database this way."""
        with self._lock:
            if self._after_commit is None:
                callback()
            else:
                self._after_commit.append(callback)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return list(self._db.execute(sql, params))
            except sqlite3.Error as exc:
                _raise_database_error(self.path, exc)
                raise

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.transaction() as db:
            db.executemany(sql, rows)

    def schema_version(self, component: str) -> int:
        rows = self.execute("SELECT version FROM schema_versions WHERE component=?", (component,))
        return int(rows[0][0]) if rows else 0

    def ensure_schema(self, component: str, steps: Sequence[str]) -> None:
        """Apply the migration steps of ``component`` that this database has not seen yet."""
        with self._lock:
            current = self.schema_version(component)
            if current > len(steps):
                raise StoreError(
                    f"{self.path}: '{component}' schema v{current} is newer than this Kaizen (v{len(steps)})"
                )
            for version, sql in enumerate(steps[current:], start=current + 1):
                with self.transaction() as db:
                    # Another connection (process) may have applied this step meanwhile.
                    row = db.execute(
                        "SELECT version FROM schema_versions WHERE component=?", (component,)
                    ).fetchone()
                    if row is not None and int(row[0]) >= version:
                        continue
                    for statement in _statements(sql):
                        db.execute(statement)
                    db.execute(
                        "INSERT INTO schema_versions(component, version) VALUES(?, ?) "
                        "ON CONFLICT(component) DO UPDATE SET version=excluded.version",
                        (component, version),
                    )

    # --- meta -------------------------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        rows = self.execute("SELECT value FROM meta WHERE key=?", (key,))
        return str(rows[0][0]) if rows else default

    def set_meta(self, key: str, value: str) -> None:
        self.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    # --- files and symbols ------------------------------------------------------------------

    def file_hashes(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self.execute("SELECT path, hash FROM files")}

    def files(self) -> list[FileRecord]:
        return [FileRecord.of(r) for r in self.execute(
            "SELECT path, language, hash, size, mtime_ns, encoding, fallback, parse_errors FROM files ORDER BY path"
        )]

    def skipped(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self.execute("SELECT path, reason FROM skipped ORDER BY path")}

    def update_files(
        self,
        records: Iterable[FileRecord | FileRow],
        symbols: dict[str, list[SymbolRow]] | None = None,
        skipped: dict[str, str] | None = None,
        removed: Iterable[str] = (),
    ) -> None:
        """Record analysed files (and their symbols), skipped files and removed paths at once."""
        now = time.time()
        rows = [FileRecord.of(r).row() for r in records]
        gone = [(path,) for path in removed]
        with self.transaction() as db:
            for table in ("files", "symbols", "skipped"):
                db.executemany(f"DELETE FROM {table} WHERE path=?", gone)
            db.executemany(
                "INSERT OR REPLACE INTO files(path, language, hash, size, mtime_ns, encoding, fallback,"
                " parse_errors, analyzed_at) VALUES(?,?,?,?,?,?,?,?,?)",
                [(*row, now) for row in rows],
            )
            db.executemany("DELETE FROM skipped WHERE path=?", [(row[0],) for row in rows])
            symbols = symbols or {}
            db.executemany("DELETE FROM symbols WHERE path=?", [(path,) for path in symbols])
            # A whole-project write in one call (the service's cold open: ~150k rows for the
            # standard library) loads faster into the bare table, with the indexes built once
            # afterwards, than with two B-trees updated row by row (about 2.5x).
            bulk = not self._bulk and sum(map(len, symbols.values())) > _BULK_SYMBOLS
            if bulk:
                _drop_symbol_indexes(db)
            db.executemany(
                "INSERT INTO symbols(path, name, kind, definition, line, col, end_line, container, more)"
                " VALUES(?,?,?,?,?,?,?,?,?)",
                ((path, *s) for path, syms in symbols.items() for s in syms),
            )
            if bulk:
                _create_symbol_indexes(db)
            skipped = skipped or {}
            for table in ("files", "symbols"):
                db.executemany(f"DELETE FROM {table} WHERE path=?", [(path,) for path in skipped])
            db.executemany("INSERT OR REPLACE INTO skipped(path, reason) VALUES(?, ?)", skipped.items())

    def symbols(self, path: str | None = None, name: str | None = None) -> list[sqlite3.Row]:
        """Every definition and every reference (folded rows unfolded), by path and line."""
        where, params = [], []
        if path is not None:
            where.append("s.path=?")
            params.append(path)
        if name is not None:
            where.append("s.name=?")
            params.append(name)
        cond = " AND ".join(where) or "1"
        sql = (
            f"SELECT s.path, s.name, s.kind, s.definition, s.line, s.col, s.end_line, s.container FROM symbols s"
            f" WHERE {cond} UNION ALL SELECT s.path, s.name, s.kind, s.definition, json_extract(o.value, '$[0]'),"
            " json_extract(o.value, '$[1]'), json_extract(o.value, '$[2]'), s.container"
            f" FROM symbols s, json_each(s.more) AS o WHERE s.more != '' AND {cond}"
            " ORDER BY 1, 5, 6"
        )
        return self.execute(sql, params * 2)


def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]
