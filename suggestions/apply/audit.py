"""The audit log: every change Kaizen makes to a user's file, append-only and hash-chained.

Each entry records when, who (the user or an auto-apply rule), which suggestion, why, the
diff, the validation evidence and the file's hashes before and after. ``entry_hash`` is the
SHA-256 of the entry's canonical JSON, which includes the previous entry's hash, so editing,
deleting or reordering an entry breaks the chain; the head (last sequence number and hash)
is also kept in the store's meta table so that dropping the newest entries is detected too.

The file contents before and after are kept (zlib-compressed, content-addressed) in
``audit_blobs`` so that undo can restore a file byte for byte.

Whoever can write ``.kaizen/`` can rewrite the database, so the log is also anchored
outside it:

* each entry carries an HMAC (``mac``) of its hash, made with a key kept outside the project
  (``$KAIZEN_HOME``, else ``$XDG_CONFIG_HOME/kaizen``, else ``~/.config/kaizen``:
  ``audit.key``, created 0600 on first use), so a recomputed chain does not verify;
* every appended entry, every pause/resume and every acknowledged reset is also written as a
  signed *head record*, appended to ``.kaizen/audit.head`` beside the database and to a copy
  in the key's folder (``heads/<project id>.head``). A database that was emptied, replaced,
  rolled back or truncated (with its head) no longer holds the entries those records name:
  :meth:`AuditLog.verify` says so, :func:`health` refuses automatic changes until the user
  runs ``kaizen audit PATH --acknowledge-reset``, and the pause switch and the rate limit are
  read from the records too, so emptying the database resets neither;
* undo only writes content whose hash a verified entry names (:meth:`AuditLog.blob`).

What this cannot detect: someone who can read the key (the same user, root, or code the
user runs, such as the project's own tests) can forge everything; without the key's folder
(a read-only home) the log is only hash-chained; a project whose key folder copy is gone and
whose in-project head file was rewritten together with the database is not caught.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import time
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analysis.store import StoreError
from suggestions.apply.heads import (
    _ENTRY_DOMAIN,
    _JOURNAL_DOMAIN,
    GENESIS,
    HeadRecord,
    HeadRecords,
    _head_paths,
    _key,
    _read_head_file,
    _write_head,
    automatic_since,
    head_records,
    mirrored_pause,
    record_pause,
)
from suggestions.store import Store
from suggestions.terminal import printable

logger = logging.getLogger(__name__)

__all__ = [
    "AuditEntry",
    "AuditError",
    "AuditLog",
    "HeadRecords",
    "VerifyResult",
    "automatic_since",
    "export_json",
    "export_markdown",
    "health",
    "mirrored_pause",
    "record_pause",
    "with_grade",
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
    "ALTER TABLE audit ADD COLUMN mac TEXT NOT NULL DEFAULT '';",
    # The write-ahead journal is signed too: recovery would otherwise log (and sign) whatever
    # an attacker put there, and undo would then write the attacker's "before" content.
    "ALTER TABLE audit_journal ADD COLUMN seal TEXT NOT NULL DEFAULT '';",
)

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
    mac: str = ""  # "<key id>:<HMAC-SHA256 of entry_hash>" with the user's key; "" unsigned

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
        d.pop("mac")
        return json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()


class AuditError(StoreError):
    """The audit log cannot be trusted for what was asked (undo of unverified content)."""


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    entries: int
    first_bad: int | None = None  # seq of the first entry that does not verify
    problem: str = ""
    needs_ack: bool = False  # entries or state were lost: `--acknowledge-reset` accepts that
    notes: tuple[str, ...] = ()

    def message(self) -> str:
        if self.ok:
            text = f"audit log verified: {self.entries} entr{'y' if self.entries == 1 else 'ies'}, chain intact"
            return "; ".join((text, *self.notes))
        where = f"entry #{self.first_bad}" if self.first_bad is not None else "the log"
        return f"audit log FAILED verification at {where}: {self.problem}"


_COLUMNS = (
    "seq", "at", "action", "actor", "rule", "path", "fingerprint", "code", "title", "rationale",
    "reason", "diff", "validation", "hash_before", "hash_after", "mode_before", "mode_after",
    "batch", "undoes", "prev_hash", "entry_hash", "mac",
)


def _row_entry(row: sqlite3.Row | Sequence[Any]) -> AuditEntry:
    d = dict(zip(_COLUMNS, row, strict=True))
    try:
        d["validation"] = json.loads(d["validation"] or "{}")
    except ValueError:
        d["validation"] = {"unreadable": d["validation"]}
    return AuditEntry(**d)


def health(store: Store) -> str:
    """Why automatic changes must wait for the user (empty: they need not), cheaply.

    Compares the newest entry the head records know of with the database and checks the
    signature of the database's newest entry; :meth:`AuditLog.verify` checks everything.
    """
    heads = head_records(store)
    if heads.problems:
        return f"the audit log's head records were tampered with: {heads.problems[0]}"
    try:
        rows = store.execute(f"SELECT {', '.join(_COLUMNS)} FROM audit ORDER BY seq DESC LIMIT 1")
    except sqlite3.OperationalError:  # no audit table yet
        rows = []
    last = _row_entry(rows[0]) if rows else None
    known = heads.entries()
    if known:
        newest = max(known)
        have = store.execute("SELECT entry_hash FROM audit WHERE seq=?", (newest,)) if rows else []
        if not have:
            return _lost_words(newest, last.seq if last else 0, bool(rows))
        if have[0][0] != known[newest]:
            return f"audit entry #{newest} was rewritten (it differs from its head record)"
    if last is not None and last.seq > heads.base[0]:
        key = _key()
        status = key.check(_ENTRY_DOMAIN, last.entry_hash, last.mac)
        if status == "forged" or (status == "foreign" and key.secret is not None):
            return f"audit entry #{last.seq} does not carry this user's signature (rewritten or from elsewhere)"
        if status == "unsigned" and heads.signed:
            return f"audit entry #{last.seq} is not signed (it was not written by Kaizen)"
    return ""


def _set_aside(path: Path) -> None:
    """Rename a head file that cannot be trusted (kept for whoever investigates)."""
    try:
        path.rename(path.with_name(f"{path.name}.rejected-{time.time_ns()}"))
    except OSError as exc:
        raise AuditError(f"{path}: cannot set the untrusted head file aside ({exc.strerror})") from None


def _lost_words(newest: int, last: int, any_rows: bool) -> str:
    if not any_rows:
        return (f"Kaizen's database was emptied or replaced: its audit log is gone "
                f"(the head records name entries up to #{newest})")
    return f"the audit log lost entries: the head records name #{newest}, the database ends at #{last}"


class AuditLog:
    """The audit log of one project's store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.ensure_schema("audit", MIGRATIONS)
        self._trusted: tuple[tuple[Any, ...], set[str]] | None = None

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
        # After a lost or rolled-back database the chain goes on from the newest entry the head
        # records know of, so no sequence number is used twice and the gap stays visible.
        tip_seq, tip_hash = head_records(self.store).tip()
        if tip_seq > seq:
            seq, prev = tip_seq, tip_hash
        key = _key()
        out: list[AuditEntry] = []
        for e in entries:
            seq += 1
            chained = _replace(e, seq=seq, prev_hash=prev, entry_hash="", mac="",
                               validation=with_grade(e.validation))
            digest = chained.compute_hash()
            chained = _replace(chained, entry_hash=digest, mac=key.sign(_ENTRY_DOMAIN, digest))
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
            records = [HeadRecord("e", e.seq, e.entry_hash, e.at, int(bool(e.rule) or e.actor != "user"))
                       for e in out]
            self.store.after_commit(lambda: _write_head(self.store, records))
        self._trusted = None
        return out

    def seal_journal(self, path: str, before: str, after: str, entries_json: str) -> str:
        """The signature a write-ahead journal row carries (see :meth:`journal_sealed`)."""
        return _key().sign(_JOURNAL_DOMAIN, json.dumps([path, before, after, entries_json]))

    def journal_sealed(self, path: str, before: str, after: str, entries_json: str, seal: str) -> bool:
        """Whether Kaizen itself wrote this journal row (recovery logs nothing else)."""
        key = _key()
        status = key.check(_JOURNAL_DOMAIN, json.dumps([path, before, after, entries_json]), seal)
        return status == "ok" or (key.secret is None and status == "unsigned")

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
        """Saved content for undo: only content that a verified entry names, and whose hash
        matches (a swapped or forged blob is never handed out).

        Raises:
            AuditError: the log does not verify, or no verified entry names ``digest``.
        """
        trusted = self._trusted_digests()
        if digest not in trusted:
            raise AuditError(
                "the saved content is not named by a verified audit entry (it predates an "
                "acknowledged reset, or the log was tampered with); `kaizen audit PATH --verify` says more"
            )
        rows = self.store.execute("SELECT data FROM audit_blobs WHERE hash=?", (digest,))
        if not rows:
            return None
        try:
            data = zlib.decompress(rows[0][0])
        except (zlib.error, TypeError):
            return None
        return data if hashlib.sha256(data).hexdigest() == digest else None

    def _trusted_digests(self) -> set[str]:
        stamp = self._stamp()
        if self._trusted is None or self._trusted[0] != stamp:
            result = self.verify()
            if not result.ok:
                raise AuditError(f"undo refused: {result.message()}")
            base = head_records(self.store).base[0]
            digests = {d for e in self.entries() if e.seq > base for d in (e.hash_before, e.hash_after)}
            self._trusted = (stamp, digests)
        return self._trusted[1]

    def _stamp(self) -> tuple[Any, ...]:
        rows = self.store.execute("SELECT COUNT(*), MAX(seq), MAX(entry_hash) FROM audit")
        files: list[tuple[int, int] | None] = []
        for path in _head_paths(self.store):
            try:
                st = os.stat(path)
                files.append((st.st_size, st.st_mtime_ns))
            except OSError:
                files.append(None)
        return (tuple(rows[0]), tuple(files))

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
        """Check the whole chain, the signatures and the head records kept outside the database.

        Names the first entry that was edited, deleted, moved or re-signed, and says when the
        database lost entries that the head records name (emptied, replaced, rolled back).
        """
        heads = head_records(self.store)
        key = _key()
        base_seq, base_hash = heads.base
        every = self.entries()
        entries = [e for e in every if e.seq > base_seq]
        notes: list[str] = list(heads.notes)
        if base_seq:
            notes.append(f"entries up to #{base_seq} were accepted as they were by an acknowledged reset")
        n = len(entries)

        def fail(seq: int | None, problem: str, *, ack: bool = True) -> VerifyResult:
            return VerifyResult(False, n, seq, problem, ack, tuple(notes))

        if heads.problems:
            return fail(None, heads.problems[0])
        damage = [str(r[0]) for r in self.store.execute("PRAGMA quick_check(5)")]
        if damage != ["ok"]:
            return fail(None, f"Kaizen's database is damaged ({'; '.join(damage)})")
        known = heads.entries()
        unsigned = 0
        problem = _missing(known, entries, every)
        if problem is None:
            problem, unsigned = _chain(entries, base_seq, base_hash, known, key, heads.signed)
        if problem is None and not heads.records and not base_seq:
            problem = self._legacy_head(entries)
        if problem is not None:
            return fail(*problem)
        if unsigned:
            why = key.problem or "written before Kaizen signed its log"
            notes.append(f"{unsigned} entr{'y is' if unsigned == 1 else 'ies are'} not signed ({why})")
        elif key.secret is None and entries:
            notes.append(f"signatures not checked ({key.problem})")
        return VerifyResult(True, n, notes=tuple(notes))

    def _legacy_head(self, entries: Sequence[AuditEntry]) -> tuple[int | None, str] | None:
        """A log from before head records: only the head kept in the database itself."""
        head = self.store.get_meta(HEAD_KEY)
        last = f"{entries[-1].seq}:{entries[-1].entry_hash}" if entries else None
        if head == last:
            return None
        if head is None:
            return (entries[0].seq if entries else None), "the log's head record is missing"
        seq_s = head.partition(":")[0]
        return (int(seq_s) if seq_s.isdigit() else None), f"the newest entry (head {seq_s}) is missing or was replaced"

    def acknowledge(self) -> tuple[int, str]:
        """Accept the log as it is now (lost entries, a broken chain, a reset database): later
        entries are verified from here on. Returns the (seq, hash) accepted."""
        heads = head_records(self.store)
        last = self.store.execute("SELECT seq, entry_hash FROM audit ORDER BY seq DESC LIMIT 1")
        seq, digest = (int(last[0][0]), str(last[0][1])) if last else (0, GENESIS)
        tip_seq, tip_hash = heads.tip()
        if tip_seq > seq:
            seq, digest = tip_seq, tip_hash
        # A head file with forged or damaged lines is set aside (kept for whoever investigates);
        # the records in the other copy still count.
        key = _key()
        for path in _head_paths(self.store):
            records, damaged = _read_head_file(path, key)
            if damaged or any(status == "forged" for _rec, status in records):
                _set_aside(path)
        if head_records(self.store).problems:  # the two copies contradict each other: start both afresh
            for path in _head_paths(self.store):
                if path.exists():
                    _set_aside(path)
        _write_head(self.store, [HeadRecord("a", seq, digest, time.time(), 0)])
        self._trusted = None
        return seq, digest



def _missing(known: Mapping[int, str], entries: Sequence[AuditEntry],
             every: Sequence[AuditEntry]) -> tuple[int | None, str] | None:
    """Entries the head records name that the database lacks (truncated, rolled back)."""
    by_seq = {e.seq: e for e in entries}
    missing = sorted(s for s in known if s not in by_seq)
    if not missing:
        return None
    have = max(by_seq) if by_seq else (max((e.seq for e in every), default=0))
    if not every:
        return missing[0], _lost_words(max(known), 0, False) + f" ({len(missing)} entries lost)"
    one = len(missing) == 1
    span = f"#{missing[0]}" + (f"-#{missing[-1]}" if not one else "")
    what = f"entr{'y' if one else 'ies'} {span} {'is' if one else 'are'} missing"
    if missing[0] > have:
        what = "the newest " + what
    return missing[0], (f"{what}: the head records name {'it' if one else 'them'}, "
                        f"the database does not (it ends at #{have}: truncated, rolled back or replaced)")


def _chain(entries: Sequence[AuditEntry], base_seq: int, base_hash: str, known: Mapping[int, str],
           key: Any, signed: bool) -> tuple[tuple[int | None, str] | None, int]:
    """The first broken link of the chain (None when whole), and how many entries are unsigned."""
    prev, expected = base_hash, base_seq + 1
    unsigned = 0
    for e in entries:
        problem = _link_problem(e, prev, expected, known)
        if problem is None:
            status = key.check(_ENTRY_DOMAIN, e.entry_hash, e.mac)
            problem = _signature_problem(e, status, key.secret is not None, signed)
            unsigned += status == "unsigned"
        if problem:
            return (e.seq, problem), unsigned
        prev = e.entry_hash
        expected += 1
    return None, unsigned


def _link_problem(e: AuditEntry, prev: str, expected: int, known: Mapping[int, str]) -> str | None:
    if e.seq != expected:
        return f"sequence jumps from #{expected - 1} to #{e.seq} (entry deleted or reordered)"
    if e.prev_hash != prev:
        return "does not follow the previous entry (an entry before it was deleted, edited or reordered)"
    if e.compute_hash() != e.entry_hash:
        return "content was edited after it was logged"
    if e.seq in known and known[e.seq] != e.entry_hash:
        return "differs from its head record (the entry was rewritten and the chain recomputed)"
    return None


def _signature_problem(e: AuditEntry, status: str, have_key: bool, signed: bool) -> str | None:
    if status == "forged":
        return "its signature does not match (the entry was rewritten and the chain recomputed)"
    if status == "foreign" and have_key:
        return f"signed with another key ({e.mac.partition(':')[0]}), not this user's: written elsewhere, or forged"
    if status == "unsigned" and signed and have_key:
        return "is not signed, but this log is (the entry was not written by Kaizen)"
    return None

_STATUS_GRADES = {"passed": "passed", "failed": "failed", "unverified": "unverified"}
_COUNTED = ("changed_lines", "changed_lines_run", "covering_tests")
_COUNTS = ("mutants", "mutants_killed", "replayed", "mismatches", "speedup_pairs", "speedup_median",
           "speedup_low", "speedup_high")


def with_grade(validation: Mapping[str, Any]) -> dict[str, Any]:
    """An entry's validation with its strength grade and evidence counts on top (issue #19).

    Every entry that carries a validation records ``grade`` (None: judged before grades, or
    not judged) and ``counts``; they are part of what the entry's hash and signature cover.
    """
    v = dict(validation)
    if not v:
        return v
    st = v.get("strength")
    st = st if isinstance(st, Mapping) else {}
    grade = st.get("grade") or _STATUS_GRADES.get(str(v.get("status", "")))
    counts: dict[str, Any] = {k: len(st.get(k) or ()) for k in _COUNTED}
    counts.update({k: st.get(k, 0 if k in _COUNTS[:5] else None) for k in _COUNTS})
    counts["touches_tests"] = list(st.get("touches_tests") or ())
    v["grade"], v["counts"] = grade, counts
    return v


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
    # Control and bidi characters become \uXXXX escapes (still the same JSON), so the file is
    # as safe to `cat` as the terminal output.
    return printable(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"


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
            out.append(f"- **Validation:** {_validation_words(v)}")
        out.append(f"- **Entry hash:** `{e.entry_hash[:16]}` (previous `{e.prev_hash[:16]}`)")
        if e.rationale:
            out += ["", e.rationale]
        if e.diff:
            out += ["", "```diff", e.diff.rstrip("\n"), "```"]
        out.append("")
    return printable("\n".join(out))  # titles and diffs hold what files and LLMs wrote


def _validation_words(v: Mapping[str, Any]) -> str:
    status = v.get("status", "?")
    tests = len(v.get("tests_run") or ())
    words = [f"{status} ({tests} test(s)"]
    if v.get("speedup"):
        words.append(f", speed-up x{v['speedup']:.2f}")
    words.append(")")
    grade, c = v.get("grade"), v.get("counts") or {}
    if grade:
        words.append(f", grade **{grade}**")
    if c.get("changed_lines"):
        words.append(f"; {c.get('changed_lines_run', 0)} of {c['changed_lines']} changed line(s) ran")
    if c.get("mutants"):
        words.append(f"; {c.get('mutants_killed', 0)} of {c['mutants']} mutant(s) killed")
    if c.get("replayed") or c.get("mismatches"):
        words.append(f"; {c.get('replayed', 0)} call(s) replayed, {c.get('mismatches', 0)} difference(s)")
    if c.get("touches_tests"):
        words.append("; touches the tests")
    return "".join(words)
