"""What each LLM run did, stage by stage, kept in the project store.

Every reply is one *attempt* (a candidate asked again after a failure makes a new attempt),
recorded with the hashes of its prompt and reply and its outcome. A run's funnel counts them:

    targets → prompts sent → replies parsed → patches that apply → validation passed → proven
    → accepted

``accepted`` is read from the decisions table when the funnel is shown (the suggestions a
run offered that the user, or an auto-apply rule, accepted since), so accepting needs no
bookkeeping here. Neither table holds prompt or reply text: hashes, counts and reasons only.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from suggestions.store import Store

__all__ = ["STAGES", "Attempt", "Funnel", "FunnelStore", "text_hash"]

# Stage names in funnel order, with the words shown for each.
STAGES: tuple[tuple[str, str], ...] = (
    ("targets", "targets"),
    ("prompts", "prompts sent"),
    ("parsed", "replies parsed"),
    ("applied", "patches that apply"),
    ("validated", "validation passed"),
    ("proven", "proven"),
    ("accepted", "accepted"),
)

# Outcomes of one attempt, from worst to best.
NO_REPLY = "no-reply"  # the request failed (timeout, server error): nothing to judge
PARSE = "parse-error"  # no usable edit in the reply
APPLY = "not-applied"  # an edit, but it does not apply (anchor not found, wrong file, ...)
UNCHECKED = "unvalidated"  # a patch, not validated (no validator)
FAILED = "validation-failed"
PASSED = "validated"
PROVEN = "proven"

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE llm_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        base_url TEXT NOT NULL DEFAULT '',
        model TEXT NOT NULL DEFAULT '',
        attempts INTEGER NOT NULL DEFAULT 1,
        candidates INTEGER NOT NULL DEFAULT 1,
        constrained INTEGER NOT NULL DEFAULT 0,
        targets INTEGER NOT NULL DEFAULT 0,
        prompts INTEGER NOT NULL DEFAULT 0,
        parsed INTEGER NOT NULL DEFAULT 0,
        applied INTEGER NOT NULL DEFAULT 0,
        validated INTEGER NOT NULL DEFAULT 0,
        proven INTEGER NOT NULL DEFAULT 0,
        offered TEXT NOT NULL DEFAULT '[]',
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        reply_seconds REAL NOT NULL DEFAULT 0,
        seconds REAL NOT NULL DEFAULT 0
    );
    CREATE TABLE llm_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run INTEGER NOT NULL,
        target TEXT NOT NULL,
        candidate INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        prompt_hash TEXT NOT NULL,
        reply_hash TEXT NOT NULL DEFAULT '',
        outcome TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        seconds REAL NOT NULL DEFAULT 0,
        fingerprint TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX llm_attempts_run ON llm_attempts(run);
    """,
)


def text_hash(obj: Any) -> str:
    """A short stable hash of a prompt (its messages) or a reply."""
    blob = obj if isinstance(obj, str) else json.dumps(obj, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass(frozen=True)
class Attempt:
    """One reply to one prompt, and what became of it."""

    target: str
    candidate: int  # 1-based
    attempt: int  # 1-based: 2 and up are repairs, sent with the previous failure
    prompt_hash: str
    reply_hash: str
    outcome: str
    reason: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0  # the reply's wall time (0 for a cached one)
    fingerprint: str = ""
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def parsed(self) -> bool:
        return self.outcome not in (NO_REPLY, PARSE)

    @property
    def applied(self) -> bool:
        return self.outcome not in (NO_REPLY, PARSE, APPLY)


@dataclass
class Funnel:
    """One run's counts (or, from :meth:`FunnelStore.totals`, all runs' sums)."""

    targets: int = 0
    prompts: int = 0
    parsed: int = 0
    applied: int = 0
    validated: int = 0
    proven: int = 0
    accepted: int = 0
    offered: list[str] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reply_seconds: float = 0.0
    seconds: float = 0.0
    model: str = ""
    attempts: int = 1
    candidates: int = 1
    constrained: bool = False
    at: float = 0.0
    runs: int = 1

    def count(self, attempts: Iterable[Attempt]) -> None:
        for a in attempts:
            self.prompts += 1
            self.parsed += a.parsed
            self.applied += a.applied
            self.validated += a.outcome in (PASSED, PROVEN)
            self.proven += a.outcome == PROVEN
            self.prompt_tokens += a.prompt_tokens
            self.completion_tokens += a.completion_tokens
            self.reply_seconds += a.seconds

    @property
    def tokens_per_second(self) -> float | None:
        return self.completion_tokens / self.reply_seconds if self.reply_seconds > 0 else None

    def stages(self) -> list[tuple[str, str, int]]:
        return [(key, words, int(getattr(self, key))) for key, words in STAGES]

    def describe(self) -> str:
        """One line: ``LLM run: 1 target → 3 prompts → 2 parsed → 1 applies → 1 passed → 0 proven → 0 accepted``."""
        c = self
        return (f"LLM run: {c.targets} target(s) → {c.prompts} prompt(s) → {c.parsed} parsed → "
                f"{c.applied} apply → {c.validated} passed → {c.proven} proven → {c.accepted} accepted")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["tokens_per_second"] = self.tokens_per_second
        d["stages"] = {key: n for key, _w, n in self.stages()}
        return d


class FunnelStore:
    """The ``llm_runs`` and ``llm_attempts`` tables."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.ensure_schema("llm-funnel", MIGRATIONS)

    def record(self, funnel: Funnel, attempts: Iterable[Attempt], *, base_url: str = "") -> int:
        with self.store.transaction() as db:
            cur = db.execute(
                "INSERT INTO llm_runs(at, base_url, model, attempts, candidates, constrained, targets, prompts,"
                " parsed, applied, validated, proven, offered, prompt_tokens, completion_tokens, reply_seconds,"
                " seconds) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (funnel.at or time.time(), base_url, funnel.model, funnel.attempts, funnel.candidates,
                 int(funnel.constrained), funnel.targets, funnel.prompts, funnel.parsed, funnel.applied,
                 funnel.validated, funnel.proven, json.dumps(funnel.offered), funnel.prompt_tokens,
                 funnel.completion_tokens, round(funnel.reply_seconds, 3), round(funnel.seconds, 3)),
            )
            run = int(cur.lastrowid or 0)
            db.executemany(
                "INSERT INTO llm_attempts(run, target, candidate, attempt, prompt_hash, reply_hash, outcome,"
                " reason, prompt_tokens, completion_tokens, seconds, fingerprint) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                [(run, a.target, a.candidate, a.attempt, a.prompt_hash, a.reply_hash, a.outcome, a.reason[:500],
                  a.prompt_tokens, a.completion_tokens, round(a.seconds, 3), a.fingerprint) for a in attempts],
            )
        return run

    def _accepted(self, offered: Iterable[str]) -> int:
        fps = list(dict.fromkeys(offered))
        if not fps:
            return 0
        marks = ",".join("?" * len(fps))
        rows = self.store.execute(
            f"SELECT COUNT(DISTINCT fingerprint) FROM decisions WHERE action IN ('accept', 'auto-applied')"
            f" AND fingerprint IN ({marks})", fps)
        return int(rows[0][0]) if rows else 0

    def _funnel(self, row: sqlite3.Row) -> Funnel:
        offered = [str(f) for f in json.loads(row["offered"] or "[]")]
        return Funnel(
            targets=int(row["targets"]), prompts=int(row["prompts"]), parsed=int(row["parsed"]),
            applied=int(row["applied"]), validated=int(row["validated"]), proven=int(row["proven"]),
            accepted=self._accepted(offered), offered=offered, prompt_tokens=int(row["prompt_tokens"]),
            completion_tokens=int(row["completion_tokens"]), reply_seconds=float(row["reply_seconds"]),
            seconds=float(row["seconds"]), model=str(row["model"]), attempts=int(row["attempts"]),
            candidates=int(row["candidates"]), constrained=bool(row["constrained"]), at=float(row["at"]))

    def latest(self) -> Funnel | None:
        rows = self.store.execute("SELECT * FROM llm_runs ORDER BY id DESC LIMIT 1")
        return self._funnel(rows[0]) if rows else None

    def totals(self) -> Funnel | None:
        rows = self.store.execute("SELECT * FROM llm_runs ORDER BY id")
        if not rows:
            return None
        total = Funnel(runs=0)
        for row in rows:
            f = self._funnel(row)
            for key in ("targets", "prompts", "parsed", "applied", "validated", "proven", "prompt_tokens",
                        "completion_tokens", "reply_seconds", "seconds"):
                setattr(total, key, getattr(total, key) + getattr(f, key))
            total.offered += f.offered
            total.runs += 1
            total.model, total.at = f.model, f.at
        total.accepted = self._accepted(total.offered)
        return total

    def attempts(self, run: int | None = None) -> list[Attempt]:
        if run is None:
            rows = self.store.execute("SELECT MAX(id) FROM llm_runs")
            run = int(rows[0][0] or 0) if rows else 0
        return [Attempt(str(r["target"]), int(r["candidate"]), int(r["attempt"]), str(r["prompt_hash"]),
                        str(r["reply_hash"]), str(r["outcome"]), str(r["reason"]), int(r["prompt_tokens"]),
                        int(r["completion_tokens"]), float(r["seconds"]), str(r["fingerprint"]))
                for r in self.store.execute("SELECT * FROM llm_attempts WHERE run=? ORDER BY id", (run,))]
