"""The audit log: every change Kaizen makes to a user's file, append-only and hash-chained.

Each entry records when, who (the user or an auto-apply rule), which suggestion, why, the
diff, the validation evidence and the file's hashes before and after. ``entry_hash`` is the
SHA-256 of the entry's canonical JSON, which includes the previous entry's hash, so editing,
deleting or reordering an entry breaks the chain; the head (last sequence number and hash)
is also kept in the store's meta table so that dropping the newest entries is detected too.

The file contents before and after are kept (zlib-compressed, content-addressed) in
``audit_blobs`` so that undo can restore a file byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from analysis.store import Store

__all__ = [
    "AuditEntry",
    "AuditLog",
    "VerifyResult",
    "export_json",
    "export_markdown",
]

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        action TEXT NOT NULL,
        actor TEXT NOT NULL,
        rule TEXT NOT NULL DEFAULT '',
        path TEXT NOT NULL,
        fingerprint TEXT NOT NULL DEFAULT '',
        code TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL DEFAULT '',
        rationale TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL DEFAULT '',
        diff TEXT NOT NULL DEFAULT '',
        validation TEXT NOT NULL DEFAULT '{}',
        hash_before TEXT NOT NULL,
        hash_after TEXT NOT NULL,
        mode_before INTEGER NOT NULL DEFAULT 0,
        mode_after INTEGER NOT NULL DEFAULT 0,
        batch TEXT NOT NULL DEFAULT '',
        undoes INTEGER,
        prev_hash TEXT NOT NULL,
        entry_hash TEXT NOT NULL
    );
    CREATE INDEX audit_path ON audit(path);
    CREATE INDEX audit_fp ON audit(fingerprint);
    CREATE TABLE audit_blobs (hash TEXT PRIMARY KEY, data BLOB NOT NULL);
    CREATE TABLE audit_journal (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        path TEXT NOT NULL,
        hash_before TEXT NOT NULL,
        hash_after TEXT NOT NULL,
        entries TEXT NOT NULL,
        at REAL NOT NULL
    );
    """,
)

GENESIS = "0" * 64
HEAD_KEY = "audit.head"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One applied (or undone) change to one file."""

    at: float
    action: str  # "apply" | "undo"
    actor: str
    path: str
    hash_before: str
    hash_after: str
    rule: str = ""
    fingerprint: str = ""
    code: str = ""
    title: str = ""
    rationale: str = ""
    reason: str = ""
    diff: str = ""
    validation: Mapping[str, Any] = field(default_factory=dict)
    mode_before: int = 0
    mode_after: int = 0
    batch: str = ""
    undoes: int | None = None
    seq: int = 0
    prev_hash: str = ""
    entry_hash: str = ""

    @property
    def id(self) -> str:
        return f"#{self.seq}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["validation"] = dict(self.validation)
        return d

    def canonical(self) -> str:
        """The JSON that ``entry_hash`` is computed over (everything but the hash itself)."""
        d = self.to_dict()
        d.pop("entry_hash")
        return json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    entries: int
    first_bad: int | None = None  # seq of the first entry that does not verify
    problem: str = ""

    def message(self) -> str:
        if self.ok:
            return f"audit log verified: {self.entries} entr{'y' if self.entries == 1 else 'ies'}, chain intact"
        where = f"entry #{self.first_bad}" if self.first_bad is not None else "the log"
        return f"audit log FAILED verification at {where}: {self.problem}"


_COLUMNS = (
    "seq", "at", "action", "actor", "rule", "path", "fingerprint", "code", "title", "rationale",
    "reason", "diff", "validation", "hash_before", "hash_after", "mode_before", "mode_after",
    "batch", "undoes", "prev_hash", "entry_hash",
)


def _row_entry(row: sqlite3.Row | Sequence[Any]) -> AuditEntry:
    d = dict(zip(_COLUMNS, row, strict=True))
    try:
        d["validation"] = json.loads(d["validation"] or "{}")
    except ValueError:
        d["validation"] = {"unreadable": d["validation"]}
    return AuditEntry(**d)


class AuditLog:
    """The audit log of one project's store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.ensure_schema("audit", MIGRATIONS)

    # --- writing ------------------------------------------------------------------------------

    def append(self, entries: Iterable[AuditEntry], db: sqlite3.Connection | None = None) -> list[AuditEntry]:
        """Chain and store entries (in one transaction); returns them with seq and hashes."""
        if db is None:
            with self.store.transaction() as conn:
                return self._append(conn, entries)
        return self._append(db, entries)

    def _append(self, db: sqlite3.Connection, entries: Iterable[AuditEntry]) -> list[AuditEntry]:
        row = db.execute("SELECT seq, entry_hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (int(row[0]), str(row[1])) if row else (0, GENESIS)
        out: list[AuditEntry] = []
        for e in entries:
            seq += 1
            chained = _replace(e, seq=seq, prev_hash=prev, entry_hash="")
            chained = _replace(chained, entry_hash=chained.compute_hash())
            d = chained.to_dict()
            d["validation"] = json.dumps(d["validation"], sort_keys=True)
            db.execute(
                f"INSERT INTO audit({', '.join(_COLUMNS)}) VALUES({', '.join('?' * len(_COLUMNS))})",
                [d[c] for c in _COLUMNS],
            )
            prev = chained.entry_hash
            out.append(chained)
        if out:
            db.execute(
                "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (HEAD_KEY, f"{seq}:{prev}"),
            )
        return out

    def put_blob(self, data: bytes, db: sqlite3.Connection | None = None) -> str:
        """Keep file content for undo; returns its hash (content-addressed, deduplicated)."""
        digest = hashlib.sha256(data).hexdigest()
        sql = "INSERT OR IGNORE INTO audit_blobs(hash, data) VALUES(?, ?)"
        if db is None:
            self.store.execute(sql, (digest, zlib.compress(data, 6)))
        else:
            db.execute(sql, (digest, zlib.compress(data, 6)))
        return digest

    def blob(self, digest: str) -> bytes | None:
        rows = self.store.execute("SELECT data FROM audit_blobs WHERE hash=?", (digest,))
        if not rows:
            return None
        data = zlib.decompress(rows[0][0])
        return data if hashlib.sha256(data).hexdigest() == digest else None

    # --- reading ------------------------------------------------------------------------------

    def entries(self, path: str | None = None) -> list[AuditEntry]:
        sql = f"SELECT {', '.join(_COLUMNS)} FROM audit"
        rows = (
            self.store.execute(sql + " WHERE path=? ORDER BY seq", (path,))
            if path
            else self.store.execute(sql + " ORDER BY seq")
        )
        return [_row_entry(r) for r in rows]

    def entry(self, seq: int) -> AuditEntry | None:
        rows = self.store.execute(f"SELECT {', '.join(_COLUMNS)} FROM audit WHERE seq=?", (seq,))
        return _row_entry(rows[0]) if rows else None

    def undone(self) -> set[int]:
        """Sequence numbers of apply entries that a later entry undid."""
        return {int(r[0]) for r in self.store.execute("SELECT undoes FROM audit WHERE undoes IS NOT NULL")}

    # --- verification -------------------------------------------------------------------------

    def verify(self) -> VerifyResult:
        """Check the whole chain; names the first entry that was edited, deleted or moved."""
        prev = GENESIS
        expected_seq = 1
        entries = self.entries()
        for e in entries:
            if e.seq != expected_seq:
                return VerifyResult(
                    False, len(entries), e.seq,
                    f"sequence jumps from #{expected_seq - 1} to #{e.seq} (entry deleted or reordered)",
                )
            if e.prev_hash != prev:
                return VerifyResult(
                    False, len(entries), e.seq,
                    "does not follow the previous entry (an entry before it was deleted, edited or reordered)",
                )
            if e.compute_hash() != e.entry_hash:
                return VerifyResult(False, len(entries), e.seq, "content was edited after it was logged")
            prev = e.entry_hash
            expected_seq += 1
        head = self.store.get_meta(HEAD_KEY)
        last = f"{entries[-1].seq}:{entries[-1].entry_hash}" if entries else None
        if head != last:
            if head is None:
                return VerifyResult(False, len(entries), entries[0].seq if entries else None,
                                    "the log's head record is missing")
            seq_s = head.partition(":")[0]
            return VerifyResult(
                False, len(entries), int(seq_s) if seq_s.isdigit() else None,
                f"the newest entry (head {seq_s}) is missing or was replaced",
            )
        return VerifyResult(True, len(entries))


def _replace(e: AuditEntry, **kw: Any) -> AuditEntry:
    d = e.to_dict()
    d.update(kw)
    return AuditEntry(**d)


def now() -> float:
    return time.time()


# --- export ----------------------------------------------------------------------------------


def export_json(log: AuditLog) -> str:
    result = log.verify()
    data = {
        "verified": result.ok,
        "verification": result.message(),
        "entries": [e.to_dict() for e in log.entries()],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def export_markdown(log: AuditLog) -> str:
    result = log.verify()
    out = ["# Kaizen audit log", "", f"{'✔' if result.ok else '✘'} {result.message()}", ""]
    for e in log.entries():
        what = "Applied" if e.action == "apply" else "Undid" if e.action == "undo" else e.action
        title = f" — {e.title}" if e.title else ""
        out.append(f"## {e.id} {what} `{e.code or '-'}` in `{e.path}`{title}")
        out.append("")
        out.append(f"- **When:** {_when(e.at)}")
        out.append(f"- **By:** {e.actor}" + (f" (rule `{e.rule}`)" if e.rule else ""))
        if e.fingerprint:
            out.append(f"- **Suggestion:** `{e.fingerprint[:10]}`")
        if e.undoes is not None:
            out.append(f"- **Undoes:** #{e.undoes}")
        if e.reason:
            out.append(f"- **Reason:** {e.reason}")
        out.append(f"- **File hash:** `{e.hash_before[:12]}` → `{e.hash_after[:12]}`")
        v = dict(e.validation)
        if v:
            status = v.get("status", "?")
            tests = len(v.get("tests_run") or ())
            extra = f", speed-up x{v['speedup']:.2f}" if v.get("speedup") else ""
            out.append(f"- **Validation:** {status} ({tests} test(s){extra})")
        out.append(f"- **Entry hash:** `{e.entry_hash[:16]}` (previous `{e.prev_hash[:16]}`)")
        if e.rationale:
            out += ["", e.rationale]
        if e.diff:
            out += ["", "```diff", e.diff.rstrip("\n"), "```"]
        out.append("")
    return "\n".join(out)
