"""The project database with the suggestion tables: suggestions and decisions.

:class:`analysis.store.Store` keeps the generic database (files, symbols, skipped, meta,
schema versions); this subclass adds the two tables the suggestion side owns, as the
``suggestions`` schema component. Databases from before the split have the tables from
the core schema already: the steps are ``IF NOT EXISTS``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from analysis import store as base
from suggestions.model import Decision, DecisionAction, Suggestion

__all__ = ["MIGRATIONS", "Store"]

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE IF NOT EXISTS suggestions (
        fingerprint TEXT PRIMARY KEY,
        path TEXT NOT NULL,
        code TEXT NOT NULL,
        line INTEGER NOT NULL,
        data TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS suggestions_path ON suggestions(path);
    CREATE TABLE IF NOT EXISTS decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        fingerprint TEXT NOT NULL,
        action TEXT NOT NULL,
        actor TEXT NOT NULL,
        at REAL NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        code TEXT NOT NULL DEFAULT '',
        path TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX IF NOT EXISTS decisions_fp ON decisions(fingerprint);
    """,
)


class Store(base.Store):
    """A connection to one project's database, with its suggestions and decisions."""

    def __init__(self, root: Path | str, *, path: Path | None = None) -> None:
        super().__init__(root, path=path)
        try:
            self.ensure_schema("suggestions", MIGRATIONS)
        except BaseException:
            self.close()
            raise

    # --- suggestions ------------------------------------------------------------------------

    def replace_suggestions(self, paths: Iterable[str], suggestions: Iterable[Suggestion]) -> None:
        """Make the stored suggestions for ``paths`` exactly ``suggestions`` (others untouched)."""
        now = time.time()
        paths = list(dict.fromkeys(paths))
        with self.transaction() as db:
            created: dict[str, float] = {}
            for i in range(0, len(paths), 500):  # SQLite's limit on bound parameters is 999+
                part = paths[i : i + 500]
                created.update(db.execute(
                    f"SELECT fingerprint, created_at FROM suggestions WHERE path IN ({','.join('?' * len(part))})",
                    part,
                ).fetchall())
            db.executemany("DELETE FROM suggestions WHERE path=?", [(path,) for path in paths])
            db.executemany(
                "INSERT OR REPLACE INTO suggestions(fingerprint, path, code, line, data, created_at, updated_at)"
                " VALUES(?,?,?,?,?,?,?)",
                [
                    (s.fingerprint, s.path, s.code, s.line, json.dumps(s.to_dict()),
                     created.get(s.fingerprint, now), now)
                    for s in suggestions
                ],
            )

    def put_suggestions(self, suggestions: Iterable[Suggestion]) -> None:
        """Insert or update single suggestions (e.g. after validation or re-scoring)."""
        now = time.time()
        self.executemany(
            "INSERT INTO suggestions(fingerprint, path, code, line, data, created_at, updated_at)"
            " VALUES(?,?,?,?,?,?,?) ON CONFLICT(fingerprint) DO UPDATE SET path=excluded.path,"
            " code=excluded.code, line=excluded.line, data=excluded.data, updated_at=excluded.updated_at",
            [(s.fingerprint, s.path, s.code, s.line, json.dumps(s.to_dict()), now, now) for s in suggestions],
        )

    def suggestions(self, path: str | None = None) -> list[Suggestion]:
        if path is None:
            rows = self.execute("SELECT data FROM suggestions ORDER BY path, line")
        else:
            rows = self.execute("SELECT data FROM suggestions WHERE path=? ORDER BY line", (path,))
        return [Suggestion.from_dict(json.loads(r[0])) for r in rows]

    def suggestion(self, handle: str) -> Suggestion | None:
        """By fingerprint or by its short id (a unique prefix)."""
        rows = self.execute(
            "SELECT data FROM suggestions WHERE fingerprint LIKE ? LIMIT 2", (handle.lower() + "%",)
        )
        if len(rows) != 1:
            return None
        return Suggestion.from_dict(json.loads(rows[0][0]))

    # --- decisions --------------------------------------------------------------------------

    def add_decision(self, decision: Decision) -> None:
        self.execute(
            "INSERT INTO decisions(fingerprint, action, actor, at, reason, code, path) VALUES(?,?,?,?,?,?,?)",
            (decision.fingerprint, decision.action.value, decision.actor, decision.at, decision.reason,
             decision.code, decision.path),
        )

    def decisions(self, fingerprint: str | None = None) -> list[Decision]:
        sql = "SELECT fingerprint, action, actor, at, reason, code, path FROM decisions"
        rows = (
            self.execute(sql + " WHERE fingerprint=? ORDER BY id", (fingerprint,))
            if fingerprint
            else self.execute(sql + " ORDER BY id")
        )
        return [Decision(r[0], DecisionAction(r[1]), r[2], r[3], r[4], r[5], r[6]) for r in rows]

    def latest_decisions(self) -> dict[str, Decision]:
        """The last decision on each fingerprint."""
        return {d.fingerprint: d for d in self.decisions()}

    def write_changes(self, deletes: Sequence[str], upserts: Sequence[Suggestion]) -> None:
        """Store only what changed (unchanged rows keep their bytes and timestamps)."""
        now = time.time()
        with self.transaction() as db:
            db.executemany("DELETE FROM suggestions WHERE fingerprint=?", [(fp,) for fp in deletes])
            db.executemany(
                "INSERT INTO suggestions(fingerprint, path, code, line, data, created_at, updated_at)"
                " VALUES(?,?,?,?,?,?,?) ON CONFLICT(fingerprint) DO UPDATE SET path=excluded.path,"
                " code=excluded.code, line=excluded.line, data=excluded.data, updated_at=excluded.updated_at",
                [(s.fingerprint, s.path, s.code, s.line, json.dumps(s.to_dict()), now, now) for s in upserts],
            )
