"""Applying suggestions to the user's files, and taking them back.

Guarantees:

* A file is replaced atomically (temp file in the same folder, fsync, an atomic swap of
  names, fsync of the folder) with its mode kept, so a crash at any moment leaves the old or
  the new content, never a mixture.
* A patch is refused when the file no longer has the content the patch was made for
  (``patch.base_hash``): nothing the user typed meanwhile is lost, and the caller
  re-computes the suggestion. Several suggestions for one file are written in one go.
* No save is lost to a race: under the project lock the file's identity (inode, size,
  mtime, hash) is checked again just before the swap, and the swap itself hands back the
  file it displaced, which is compared too. An editor's save that landed at any moment
  before the swap is put back in place (a newer save is never displaced by an older one)
  and the change is refused as stale.
* Only files inside the project are written: paths are resolved against its real root,
  anything that resolves outside is refused, and the folders on the way are opened without
  following symbolic links and held open, so a folder swapped for a link just before the
  write changes nothing.
* The file's encoding, BOM and line endings are kept: files are decoded the way the
  analyzers saw them, edits are applied to the UTF-8 text and the result is encoded back.
* Every change is appended to the hash-chained audit log together with the exact bytes
  before and after, so :func:`undo` restores a file byte for byte. A write-ahead journal
  row makes the log complete even when the process dies between the write and the log.
* Undo refuses (naming the lines) when the file moved on in the changed region and merges
  (three-way, by lines) when only other regions changed.
"""

from __future__ import annotations

import difflib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from analysis.atomic import write_atomic
from analysis.config import Config, ConfigError, load_config
from analysis.inventory import decode_source, encode_source
from suggestions.apply import gitops
from suggestions.apply.audit import AuditEntry, AuditLog, now
from suggestions.apply.swap import (
    PatchError,
    _clean_leftovers,
    _open_target,
    _project_lock,
    _replace,
    _Stale,
    _Target,
)
from suggestions.diff import patch_diff, text_diff
from suggestions.model import Decision, DecisionAction, Edit, Patch, Suggestion, content_hash
from suggestions.store import Store

__all__ = [
    "ApplyResult",
    "PatchError",
    "Refusal",
    "UndoResult",
    "apply_suggestions",
    "finish_interrupted",
    "merge3",
    "new_batch",
    "record_git",
    "recover",
    "undo",
    "write_atomic",
]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Something that was not applied (or not undone), and why."""

    handle: str  # suggestion id or audit entry id
    path: str
    reason: str
    stale: bool = False  # the file changed since the suggestion: re-compute it


@dataclass
class ApplyResult:
    applied: list[Suggestion] = field(default_factory=list)
    entries: list[AuditEntry] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # files written
    warnings: list[str] = field(default_factory=list)

    @property
    def stale_paths(self) -> list[str]:
        """Files whose suggestions must be re-computed."""
        return sorted({r.path for r in self.refused if r.stale})

    @property
    def ok(self) -> bool:
        return not self.refused


@dataclass
class UndoResult:
    undone: list[AuditEntry] = field(default_factory=list)  # the new "undo" entries
    refused: list[Refusal] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused


# --- journal: write-ahead intent so the log never misses a change ---------------------------


def _journal(log: AuditLog, path: str, before: str, after: str, entries: Sequence[AuditEntry],
             blobs: Iterable[bytes]) -> int:
    with log.store.transaction() as db:
        for data in blobs:
            log.put_blob(data, db)
        raw = json.dumps([e.to_dict() for e in entries])
        cur = db.execute(
            "INSERT INTO audit_journal(path, hash_before, hash_after, entries, at, seal) VALUES(?,?,?,?,?,?)",
            (path, before, after, raw, now(), log.seal_journal(path, before, after, raw)),
        )
        return int(cur.lastrowid or 0)


def _commit(log: AuditLog, journal_id: int, entries: Sequence[AuditEntry],
            decisions: Sequence[Decision]) -> list[AuditEntry]:
    with log.store.transaction() as db:
        out = log.append(entries, db)
        for d in decisions:
            db.execute(
                "INSERT INTO decisions(fingerprint, action, actor, at, reason, code, path) VALUES(?,?,?,?,?,?,?)",
                (d.fingerprint, d.action.value, d.actor, d.at, d.reason, d.code, d.path),
            )
        db.execute("DELETE FROM audit_journal WHERE id=?", (journal_id,))
    return out


def recover(root: Path, store: Store) -> list[str]:
    """Finish what a killed patcher left: log writes that happened, drop ones that did not."""
    log = AuditLog(store)
    notes: list[str] = []
    for row in store.execute("SELECT id, path, hash_before, hash_after, entries, seal FROM audit_journal ORDER BY id"):
        jid, rel, before, after, raw = int(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4])
        if not log.journal_sealed(rel, before, after, raw, str(row[5])):  # not Kaizen's: never logged
            with store.transaction() as db:
                db.execute("DELETE FROM audit_journal WHERE id=?", (jid,))
            notes.append(f"{rel}: discarded a journal row that Kaizen did not write (forged)")
            continue
        current = _current_hash(Path(root), rel)
        entries = [AuditEntry(**d) for d in json.loads(raw)]
        if current == after and before != after:
            decisions = [_decision_for(e) for e in entries if e.fingerprint]
            _commit(log, jid, entries, decisions)
            notes.append(f"{rel}: logged a change whose log entry was interrupted")
        else:
            with store.transaction() as db:
                db.execute("DELETE FROM audit_journal WHERE id=?", (jid,))
            if current != before:
                notes.append(f"{rel}: an interrupted change could not be confirmed (file changed since)")
    return notes


def _current_hash(root: Path, rel: str) -> str:
    """The hash of ``rel`` read inside the project ("" when it cannot be read there)."""
    try:
        t = _open_target(root, rel)
    except PatchError:
        return ""
    t.close()
    return t.ident.hash


def finish_interrupted(root: Path | str, store: Store) -> list[str]:
    """:func:`recover` under the project's patch lock (safe while another patcher runs)."""
    root = Path(root).resolve()
    with _project_lock(root):
        return recover(root, store)


def _decision_for(e: AuditEntry) -> Decision:
    if e.action == "undo":
        action = DecisionAction.UNDONE
    elif e.rule or e.actor != "user":
        action = DecisionAction.AUTO_APPLIED
    else:
        action = DecisionAction.ACCEPT
    return Decision(e.fingerprint, action, e.rule or e.actor, e.at, e.reason, e.code, e.path)


# --- apply ----------------------------------------------------------------------------------


def apply_suggestions(
    root: Path | str,
    store: Store,
    suggestions: Sequence[Suggestion],
    actor: str = "user",
    rule: str = "",
    reason: str = "",
    *,
    config: Config | None = None,
    batch: str = "",
    git: bool = True,
) -> ApplyResult:
    """Apply the suggestions' patches to the project's files (see the module docstring).

    ``actor`` is "user" or who acted for them; ``rule`` names the auto-apply rule when a
    rule did it. Suggestions that cannot be applied are listed in ``refused``; the others
    are applied regardless. Decisions (accept / auto-applied) are recorded in the store.
    ``batch``: the audit batch id for every entry (default: a new one per file); a batch id
    made by :func:`new_batch` marks changes that undo together (``kaizen apply --all-safe``).
    ``git=False``: the caller records the entries in git itself (:func:`record_git`).
    """
    root = Path(root).resolve()
    result = ApplyResult()
    log = AuditLog(store)
    by_path: dict[str, list[Suggestion]] = {}
    for s in suggestions:
        if s.patch is None or not s.patch.edits:
            result.refused.append(Refusal(s.id, s.path, "has no fix to apply"))
            continue
        if s.patch.path != s.path:
            result.refused.append(Refusal(s.id, s.path, f"patch is for {s.patch.path}, not {s.path}"))
            continue
        by_path.setdefault(s.path, []).append(s)
    with _project_lock(root):
        result.warnings += recover(root, store)
        for rel, group in by_path.items():
            _apply_file(root, log, rel, group, actor, rule, reason, result, batch)
    if result.paths and git:
        _git(root, config, result.entries, result)
    return result


UNDO_TOGETHER = "all-"  # the prefix of a batch id whose changes are undone as one


def new_batch() -> str:
    """A batch id whose changes count as one for ``undo --last`` (and the window's Undo)."""
    return UNDO_TOGETHER + uuid.uuid4().hex[:12]


def record_git(root: Path | str, config: Config | None, entries: Sequence[AuditEntry], result: ApplyResult) -> None:
    """Record applied entries in git as the settings say (once for a whole batch)."""
    if entries:
        _git(Path(root).resolve(), config, entries, result)


def _apply_file(root: Path, log: AuditLog, rel: str, group: list[Suggestion], actor: str, rule: str,
                reason: str, result: ApplyResult, batch: str = "") -> None:
    try:
        target = _open_target(root, rel)
    except PatchError as exc:
        for s in group:
            result.refused.append(Refusal(s.id, rel, str(exc), stale=isinstance(exc, _Stale)))
        return
    try:
        _apply_target(target, log, group, actor, rule, reason, result, batch)
    finally:
        target.close()


def _apply_target(t: _Target, log: AuditLog, group: list[Suggestion], actor: str, rule: str,
                  reason: str, result: ApplyResult, batch: str = "") -> None:
    rel, raw, mode = t.rel, t.raw, t.mode
    current = t.ident.hash
    try:
        text, encoding, _fallback, bom = decode_source(raw)
    except ValueError as exc:
        for s in group:
            result.refused.append(Refusal(s.id, rel, f"{rel}: {exc}"))
        return
    data = text.encode("utf-8", "surrogatepass")
    taken: list[Suggestion] = []
    edits: list[Edit] = []
    for s in group:
        assert s.patch is not None
        if s.patch.base_hash != current:
            result.refused.append(Refusal(
                s.id, rel, f"{rel} changed since this suggestion was made; it will be re-computed", stale=True))
            continue
        if any(e.end > len(data) for e in s.patch.edits):
            result.refused.append(Refusal(s.id, rel, "patch reaches past the end of the file", stale=True))
            continue
        clash = next((o for o in taken if _overlaps(o.patch, s.patch)), None)
        if clash is not None:
            result.refused.append(Refusal(
                s.id, rel, f"overlaps with {clash.id} applied in the same batch; re-compute and apply again",
                stale=True))
            continue
        taken.append(s)
        edits.extend(s.patch.edits)
    if not taken:
        return
    # The state after each suggestion, so that each one has its own entry and can be undone alone.
    states: list[bytes] = [raw]
    cumulative: list[Edit] = []
    try:
        for s in taken:
            assert s.patch is not None
            cumulative.extend(s.patch.edits)
            new_data = Patch(rel, current, tuple(cumulative)).apply(data)
            new_text = new_data.decode("utf-8", "surrogatepass")
            states.append(encode_source(new_text, encoding, bom))
    except (UnicodeError, ValueError) as exc:
        for s in taken:
            result.refused.append(Refusal(s.id, rel, f"the fix cannot be written in {encoding}: {exc}"))
        return
    batch = batch or uuid.uuid4().hex[:12]
    at = now()
    entries = []
    for i, s in enumerate(taken):
        assert s.patch is not None
        entries.append(AuditEntry(
            at=at, action="apply", actor=actor, rule=rule, path=t.real,
            hash_before=content_hash(states[i]), hash_after=content_hash(states[i + 1]),
            fingerprint=s.fingerprint, code=s.code, title=s.title, rationale=s.rationale, reason=reason,
            diff=s.diff or patch_diff(s.patch, data), validation=_validation(s),
            mode_before=mode, mode_after=mode, batch=batch,
        ))
    final = states[-1]
    result.warnings += _clean_leftovers(t, log)
    jid = _journal(log, t.real, current, content_hash(final), entries, states)
    try:
        _replace(t, final, mode)
    except (PatchError, OSError) as exc:
        with log.store.transaction() as db:
            db.execute("DELETE FROM audit_journal WHERE id=?", (jid,))
        why = str(exc) if isinstance(exc, PatchError) else f"cannot write {rel}: {exc.strerror}"
        for s in taken:
            result.refused.append(Refusal(s.id, rel, why, stale=isinstance(exc, _Stale)))
        return
    decisions = [_decision_for(e) for e in entries]
    result.entries += _commit(log, jid, entries, decisions)
    result.applied += taken
    result.paths.append(t.real)


_ATTEMPT_KEYS = ("candidate", "attempt", "prompt_hash", "reply_hash", "outcome", "reason")


def _validation(s: Suggestion) -> dict[str, object]:
    v = s.to_dict()["validation"]
    v["log"] = str(v.get("log", ""))[-2000:]
    attempts = s.evidence.get("llm_attempts")
    if isinstance(attempts, list) and attempts:
        # How an LLM candidate came to be: every attempt (prompt and reply hashes, outcome),
        # signed with the rest of the entry.
        v["llm_attempts"] = [{k: a.get(k) for k in _ATTEMPT_KEYS if k in a}
                             for a in attempts[:20] if isinstance(a, dict)]
    return dict(v)


def _overlaps(a: Patch | None, b: Patch | None) -> bool:
    if a is None or b is None:
        return False
    for x in a.edits:
        for y in b.edits:
            if x.start < y.end and y.start < x.end:
                return True
            if x.start == x.end == y.start == y.end:  # two insertions at one point: order unclear
                return True
    return False


# --- undo -----------------------------------------------------------------------------------


def undo(
    root: Path | str,
    store: Store,
    entry_ids: Sequence[int | str] | None = None,
    last: int | None = None,
    actor: str = "user",
    reason: str = "",
    *,
    config: Config | None = None,
) -> UndoResult:
    """Undo applied changes: by audit entry (``12`` / ``"#12"``), by suggestion id, or the last N.

    A batch is undone all or nothing: when any entry cannot be undone (the file moved on in
    the region it changed), nothing is written and ``refused`` says why, naming the lines.
    """
    root = Path(root).resolve()
    log = AuditLog(store)
    result = UndoResult()
    with _project_lock(root):
        result.warnings += recover(root, store)
        targets = _resolve(log, entry_ids, last, result)
        if result.refused or not targets:
            if not targets and not result.refused:
                result.refused.append(Refusal("", "", "nothing to undo"))
            return result
        by_path: dict[str, list[AuditEntry]] = {}
        for e in sorted(targets, key=lambda e: -e.seq):
            by_path.setdefault(e.path, []).append(e)
        plans: list[tuple[_Target, bytes, bytes, int, list[AuditEntry]]] = []
        try:
            for rel, entries in by_path.items():
                plan = _plan_undo(root, log, rel, entries, actor, reason, result)
                if plan is not None:
                    plans.append(plan)
            if result.refused:
                return result  # all or nothing
            for t, current, final, mode, new_entries in plans:
                rel = t.rel
                result.warnings += _clean_leftovers(t, log)
                jid = _journal(log, rel, content_hash(current), content_hash(final), new_entries, [current, final])
                try:
                    _replace(t, final, mode)
                except (PatchError, OSError) as exc:
                    with store.transaction() as db:
                        db.execute("DELETE FROM audit_journal WHERE id=?", (jid,))
                    why = str(exc) if isinstance(exc, PatchError) else f"cannot write {rel}: {exc.strerror}"
                    result.refused.append(Refusal("", rel, why, stale=isinstance(exc, _Stale)))
                    continue
                result.undone += _commit(log, jid, new_entries,
                                         [_decision_for(e) for e in new_entries if e.fingerprint])
                result.paths.append(rel)
        finally:
            for plan in plans:
                plan[0].close()
    if result.paths:
        _git(root, config, result.undone, result)
    return result


def _resolve(log: AuditLog, ids: Sequence[int | str] | None, last: int | None,
             result: UndoResult) -> list[AuditEntry]:
    applied = [e for e in log.entries() if e.action == "apply"]
    undone = log.undone()
    if last is not None:
        return _last_changes([e for e in reversed(applied) if e.seq not in undone], last)
    out: dict[int, AuditEntry] = {}
    for handle in ids or ():
        found = _lookup(applied, handle)
        if not found:
            result.refused.append(Refusal(str(handle), "", f"no applied change matches {handle!r}"))
            continue
        live = [e for e in found if e.seq not in undone]
        if not live:
            result.refused.append(Refusal(str(handle), found[0].path, f"{handle} was already undone"))
            continue
        for e in live:
            out[e.seq] = e
    return list(out.values())


def _last_changes(live: list[AuditEntry], last: int) -> list[AuditEntry]:
    """The newest ``last`` changes of ``live`` (newest first): the entries of a batch made to
    undo together (:func:`new_batch`) count as one change."""
    out: list[AuditEntry] = []
    groups = 0
    current = ""
    for e in live:
        together = e.batch.startswith(UNDO_TOGETHER)
        if not (together and e.batch == current):
            if groups == max(0, last):
                break
            groups += 1
        current = e.batch if together else ""
        out.append(e)
    return out


def _lookup(applied: list[AuditEntry], handle: int | str) -> list[AuditEntry]:
    h = str(handle).strip().lstrip("#")
    if h.isdigit() and len(h) < 6:
        return [e for e in applied if e.seq == int(h)]
    h = h.lower()
    return [e for e in applied if e.fingerprint and e.fingerprint.startswith(h)] if len(h) >= 4 else []


def _plan_undo(root: Path, log: AuditLog, rel: str, entries: list[AuditEntry], actor: str, reason: str,
               result: UndoResult) -> tuple[_Target, bytes, bytes, int, list[AuditEntry]] | None:
    try:
        t = _open_target(root, rel)
    except PatchError as exc:
        for e in entries:
            result.refused.append(Refusal(e.id, rel, str(exc)))
        return None
    current, mode = t.raw, t.mode
    plan = _plan_states(log, rel, entries, actor, reason, result, current, mode)
    if plan is None:
        t.close()
        return None
    return (t, current, *plan)


def _plan_states(log: AuditLog, rel: str, entries: list[AuditEntry], actor: str, reason: str,
                 result: UndoResult, current: bytes, mode: int) -> tuple[bytes, int, list[AuditEntry]] | None:
    state = current
    new_entries: list[AuditEntry] = []
    at = now()
    batch = uuid.uuid4().hex[:12]
    for e in entries:  # newest first
        before, after = log.blob(e.hash_before), log.blob(e.hash_after)
        if before is None or after is None:
            result.refused.append(Refusal(e.id, rel, f"{e.id}: the saved content is missing from the log"))
            return None
        if state == after:
            merged = before
        else:
            merged_or_none, conflicts = merge3(after, state, before)
            if merged_or_none is None:
                lines = ", ".join(f"{a}-{b}" if a != b else f"{a}" for a, b in conflicts)
                result.refused.append(Refusal(
                    e.id, rel,
                    f"{rel} changed since {e.id} in the lines it touched (now line(s) {lines}); "
                    "undo it by hand or revert those edits first",
                ))
                return None
            merged = merged_or_none
        if mode == e.mode_after:
            mode = e.mode_before
        old_text = _text(state)
        new_entries.append(AuditEntry(
            at=at, action="undo", actor=actor, path=rel, hash_before=content_hash(state),
            hash_after=content_hash(merged), fingerprint=e.fingerprint, code=e.code,
            title=e.title, rationale=e.rationale, reason=reason,
            diff=text_diff(rel, old_text, _text(merged)), mode_before=e.mode_after,
            mode_after=e.mode_before, batch=batch, undoes=e.seq,
        ))
        state = merged
    return state, mode, new_entries


def _text(data: bytes) -> str:
    try:
        return decode_source(data)[0]
    except ValueError:
        return data.decode("latin-1")


def merge3(base: bytes, ours: bytes, theirs: bytes) -> tuple[bytes | None, list[tuple[int, int]]]:
    """Three-way merge by lines: ``theirs``' changes to ``base`` carried onto ``ours``.

    Returns ``(merged, [])`` or ``(None, conflicts)`` where conflicts are 1-based line
    ranges in ``ours`` that both sides changed. Lines keep their own endings, so CRLF and a
    missing final newline survive.
    """
    b, o, t = base.splitlines(keepends=True), ours.splitlines(keepends=True), theirs.splitlines(keepends=True)
    ours_ops = [op for op in difflib.SequenceMatcher(None, b, o, autojunk=False).get_opcodes() if op[0] != "equal"]
    theirs_ops = [op for op in difflib.SequenceMatcher(None, b, t, autojunk=False).get_opcodes() if op[0] != "equal"]
    # The same change on both sides (the user already made it by hand) is agreement.
    same = {(i1, i2, tuple(t[j1:j2])) for _t, i1, i2, j1, j2 in theirs_ops} & {
        (i1, i2, tuple(o[j1:j2])) for _t, i1, i2, j1, j2 in ours_ops}
    theirs_ops = [op for op in theirs_ops if (op[1], op[2], tuple(t[op[3]:op[4]])) not in same]
    conflicts: list[tuple[int, int]] = []
    for _tag, i1, i2, _j1, _j2 in theirs_ops:
        for _otag, k1, k2, m1, m2 in ours_ops:
            if _ranges_clash(i1, i2, k1, k2):
                conflicts.append((m1 + 1, max(m2, m1 + 1)))
    if conflicts:
        return None, sorted(set(conflicts))
    hunks = [(i1, i2, o[j1:j2]) for _t, i1, i2, j1, j2 in ours_ops]
    hunks += [(i1, i2, t[j1:j2]) for _t, i1, i2, j1, j2 in theirs_ops]
    hunks.sort(key=lambda h: (h[0], h[1]))
    out: list[bytes] = []
    pos = 0
    for i1, i2, lines in hunks:
        out += b[pos:i1]
        out += lines
        pos = i2
    out += b[pos:]
    return b"".join(out), []


def _ranges_clash(a1: int, a2: int, b1: int, b2: int) -> bool:
    if max(a1, b1) < min(a2, b2):
        return True
    if a1 == a2 and b1 <= a1 <= b2:
        return True
    return b1 == b2 and a1 <= b1 <= a2


# --- git ------------------------------------------------------------------------------------


def _git(root: Path, config: Config | None, entries: Sequence[AuditEntry],
         result: ApplyResult | UndoResult) -> None:
    if config is None:
        try:
            config = load_config(root)
        except ConfigError as exc:
            result.warnings.append(f"git: settings unreadable, nothing staged ({exc})")
            return
    mode = str(config.get("git.mode"))
    if mode == "off":
        return
    try:
        gitops.record(root, mode, entries)
    except gitops.GitError as exc:
        result.warnings.append(f"git: {exc}")
