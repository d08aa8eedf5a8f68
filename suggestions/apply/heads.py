"""The audit log's trust outside the database: the user's key (signing entries, head records
and the journal) and the head records, a signed copy of the newest entries kept in the
user's folder so that emptying or replacing the database is noticed, not silent."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from analysis.userdir import user_dir
from suggestions.store import Store

logger = logging.getLogger(__name__)

GENESIS = "0" * 64  # the previous hash of the first entry


HEAD_FILE = "audit.head"
KEY_FILE = "audit.key"
_ENTRY_DOMAIN = b"kaizen-audit-entry-v1\n"
_HEAD_DOMAIN = b"kaizen-audit-head-v1\n"
_JOURNAL_DOMAIN = b"kaizen-audit-journal-v1\n"
UNSIGNED = "unsigned"


@dataclass(frozen=True, slots=True)
class _Key:
    secret: bytes | None
    id: str = ""
    problem: str = ""

    def sign(self, domain: bytes, text: str) -> str:
        if self.secret is None:
            return UNSIGNED
        return f"{self.id}:{hmac.new(self.secret, domain + text.encode(), hashlib.sha256).hexdigest()}"

    def check(self, domain: bytes, text: str, mac: str) -> str:
        """"ok", "forged" (our key, wrong MAC), "foreign" (another key) or "unsigned"."""
        if not mac or mac == UNSIGNED:
            return "unsigned"
        key_id, _, _digest = mac.partition(":")
        if self.secret is None or key_id != self.id:
            return "foreign"
        return "ok" if hmac.compare_digest(self.sign(domain, text), mac) else "forged"


_keys: dict[str, _Key] = {}
_keys_lock = threading.Lock()


def _key() -> _Key:
    """The user's HMAC key, created (0600, in a 0700 folder) on first use."""
    home = user_dir()
    if home is None:
        return _Key(None, problem="no home folder for Kaizen's key")
    path = home / KEY_FILE
    with _keys_lock:
        cached = _keys.get(str(path))
        if cached is not None and cached.secret is not None:
            return cached
        key = _load_key(path)
        _keys[str(path)] = key
        return key


def _load_key(path: Path) -> _Key:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            return _load_key(path)  # another process made it first
        except OSError as exc:
            return _Key(None, problem=f"cannot create the audit key {path} ({exc.strerror})")
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        return _load_key(path)
    except OSError as exc:
        return _Key(None, problem=f"cannot read the audit key {path} ({exc.strerror})")
    with os.fdopen(fd, "r", encoding="ascii", errors="replace") as fh:
        text = fh.read(200).strip()
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) < 16:
        return _Key(None, problem=f"the audit key {path} is damaged")
    return _Key(secret, hashlib.sha256(secret).hexdigest()[:12])


def _project_id(root: Path) -> str:
    return hashlib.sha256(str(Path(root).resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _head_paths(store: Store) -> list[Path]:
    paths = [store.path.parent / HEAD_FILE]
    home = user_dir()
    if home is not None:
        paths.append(home / "heads" / f"{_project_id(store.root)}.head")
    return paths


@dataclass(frozen=True, slots=True)
class HeadRecord:
    """One line of a head file: ``kind seq hash at flag mac``.

    ``e``: an entry was appended (flag 1: by an auto-apply rule); ``p``: the pause switch was
    set (flag 1) or cleared; ``a``: the user accepted the log as it is, from (seq, hash) on.
    """

    kind: str
    seq: int
    hash: str
    at: float
    flag: int
    mac: str = ""

    def body(self) -> str:
        return f"{self.kind} {self.seq} {self.hash} {self.at!r} {self.flag}"


@dataclass(frozen=True)
class HeadRecords:
    """The trusted head records of a project (both copies merged), and what was wrong with them."""

    records: tuple[HeadRecord, ...] = ()
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    signed: bool = False  # any record signed with the user's key

    @property
    def base(self) -> tuple[int, str]:
        """(seq, hash) the log was last accepted at (``--acknowledge-reset``); (0, GENESIS)."""
        acks = [r for r in self.records if r.kind == "a"]
        if not acks:
            return 0, GENESIS
        last = max(acks, key=lambda r: (r.seq, r.at))
        return last.seq, last.hash

    def entries(self) -> dict[int, str]:
        """seq -> entry hash of every appended entry after the base."""
        base = self.base[0]
        return {r.seq: r.hash for r in self.records if r.kind == "e" and r.seq > base}

    def tip(self) -> tuple[int, str]:
        """The newest (seq, hash) the records know of: the base or a later entry."""
        seq, digest = self.base
        for r in self.records:
            if r.kind == "e" and r.seq > seq:
                seq, digest = r.seq, r.hash
        return seq, digest


_parsed: dict[str, tuple[tuple[int, int, str], list[tuple[HeadRecord, str]], list[str]]] = {}


def _read_head_file(path: Path, key: _Key) -> tuple[list[tuple[HeadRecord, str]], list[str]]:
    """[(record, status)], [damaged lines], cached while the file is unchanged."""
    try:
        st = os.stat(path)
    except OSError:
        return [], []
    stamp = (st.st_size, st.st_mtime_ns, key.id)
    cached = _parsed.get(str(path))
    if cached is not None and cached[0] == stamp:
        return cached[1], cached[2]
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        return [], [f"{path}: cannot read ({exc.strerror})"]
    out: list[tuple[HeadRecord, str]] = []
    damaged: list[str] = []
    for n, line in enumerate(raw.decode("utf-8", "replace").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split(" ")
        try:
            kind, seq, digest, at, flag, mac = parts
            rec = HeadRecord(kind, int(seq), digest, float(at), int(flag), mac)
            if kind not in ("e", "p", "a") or rec.seq < 0 or not rec.at == rec.at:
                raise ValueError(kind)
        except ValueError:
            damaged.append(f"{path} line {n} is damaged")
            continue
        out.append((rec, key.check(_HEAD_DOMAIN, rec.body(), mac)))
    _parsed[str(path)] = (stamp, out, damaged)
    return out, damaged


def head_records(store: Store) -> HeadRecords:
    """Both copies of the project's head records, checked against the user's key and merged."""
    key = _key()
    trusted: dict[tuple[str, int, str, int, str], HeadRecord] = {}
    problems: list[str] = []
    notes: list[str] = []
    signed = False
    for path in _head_paths(store):
        records, damaged = _read_head_file(path, key)
        problems += damaged
        for rec, status in records:
            if status == "forged":
                problems.append(f"{path}: a head record does not carry the key's signature (forged or edited)")
                continue
            if status == "ok" or (status == "unsigned" and key.secret is None):
                signed = signed or status == "ok"
                trusted[(rec.kind, rec.seq, rec.hash, rec.flag, repr(rec.at))] = rec
            elif status == "foreign":
                notes.append(f"{path}: records signed with another key are ignored")
    by_seq: dict[int, str] = {}
    for rec in trusted.values():
        if rec.kind == "e" and by_seq.setdefault(rec.seq, rec.hash) != rec.hash:
            problems.append(f"the head records disagree on entry #{rec.seq} (one copy was rewritten)")
    ordered = tuple(sorted(trusted.values(), key=lambda r: (r.at, r.kind, r.seq)))
    return HeadRecords(ordered, tuple(dict.fromkeys(problems)), tuple(dict.fromkeys(notes)), signed)


def _write_head(store: Store, records: Sequence[HeadRecord]) -> None:
    """Append signed records to both head files (best effort: the database already holds them)."""
    if not records:
        return
    key = _key()
    text = "".join(f"{r.body()} {key.sign(_HEAD_DOMAIN, r.body())}\n" for r in records).encode()
    for n, path in enumerate(_head_paths(store)):
        if n and key.secret is None:
            continue  # the key's folder is unusable (verify says so): no copy there either
        try:
            if n:
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            new = not path.exists()
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                if new and n:
                    os.write(fd, f"# kaizen audit head records of {Path(store.root).resolve()}\n".encode(
                        "utf-8", "surrogateescape"))
                os.write(fd, text)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            # Never fatal: the database holds the change, and a missing head record only
            # weakens what verification can tell. Said once per file and process.
            if str(path) not in _unwritable:
                _unwritable.add(str(path))
                logger.warning("cannot write the audit head records %s (%s)", path, exc.strerror)


_unwritable: set[str] = set()


def record_pause(store: Store, paused: bool) -> None:
    """Mirror the pause switch in the head files (emptying the database does not resume)."""
    _write_head(store, [HeadRecord("p", 0, "-", time.time(), int(paused))])


def mirrored_pause(store: Store) -> bool:
    """The pause switch as the head records last saw it."""
    pauses = [r for r in head_records(store).records if r.kind == "p"]
    return bool(pauses) and bool(max(pauses, key=lambda r: (r.at, r.flag)).flag)


def automatic_since(store: Store, since: float) -> int:
    """Entries auto-apply rules appended after ``since``, as the head records count them."""
    return sum(1 for r in head_records(store).records if r.kind == "e" and r.flag and r.at > since)


