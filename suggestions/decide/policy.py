"""Auto-apply policy: the rules under which suggestions apply themselves, and the guardrails.

A rule (``[[policy.rules]]`` in the settings) names what it allows: rule codes (globs), sources,
applicabilities, a minimum confidence, a largest diff, path globs and exclusions, the
validation required and, for performance suggestions, a minimum measured speed-up.
``[policy.never]`` lists paths and codes nothing may touch, whatever a rule says.

On top of every rule, guardrails that no rule can switch off:

* the pause switch (``kaizen pause`` / ``resume``), persisted in the store;
* a rate limit (``policy.rate-limit`` changes per hour), counted in the store so it holds
  across processes, and reserved atomically so a burst cannot overshoot it;
* no change to a file edited in the last ``policy.quiet-seconds`` (the user is typing),
  unless the last edit was Kaizen's own;
* no change when the file differs from the patch's base;
* LLM suggestions only under a rule that names source ``llm`` explicitly;
* nothing while validation is pending or stale (run against other content), nothing
  unverified (no test ran the changed code), nothing that touches the tests themselves (the
  tests that judged it were edited, loosened or skipped), and never a change the user
  rejected or undid before;
* a broken settings file stops everything: the error (file, line, key) is reported and no
  earlier policy is assumed.

The policy decides on data: it reads the settings, the store and the files, and imports
neither the service, the patcher nor the validator.
:mod:`suggestions.project.autoapply` puts it to work on a project.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.config import Config, ConfigError, load_config
from analysis.inventory import OutsideProject, decode_source, real_relpath
from suggestions.apply import audit
from suggestions.model import (
    Applicability,
    DecisionAction,
    Grade,
    Source,
    Suggestion,
    Validation,
    ValidationStatus,
    content_hash,
)
from suggestions.store import Store

__all__ = [
    "POLICY_MIGRATIONS",
    "FileState",
    "PauseState",
    "Policy",
    "PolicyRule",
    "Verdict",
    "code_matches",
    "grade_of",
    "is_paused",
    "path_matches",
    "pause",
    "pause_state",
    "resume",
]


POLICY_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE policy_applies (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        fingerprint TEXT NOT NULL,
        rule TEXT NOT NULL,
        path TEXT NOT NULL
    );
    CREATE INDEX policy_applies_at ON policy_applies(at);
    CREATE TABLE policy_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        at REAL NOT NULL,
        actor TEXT NOT NULL DEFAULT ''
    );
    """,
)

HOUR = 3600.0


# --- the pause switch ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PauseState:
    paused: bool
    at: float | None = None
    actor: str = ""
    reason: str = ""  # set when the audit log stops automatic changes (see audit.health)


def _ensure(store: Store) -> None:
    store.ensure_schema("policy", POLICY_MIGRATIONS)


def pause_state(store: Store) -> PauseState:
    """Whether automatic changes are paused, since when and by whom."""
    _ensure(store)
    rows = store.execute("SELECT value, at, actor FROM policy_state WHERE key='paused'")
    state = PauseState(rows[0][0] == "1", float(rows[0][1]), str(rows[0][2])) if rows else PauseState(False)
    if not state.paused and audit.mirrored_pause(store):  # the database lost the switch: the file holds it
        state = PauseState(True, state.at, state.actor or "user")
    problem = audit.health(store)
    if problem:
        return PauseState(True, state.at, state.actor, f"{problem}; nothing applies automatically until "
                          "`kaizen audit PATH --verify` is read and `--acknowledge-reset` accepts it")
    return state


def is_paused(store: Store) -> bool:
    return pause_state(store).paused


def _set_paused(store: Store, paused: bool, actor: str) -> None:
    _ensure(store)
    store.execute(
        "INSERT INTO policy_state(key, value, at, actor) VALUES('paused', ?, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value=excluded.value, at=excluded.at, actor=excluded.actor",
        ("1" if paused else "0", time.time(), actor),
    )
    audit.record_pause(store, paused)


def pause(store: Store, actor: str = "user") -> None:
    """Stop every automatic change at once; holds across restarts until :func:`resume`."""
    _set_paused(store, True, actor)


def resume(store: Store, actor: str = "user") -> None:
    _set_paused(store, False, actor)


# --- globs --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A path glob: ``**`` spans folders, ``*`` and ``?`` stay inside one; a trailing ``/``
    means everything below; a pattern without ``/`` matches at any depth."""
    p = pattern.strip()
    if p.endswith("/"):
        p += "**"
    if "/" not in p.rstrip("/") and p != "**":
        p = "**/" + p
    p = p.lstrip("/")
    out, i = [], 0
    while i < len(p):
        if p.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif p.startswith("**", i):
            out.append(".*")
            i += 2
        elif p[i] == "*":
            out.append("[^/]*")
            i += 1
        elif p[i] == "?":
            out.append("[^/]")
            i += 1
        elif p[i] == "[":
            j = p.find("]", i + 1)
            if j < 0:
                out.append(re.escape(p[i]))
                i += 1
            else:
                out.append("[" + p[i + 1 : j].replace("\\", "\\\\") + "]")
                i = j + 1
        else:
            out.append(re.escape(p[i]))
            i += 1
    return re.compile("".join(out) + r"(?:/.*)?\Z")


def path_matches(path: str, patterns: Iterable[str]) -> bool:
    """Whether a project-relative POSIX path matches any of the globs."""
    return any(_glob_regex(p).match(path) for p in patterns)


def code_matches(code: str, patterns: Iterable[str]) -> bool:
    """Code globs (``KZ2*``, ``KZ20?``); a plain prefix such as ``KZ2`` also matches."""
    for p in patterns:
        if fnmatch.fnmatchcase(code, p) or (not any(c in p for c in "*?[") and code.startswith(p)):
            return True
    return False


# --- rules --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyRule:
    """One ``[[policy.rules]]`` entry."""

    name: str
    codes: tuple[str, ...] = ("*",)
    sources: tuple[str, ...] = ("static", "runtime")
    applicability: tuple[str, ...] = ("safe",)
    min_confidence: float = 0.9
    max_changed_lines: int = 10
    paths: tuple[str, ...] = ("**",)
    exclude: tuple[str, ...] = ()
    require_validation: str = "passed"
    min_speedup: float = 1.0

    @classmethod
    def from_config(cls, d: Mapping[str, Any]) -> PolicyRule:
        return cls(
            name=str(d["name"]),
            codes=tuple(d["codes"]),
            sources=tuple(s.lower() for s in d["source"]),
            applicability=tuple(a.lower() for a in d["applicability"]),
            min_confidence=float(d["min-confidence"]),
            max_changed_lines=int(d["max-changed-lines"]),
            paths=tuple(d["paths"]),
            exclude=tuple(d["exclude"]),
            require_validation=str(d["require-validation"]),
            min_speedup=float(d["min-speedup"]),
        )

    def failures(self, s: Suggestion, changed_lines: int | None, *, check_validation: bool = True) -> list[str]:
        """Every condition of this rule that ``s`` fails, in words (empty: the rule allows it)."""
        out: list[str] = []
        if not code_matches(s.code, self.codes):
            out.append(f"code {s.code} is not in {_words(self.codes)}")
        if s.source.value not in self.sources:
            if s.source is Source.LLM:
                out.append("LLM suggestions need a rule that names source 'llm'")
            else:
                out.append(f"source {s.source.value} is not in {_words(self.sources)}")
        if s.applicability.value not in self.applicability:
            out.append(f"applicability {s.applicability.value} is not in {_words(self.applicability)}")
        if s.confidence < self.min_confidence:
            out.append(f"confidence {s.confidence:.2f} is below {self.min_confidence:.2f}")
        if changed_lines is not None and changed_lines > self.max_changed_lines:
            out.append(f"{changed_lines} changed lines exceed {self.max_changed_lines}")
        if not path_matches(s.path, self.paths):
            out.append(f"{s.path} is outside {_words(self.paths)}")
        elif self.exclude and path_matches(s.path, self.exclude):
            out.append(f"{s.path} is excluded by {_words(self.exclude)}")
        if check_validation:
            v = s.validation
            g = grade_of(v)
            if self.require_validation == "proven" and g is not Grade.PROVEN:
                out.append(f"validation {_grade_words(v)}, the rule requires proven")
            elif self.require_validation == "passed" and g not in (Grade.PROVEN, Grade.PASSED):
                out.append(f"validation {_grade_words(v)}, the rule requires passed")
            elif self.require_validation == "none" and v.status in (ValidationStatus.FAILED, ValidationStatus.ERROR):
                out.append(f"validation {v.status.value}")
            if s.category == "performance" and self.min_speedup > 1.0:
                sp = v.speedup
                if sp is None:
                    out.append(f"no measured speed-up (the rule requires {self.min_speedup:.2f}x)")
                elif sp < self.min_speedup:
                    out.append(f"speed-up {sp:.2f}x is below {self.min_speedup:.2f}x")
        return out


def _words(items: Sequence[str]) -> str:
    return "[" + ", ".join(items) + "]"


def grade_of(v: Validation) -> Grade | None:
    """The validation's grade; one made before grades existed (no strength) that passed counts
    as passed, never proven."""
    if v.strength is not None and v.strength.grade is not None:
        return v.strength.grade
    if v.status is ValidationStatus.PASSED:
        return Grade.PASSED
    if v.status is ValidationStatus.FAILED:
        return Grade.FAILED
    if v.status is ValidationStatus.UNVERIFIED:
        return Grade.UNVERIFIED
    return None


def _grade_words(v: Validation) -> str:
    g = grade_of(v)
    if g is Grade.UNVERIFIED:
        return "unverified (no test runs this code)"
    if g is Grade.PASSED:
        return "passed, not proven"
    return g.value if g is not None else v.status.value


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a suggestion may apply itself now, under which rule, and why (not)."""

    eligible: bool
    rule_name: str = ""
    reasons: tuple[str, ...] = ()

    @property
    def because(self) -> str:
        return "; ".join(self.reasons)


@dataclass(frozen=True, slots=True)
class FileState:
    """The file a patch is for, as it is on disk now."""

    exists: bool
    hash: str = ""
    mtime: float = 0.0
    data: bytes = b""  # UTF-8 text as the analyzers saw it (for measuring the diff)

    @classmethod
    def read(cls, path: Path) -> FileState:
        try:
            raw = path.read_bytes()
            st = os.stat(path)
        except OSError:
            return cls(False)
        try:
            text, _enc, _fb, _bom = decode_source(raw)
            data = text.encode("utf-8", "surrogatepass")
        except ValueError:
            data = raw
        return cls(True, content_hash(raw), st.st_mtime, data)


# --- the policy ---------------------------------------------------------------------------------


class Policy:
    """The auto-apply rules of one project, with its guardrails.

    Build it with :meth:`load`, which never raises for a broken settings file: the policy
    is then *broken* (``error`` says where) and allows nothing.
    """

    def __init__(
        self,
        root: Path | str,
        store: Store,
        config: Config | None,
        *,
        error: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = Path(root).resolve()
        self.store = store
        self.config = config
        self.error = error
        self.clock = clock
        _ensure(store)
        if config is not None and not error:
            self.rules = [PolicyRule.from_config(r) for r in config.section("policy.rules")]
            never = config.section("policy.never")
            self.never_paths: tuple[str, ...] = tuple(never["paths"])
            self.never_codes: tuple[str, ...] = tuple(never["codes"])
            self.rate_limit = int(config.get("policy.rate-limit"))
            self.quiet_seconds = float(config.get("policy.quiet-seconds"))
        else:
            self.rules = []
            self.never_paths = self.never_codes = ()
            self.rate_limit = 0
            self.quiet_seconds = 0.0
        self._files: dict[str, FileState] = {}

    @classmethod
    def load(cls, root: Path | str, store: Store, *, clock: Callable[[], float] = time.time) -> Policy:
        """Read the policy from the settings on disk now (never a remembered earlier one)."""
        try:
            config = load_config(Path(root))
        except ConfigError as exc:
            return cls(root, store, None, error=str(exc), clock=clock)
        return cls(root, store, config, clock=clock)

    # --- state --------------------------------------------------------------------------------

    def file(self, rel: str) -> FileState:
        state = self._files.get(rel)
        if state is None:
            state = self._files[rel] = FileState.read(self.root / rel)
        return state

    def forget_files(self) -> None:
        """Drop cached file states (after a change was applied)."""
        self._files.clear()

    def applied_last_hour(self) -> int:
        since = self.clock() - HOUR
        rows = self.store.execute("SELECT COUNT(*) FROM policy_applies WHERE at > ?", (since,))
        # The head records outside the database count too: emptying it does not reset the limit.
        return max(int(rows[0][0]), audit.automatic_since(self.store, since))

    def _written_by_kaizen(self, rel: str, current_hash: str) -> bool:
        """Whether the file's content is what Kaizen itself last wrote (not the user typing)."""
        try:
            rows = self.store.execute(
                "SELECT hash_after FROM audit WHERE path=? ORDER BY seq DESC LIMIT 1", (rel,)
            )
        except Exception:  # no audit table yet: nothing was ever written by Kaizen
            return False
        return bool(rows) and rows[0][0] == current_hash

    def _never_path(self, rel: str) -> list[str]:
        """The never-list holds for the path and for what it really is (symlinks resolved):
        an alias to a never-listed file, or a path leading out of the project, is refused."""
        try:
            real = real_relpath(self.root, rel)
        except OutsideProject as exc:
            return [f"{exc}: Kaizen changes files inside the project only"]
        for p in dict.fromkeys((rel, real)):
            if path_matches(p, self.never_paths):
                alias = f" (through the symbolic link {rel})" if p != rel else ""
                return [f"{p} is in [policy.never] paths{alias}"]
        return []

    def _history(self, fingerprint: str) -> tuple[bool, str]:
        """(was ever undone, latest action) for a fingerprint."""
        rows = self.store.execute(
            "SELECT action FROM decisions WHERE fingerprint=? ORDER BY id", (fingerprint,)
        )
        actions = [r[0] for r in rows]
        return DecisionAction.UNDONE.value in actions, (actions[-1] if actions else "")

    # --- evaluation ---------------------------------------------------------------------------

    def evaluate(self, s: Suggestion, *, assume_validated: bool = False) -> Verdict:
        """May ``s`` apply itself now? ``assume_validated`` skips the validation conditions
        (to choose which candidates are worth validating)."""
        if self.error:
            return Verdict(False, "", (f"the settings are broken, so nothing applies automatically: {self.error}",))
        if not self.rules:
            return Verdict(False, "", ("no [[policy.rules]] are configured",))
        guards: list[str] = []
        paused = pause_state(self.store)
        if paused.paused:
            guards.append(paused.reason or "automatic changes are paused (kaizen resume)")
        if s.patch is None or not s.patch.edits or s.applicability is Applicability.DISPLAY_ONLY:
            return Verdict(False, "", (*guards, "advice only: there is no fix to apply"))
        guards += self._never_path(s.path)
        if code_matches(s.code, self.never_codes):
            guards.append(f"{s.code} is in [policy.never] codes")
        guards += self._history_guards(s.fingerprint)
        state = self.file(s.path)
        file_guards, changed_lines = self._file_guards(s, state)
        guards += file_guards
        if not assume_validated:
            guards += _validation_guards(s, state)
        guards += self._rate_guards()
        per_rule: list[str] = []
        chosen: PolicyRule | None = None
        for rule in self.rules:
            failures = rule.failures(s, changed_lines, check_validation=not assume_validated)
            if not failures:
                chosen = rule
                break
            per_rule.append(f"rule '{rule.name}': " + "; ".join(failures))
        if chosen is None:
            # Each rule already says what its validation requirement lacks.
            guards = [g for g in guards if g != "not validated yet"]
            return Verdict(False, "", (*guards, *per_rule))
        if guards:
            return Verdict(False, chosen.name, tuple(guards))
        return Verdict(True, chosen.name, (self._allowed_words(chosen, s, changed_lines),))

    def _history_guards(self, fingerprint: str) -> list[str]:
        undone, latest = self._history(fingerprint)
        if undone:
            return ["this change was undone before"]
        if latest == DecisionAction.REJECT.value:
            return ["you rejected this suggestion"]
        return []

    def _file_guards(self, s: Suggestion, state: FileState) -> tuple[list[str], int | None]:
        """What the file on disk forbids now, and the patch's changed lines measured on it."""
        assert s.patch is not None
        if not state.exists:
            return [f"{s.path} does not exist"], None
        guards: list[str] = []
        changed_lines: int | None = None
        if state.hash != s.patch.base_hash:
            guards.append(f"{s.path} changed since the fix was made (re-analysis pending)")
        else:
            try:
                changed_lines = s.patch.changed_lines(state.data)
            except ValueError:
                changed_lines = None
        age = self.clock() - state.mtime
        if age < self.quiet_seconds and not self._written_by_kaizen(s.path, state.hash):
            guards.append(
                f"{s.path} was edited {max(age, 0):.0f}s ago (quiet period {self.quiet_seconds:g}s)"
            )
        return guards, changed_lines

    def _rate_guards(self) -> list[str]:
        if self.rate_limit <= 0:
            return ["the rate limit is 0 changes per hour"]
        if self.applied_last_hour() >= self.rate_limit:
            return [f"rate limit reached ({self.rate_limit} automatic changes in the last hour)"]
        return []

    def _allowed_words(self, rule: PolicyRule, s: Suggestion, changed_lines: int | None) -> str:
        bits = [f"rule '{rule.name}' allows it", f"{s.code} {s.applicability.value}",
                f"confidence {s.confidence:.2f}"]
        if changed_lines is not None:
            bits.append(f"{changed_lines} changed line{'s' if changed_lines != 1 else ''}")
        v = s.validation
        if v.status is ValidationStatus.PASSED:
            covering = v.strength.covering_tests if v.strength is not None else ()
            if grade_of(v) is Grade.PROVEN:
                bits.append(f"proven by {len(covering)} covering test(s)" if covering else "proven")
            else:
                bits.append(f"validated by {len(v.tests_run)} test(s)" if v.tests_run else "validated")
            if v.speedup:
                bits.append(f"{v.speedup:.2f}x faster")
        return ", ".join(bits)

    def preview(self, suggestions: Iterable[Suggestion]) -> list[tuple[Suggestion, Verdict]]:
        """Every suggestion with its verdict: what the rules would apply now and why not the rest."""
        self.forget_files()
        out = [(s, self.evaluate(s)) for s in suggestions]
        out.sort(key=lambda p: (not p[1].eligible, p[0].path, p[0].line))
        return out

    # --- the rate limit ----------------------------------------------------------------------

    def reserve(self, s: Suggestion, rule: str) -> int | None:
        """Take one slot of the hourly rate limit for ``s`` (atomically across processes).

        Returns the slot's id, or None when the limit is reached.
        """
        now = self.clock()
        with self.store.transaction() as db:
            (count,) = db.execute("SELECT COUNT(*) FROM policy_applies WHERE at > ?", (now - HOUR,)).fetchone()
            if max(count, audit.automatic_since(self.store, now - HOUR)) >= self.rate_limit:
                return None
            cur = db.execute(
                "INSERT INTO policy_applies(at, fingerprint, rule, path) VALUES(?,?,?,?)",
                (now, s.fingerprint, rule, s.path),
            )
            return int(cur.lastrowid or 0)

    def release(self, slot: int) -> None:
        """Give a slot back (the change was not made after all)."""
        self.store.execute("DELETE FROM policy_applies WHERE id=?", (slot,))


def _validation_guards(s: Suggestion, state: FileState) -> list[str]:
    """What the suggestion's validation forbids: pending, stale, unverified, touching the tests,
    unconfined."""
    guards: list[str] = []
    v = s.validation
    if v.status is ValidationStatus.PENDING:
        guards.append("not validated yet")
    elif v.base_hash and v.base_hash != state.hash:
        guards.append("validation is stale (it ran against other content)")
    elif not v.base_hash:
        guards.append("validation is stale (it does not say which content it checked)")
    if v.status is ValidationStatus.UNVERIFIED:
        guards.append("validation unverified: no test runs this code, so nothing checked it; "
                      "no rule applies it automatically")
    if v.strength is not None and v.strength.touches_tests:
        guards.append("the change touches the tests themselves (" + "; ".join(v.strength.touches_tests[:3])
                      + "): it never applies automatically")
    if v.confined is False:
        guards.append("validation ran unconfined (the tests could not be sandboxed): it is "
                      "shown, never applied automatically")
    elif v.confined is None and v.at is not None:
        guards.append("validation ran before test runs were confined: validate it again")
    return guards
