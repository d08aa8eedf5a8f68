"""Ranking that learns from the user: severity bands, evidence, and a learned prior.

A suggestion's score is the plain sum of its terms (``score_breakdown`` adds up to it
exactly):

* ``band``: what kind of finding it is. Severity dominates style, so the category puts it
  in a band and nothing else can move it out of there. From the top: **correctness** (a
  bug), **resources** (leaks, insecure temporary files), **performance**,
  **simplification**, **modernization**, then **style** and **structure** (and anything
  uncategorised). Bands are :data:`BAND_WIDTH` apart and every other term is bounded so
  that they add up to less than half a band: a correctness finding always outranks a
  style or modernization one, however much runtime evidence or learning the other has.
* ``impact``: runtime evidence (share of time, calls, exceptions) or the rule's static
  severity; ``validation``: the grade of the validation (proven > passed > pending >
  unverified > could not run > failed); ``speedup``: the measured speed-up; ``risk``: the
  size of the diff and whether the fix keeps the meaning.
* ``prior``: P(this user accepts it) — a Beta posterior per rule (seeded by the rule's
  declared confidence) and, below it, per rule-and-folder. Folders get a two-way
  explanation: either a folder is like any other, or the user wants it left alone; the
  posterior of the second pulls every rule down in that folder, and rejections there count
  for less against the rules themselves. Every accept (an automatic apply counts as one),
  reject and undo updates the counts. One decision moves the rule's posterior by at most
  1 / (:data:`Ranker.RULE_STRENGTH` + 1), and what a folder adds by at most
  :data:`Ranker.PRIOR_STEP` per decision made there (:data:`Ranker.PRIOR_SPAN` in all):
  one undo nudges a rule's suggestions down, it never sends them all to the bottom.
* ``repeat``: a rule the user has hardly judged gets one suggestion near the top, not ten:
  its prior is a guess, and one suggestion is enough to ask (bounded too).

The ranker learns from the ``decisions`` table itself (a cursor remembers how far it has
read), so a decision recorded by any component — the patcher, the ``reject`` command, the
UI — is learned exactly once, in whichever process ranks next.
"""


from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.config import ConfigError
from analysis.settings_edit import add_ignore, add_per_file_ignore
from analysis.trace_store import TraceStore
from suggestions.analyze.runtime import attach_evidence
from suggestions.decide import visibility
from suggestions.decide.visibility import RejectReason
from suggestions.model import (
    Applicability,
    Decision,
    DecisionAction,
    Grade,
    ScoreTerm,
    Suggestion,
    ValidationStatus,
)
from suggestions.store import Store

__all__ = [
    "RANKING_MIGRATIONS",
    "Prior",
    "Ranker",
    "RejectReason",
    "add_ignore",
    "add_per_file_ignore",
    "band_of",
    "explanation",
    "folder_of",
    "ordinal",
]

RANKING_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE ranking_counts (
        code TEXT NOT NULL,      -- a rule code, or '*' for every rule
        folder TEXT NOT NULL,    -- a project folder, or '*' for every folder
        accepts REAL NOT NULL DEFAULT 0,
        rejects REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (code, folder)
    );
    CREATE TABLE ranking_cursor (id INTEGER PRIMARY KEY CHECK (id = 0), last_decision INTEGER NOT NULL);
    INSERT INTO ranking_cursor(id, last_decision) VALUES (0, 0);
    """,
)

ALL = "*"
TIMES = "\u00d7"  # the multiplication sign of "2.3x faster"

# How much one decision moves the counts.
_WEIGHTS = {
    RejectReason.NOT_NOW: 0.3,
    RejectReason.FALSE_POSITIVE: 1.0,
    RejectReason.NEVER_FOLDER: 3.0,
    RejectReason.NEVER_RULE: 3.0,
    "": 1.0,
}
UNDO_WEIGHT = 1.0  # an undo is a rejection after the fact: it counts as one

# Severity bands, top first (see the module docstring): a category's band index is its
# distance from the bottom. Anything not listed (style, structure, uncategorised) is band 0.
BANDS: tuple[str, ...] = ("correctness", "resources", "performance", "simplification", "modernization")
BAND_WIDTH = 10.0
_BAND_OF = {name: float(len(BANDS) - i) for i, name in enumerate(BANDS)}
# Inside a band a suggestion is worth benefit * P - (1 - P) in (-1, 2), and the repeat terms
# take at most 2 * Ranker.REPEAT_CAP off: (-3, 2) is well inside one band's width, so no
# evidence or learning carries a suggestion across bands (tests/test_ranking.py checks it).
WITHIN_BAND = (-3.0, 2.0)


def band_of(category: str) -> tuple[float, str]:
    """The band's base score and its name for a category ("style" for the bottom one)."""
    index = _BAND_OF.get(category, 0.0)
    return index * BAND_WIDTH, category if index else "style"


def folder_of(path: str) -> str:
    """The folder a suggestion lives in ('.' for the project root)."""
    parent = path.rpartition("/")[0]
    return parent or "."


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True, slots=True)
class Prior:
    """Accept and reject counts for one scope (weighted: 'not now' counts for less)."""

    accepts: float = 0.0
    rejects: float = 0.0

    @property
    def n(self) -> float:
        return self.accepts + self.rejects

    def mean(self, prior_mean: float, strength: float) -> float:
        """Posterior mean of a Beta(strength·m, strength·(1-m)) prior after these counts."""
        return (strength * prior_mean + self.accepts) / (strength + self.n)


_NO_DECISIONS = Prior()


class Ranker:
    """Scores, orders and explains suggestions; learns from decisions. Thread-safe.

    Several rankers (threads, processes) may share one store: the counts live there and
    each decision is learned once, whichever ranker reads it first.
    """

    # A Beta prior of this many pseudo-decisions at the rule's declared confidence.
    RULE_STRENGTH = 3.0
    # The rule-and-folder cell shrinks towards the rule's posterior with this weight.
    FOLDER_STRENGTH = 1.0
    # Before any decision, the chance that a folder is one the user wants left alone, and
    # how often the user accepts a change in such a folder.
    FOLDER_DISLIKE_PRIOR = 0.1
    DISLIKED_ACCEPT = 0.05
    # Below this many decisions a rule is untried: its further suggestions wait their turn.
    UNTRIED_DECISIONS = 3.0
    UNTRIED_REPEAT = 0.5
    NOT_NOW_SECONDS = visibility.NOT_NOW_SECONDS
    # What reading a suggestion the user then rejects costs, in benefit units.
    REJECT_COST = 1.0

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        store.ensure_schema("ranking", RANKING_MIGRATIONS)
        self._counts: dict[tuple[str, str], Prior] = {}
        self._by_folder: dict[str, list[tuple[str, Prior]]] = {}
        self._folder_factor: dict[str, float] = {}  # folder -> P(disliked), per fit
        self._effective: dict[str, Prior] = {}  # rule -> counts, rejects in disliked folders discounted
        self._fitted = False
        self._confidence: dict[str, float] = {}  # declared confidence per rule, as seen
        self.config_edit: Path | None = None  # the settings file the last 'never' reject wrote
        self._loaded = False
        self._lock = threading.RLock()  # guards the in-memory fit

    # --- learning ---------------------------------------------------------------------------

    def record(self, decision: Decision) -> None:
        """Store a decision and learn from it (and from anything else not yet learned)."""
        self.store.add_decision(decision)
        self.sync()

    def sync(self) -> int:
        """Learn from every decision recorded since the last sync; returns how many."""
        with self._lock:
            return self._sync()

    def _sync(self) -> int:
        learned = 0
        with self.store.transaction() as db:
            (cursor,) = db.execute("SELECT last_decision FROM ranking_cursor WHERE id=0").fetchone()
            rows = db.execute(
                "SELECT id, fingerprint, action, reason, code, path FROM decisions WHERE id > ? ORDER BY id",
                (cursor,),
            ).fetchall()
            last = cursor
            for row_id, fp, action, reason, code, path in rows:
                last = row_id
                if not code or not path:
                    found = db.execute("SELECT code, path FROM suggestions WHERE fingerprint=?", (fp,)).fetchone()
                    if found is None:
                        continue  # nothing to learn about an unknown rule
                    code, path = code or found[0], path or found[1]
                delta = _delta(DecisionAction(action), reason)
                if delta is None:
                    continue
                acc, rej = delta
                folder = folder_of(path)
                for key in ((code, ALL), (code, folder), (ALL, folder), (ALL, ALL)):
                    db.execute(
                        "INSERT INTO ranking_counts(code, folder, accepts, rejects) VALUES(?,?,?,?) "
                        "ON CONFLICT(code, folder) DO UPDATE SET accepts=accepts+excluded.accepts, "
                        "rejects=rejects+excluded.rejects",
                        (*key, acc, rej),
                    )
                learned += 1
            db.execute("UPDATE ranking_cursor SET last_decision=? WHERE id=0", (last,))
        if learned or not self._loaded:
            self._reload()
        return learned

    def _reload(self) -> None:
        self._counts = {
            (r[0], r[1]): Prior(float(r[2]), float(r[3]))
            for r in self.store.execute("SELECT code, folder, accepts, rejects FROM ranking_counts")
        }
        self._by_folder = {}
        for (code, folder), prior in self._counts.items():
            if code != ALL and folder != ALL:
                self._by_folder.setdefault(folder, []).append((code, prior))
        self._fitted = False
        self._loaded = True

    def prior(self, code: str, folder: str = ALL) -> Prior:
        """The raw counts for a rule (``folder='*'``), a rule in a folder, or a folder (``code='*'``)."""
        return self._counts.get((code, folder), _NO_DECISIONS)

    def rule_acceptance(self, code: str, confidence: float | None = None) -> float:
        """P(accept) for a rule anywhere: Beta posterior seeded by its declared confidence.

        Rejections in a folder the user seems not to want touched at all count for less
        (by how likely that is): they say little about the rule.
        """
        self._fit()
        conf = self._confidence.get(code, 0.7) if confidence is None else confidence
        counts = self._effective.get(code, _NO_DECISIONS)
        return counts.mean(min(max(conf, 0.02), 0.98), self.RULE_STRENGTH)

    def folder_dislike(self, folder: str) -> float:
        """P(this user does not want changes in ``folder`` at all), from the decisions there.

        Two explanations compete for the decisions made in a folder: the folder is like any
        other (each rule is accepted as often as its posterior says), or the user does not
        want changes there (almost everything rejected). A rejection of a rule the user
        otherwise accepts is strong evidence for the second; rejections of rules the user
        rejects everywhere are evidence for neither, so a folder that merely saw bad rules
        is not blamed for them.
        """
        self._fit()
        return self._folder_factor.get(folder, 0.0)

    def _fit(self) -> None:
        """Rule posteriors and folder dislikes explain the same decisions: settle them together."""
        if self._fitted:
            return
        self._fitted = True  # set first: the passes below read the partial fit
        by_code: dict[str, list[tuple[str, Prior]]] = {}
        for folder, cells in self._by_folder.items():
            for code, prior in cells:
                by_code.setdefault(code, []).append((folder, prior))
        dislike: dict[str, float] = {}
        for _ in range(3):
            self._effective = {
                code: Prior(
                    sum(p.accepts for _, p in cells),
                    sum(p.rejects * (1.0 - dislike.get(f, 0.0)) for f, p in cells),
                )
                for code, cells in by_code.items()
            }
            self._folder_factor = dislike = {f: self._dislike(cells) for f, cells in self._by_folder.items()}

    def _dislike(self, cells: Sequence[tuple[str, Prior]]) -> float:
        if not cells:
            return 0.0  # no decisions here: no reason to doubt the folder
        log_normal = log_disliked = 0.0
        eps = self.DISLIKED_ACCEPT
        for code, prior in cells:
            conf = self._confidence.get(code, 0.7)
            counts = self._effective.get(code, _NO_DECISIONS)
            p = min(max(counts.mean(min(max(conf, 0.02), 0.98), self.RULE_STRENGTH), 0.02), 0.98)
            log_normal += prior.accepts * math.log(p) + prior.rejects * math.log(1.0 - p)
            log_disliked += prior.accepts * math.log(eps) + prior.rejects * math.log(1.0 - eps)
        a = math.log(self.FOLDER_DISLIKE_PRIOR) + log_disliked
        b = math.log(1.0 - self.FOLDER_DISLIKE_PRIOR) + log_normal
        m = max(a, b)
        return math.exp(a - m) / (math.exp(a - m) + math.exp(b - m))

    def acceptance(self, code: str, path: str, confidence: float) -> float:
        """P(this user accepts a ``code`` suggestion at ``path``): the learned prior."""
        self._note_confidence(code, confidence)
        p_rule = self.rule_acceptance(code, confidence)
        folder = folder_of(path)
        d = self.folder_dislike(folder)
        seed = min(max((1.0 - d) * p_rule + d * self.DISLIKED_ACCEPT, 0.01), 0.99)
        learned = self.prior(code, folder).mean(seed, self.FOLDER_STRENGTH)
        # Bounded: the rule's own posterior moves at most 1 / (RULE_STRENGTH + 1) per decision;
        # what the folder adds (its cell, its dislike) at most PRIOR_STEP per decision made
        # there, PRIOR_SPAN in all. One undo nudges a rule down; it does not bury it.
        where = self.prior(ALL, folder)
        floor = p_rule - min(self.PRIOR_SPAN, self.PRIOR_STEP * where.rejects)
        ceiling = p_rule + min(self.PRIOR_SPAN, self.PRIOR_STEP * where.accepts)
        return min(max(learned, floor, 0.01), ceiling, 0.99)

    def _note_confidence(self, code: str, confidence: float) -> None:
        if self._confidence.get(code) != confidence:
            self._confidence[code] = confidence
            self._fitted = False

    # --- hiding -----------------------------------------------------------------------------

    def hidden_reason(self, suggestion: Suggestion, latest: dict[str, Decision] | None = None) -> str:
        """Why a suggestion is hidden from the list ('' when it is shown): see decide.visibility."""
        latest = self.store.latest_decisions() if latest is None else latest
        return visibility.hidden_reason(suggestion, latest.get(suggestion.fingerprint), self.clock())

    # --- scoring ----------------------------------------------------------------------------

    # How far learning may move P(accept) from the rule's declared confidence: at most
    # PRIOR_STEP per (weighted) decision on the rule or in its folder, PRIOR_SPAN in all.
    PRIOR_STEP = 0.1
    PRIOR_SPAN = 0.85
    REPEAT_CAP = 1.0  # per kind of repeat (rule, folder): at most this much down

    def score(self, s: Suggestion) -> tuple[float, tuple[ScoreTerm, ...]]:
        """The score of one suggestion and the terms it is made of (they add up to it exactly).

        Inside its band a suggestion is worth ``benefit * P(accept) - (1 - P(accept)) * cost``:
        the evidence terms add up on an open scale and are squashed into ``benefit`` in (0, 2)
        (strong evidence can double a suggestion's worth but never outweigh what the user
        wants), and the cost of reading a suggestion the user then rejects keeps a big but
        unwanted one below a modest, wanted one. The ``prior`` term is what the learned
        P(accept) makes of the evidence: that worth minus the evidence terms' sum.
        """
        base, band = band_of(s.category)
        evidence = [self._impact(s), self._validation(s), self._speedup(s), self._risk(s)]
        raw = _total(evidence)
        benefit = 1.0 + math.tanh(raw - 0.5)
        p = self.acceptance(s.code, s.path, s.confidence)
        worth = benefit * p - (1.0 - p) * self.REJECT_COST
        terms = (
            ScoreTerm("band", base, f"a {band} finding"),
            *evidence,
            ScoreTerm("prior", round(worth - raw, 4), self._prior_words(s, p)),
        )
        return _total(terms), terms

    def rank(
        self,
        suggestions: Iterable[Suggestion],
        include_failed: bool = False,
        include_hidden: bool = False,
    ) -> list[Suggestion]:
        """Score, filter and sort: rejected and (unless asked) failed suggestions are left out."""
        with self._lock:
            return self._rank(suggestions, include_failed, include_hidden)

    def _rank(self, suggestions: Iterable[Suggestion], include_failed: bool, include_hidden: bool) -> list[Suggestion]:
        self.sync()
        suggestions = self._with_runtime_evidence(list(suggestions))
        for s in suggestions:
            self._note_confidence(s.code, s.confidence)
        latest = self.store.latest_decisions()
        out: list[Suggestion] = []
        for s in suggestions:
            why = self.hidden_reason(s, latest)
            if why and not include_hidden and not (include_failed and why == "failed validation"):
                continue
            score, terms = self.score(s)
            out.append(s.replace(score=score, score_breakdown=terms))
        out.sort(key=lambda s: (-s.score, s.path, s.line, s.code))
        return self._spread_untried(out)

    def scored(self, suggestions: Sequence[Suggestion]) -> list[Suggestion]:
        """``suggestions`` in their own order, each with the score the ranked list gives it
        (``kaizen scan --format json`` carries the same score as ``kaizen suggest``): the
        open ones are ranked together, as the list ranks them; a hidden one is scored on its
        own."""
        with self._lock:
            ranked = {s.fingerprint: s for s in self._rank(suggestions, False, False)}
            rest = [s for s in suggestions if s.fingerprint not in ranked]
            if rest:
                ranked.update((s.fingerprint, s) for s in self._rank(rest, True, True))
        return [ranked.get(s.fingerprint, s) for s in suggestions]

    def _with_runtime_evidence(self, suggestions: list[Suggestion]) -> list[Suggestion]:
        """Attach the latest trace's figures for the code each suggestion touches."""
        traces = TraceStore(self.store)
        latest = traces.latest()
        if latest is None:
            return suggestions
        todo = [s for s in suggestions if (s.evidence or {}).get("runtime", {}).get("trace_id") != latest.id]
        if not todo:
            return suggestions
        done = {s.fingerprint: s for s in attach_evidence(todo, traces)}
        return [done.get(s.fingerprint, s) for s in suggestions]

    def _spread_untried(self, ranked: list[Suggestion]) -> list[Suggestion]:
        """Let a rule the user has hardly judged (or a folder whose verdict is open) put one
        suggestion near the top, not ten.

        Their prior is a guess: one suggestion asks the question, the next ones wait for the
        answer instead of filling the list.
        """
        seen: dict[str, int] = {}
        changed = False
        out: list[Suggestion] = []
        for s in ranked:
            terms: list[ScoreTerm] = []
            if self.prior(s.code, ALL).n < self.UNTRIED_DECISIONS:
                i = seen.get(s.code, 0)
                seen[s.code] = i + 1
                if i:
                    words = f"{ordinal(i + 1)} of the {s.code} suggestions, a rule you have hardly judged yet"
                    terms.append(ScoreTerm("repeat", -min(self.REPEAT_CAP, self.UNTRIED_REPEAT * i), words))
            folder = folder_of(s.path)
            # One decision is no verdict on a folder: the spread starts from the second.
            if self.prior(ALL, folder).n >= 2 and 0.2 <= self.folder_dislike(folder) <= 0.8:
                key = "\0" + folder
                i = seen.get(key, 0)
                seen[key] = i + 1
                if i:
                    where = "the project root" if folder == "." else f"{folder}/"
                    words = f"{ordinal(i + 1)} suggestion in {where}, where your preference is not clear yet"
                    terms.append(ScoreTerm("repeat", -min(self.REPEAT_CAP, self.UNTRIED_REPEAT * i), words))
            if terms:
                breakdown = (*s.score_breakdown, *terms)
                s = s.replace(score=_total(breakdown), score_breakdown=breakdown)
                changed = True
            out.append(s)
        if changed:
            out.sort(key=lambda s: (-s.score, s.path, s.line, s.code))
        return out

    def explain(self, s: Suggestion, position: int | None = None) -> str:
        """The rank in one sentence: 'ranked 3rd, a correctness finding: 41% of test time is in
        this function; validated by 2 tests; safe fix, 1 line changed; no decisions on KZ113 yet.'"""
        return explanation(s.score_breakdown or self.score(s)[1], position, s.score)

    # --- terms ------------------------------------------------------------------------------

    def _impact(self, s: Suggestion) -> ScoreTerm:
        ev = dict(s.evidence or {})
        figures = ev.get("runtime")
        if isinstance(figures, dict):  # from the latest trace (suggestions.analyze.runtime)
            ev.update(figures)
        severity = _num(ev.get("severity"), 0.5)
        share = _share(ev)
        calls = _num(_first(ev, "calls", "call_count", "ncalls"), 0.0)
        exceptions = _num(_first(ev, "exceptions_raised", "exceptions", "exception_count", "raised"), 0.0)
        runtime = min(1.0, 1.6 * math.sqrt(share)) if share > 0 else 0.0
        runtime += min(0.3, 0.08 * math.log10(1 + calls))
        runtime += min(0.5, 0.25 * math.log10(1 + exceptions) + (0.15 if exceptions else 0.0))
        value = 0.5 * severity + runtime
        words: list[str] = []
        if share > 0:
            scope = "test time" if ev.get("workload", "tests") == "tests" else "run time"
            words.append(f"{share:.0%} of {scope} is in this function")
        if calls >= 1:
            words.append("called once" if int(calls) == 1 else f"called {int(calls):,} times")
        if exceptions >= 1:
            words.append(f"raised {int(exceptions):,} exception{'s' if exceptions != 1 else ''}")
        if ev.get("executed") is False and "trace_id" in ev:
            # The latest trace never ran this code: a performance fix here buys nothing measured.
            if s.category == "performance":
                value -= 0.2
            words.append("never ran in the latest trace")
        if not words:
            level = "high" if severity >= 0.7 else "low" if severity < 0.4 else "medium"
            words.append(f"{level} static severity (no runtime evidence)")
        return ScoreTerm("impact", round(value, 4), ", ".join(words))

    def _validation(self, s: Suggestion) -> ScoreTerm:
        v = s.validation
        stale = (
            v.done and s.patch is not None and bool(v.base_hash) and v.base_hash != s.patch.base_hash
        )
        if stale:
            return ScoreTerm("validation", 0.0, "validated against older code (to re-check)")
        grade = v.strength.grade if v.strength is not None else None
        if v.status is ValidationStatus.UNVERIFIED or grade is Grade.UNVERIFIED:
            return ScoreTerm("validation", -0.1, "tests passed but none ran the changed lines (unverified)")
        if v.status is ValidationStatus.PASSED:
            n = len(v.tests_run)
            tests = f" by {n} test{'s' if n != 1 else ''}" if n else ""
            if grade is Grade.PROVEN:
                return ScoreTerm("validation", 0.6, f"proven{tests} (every changed line ran, mutants or replays checked)")
            return ScoreTerm("validation", 0.45, f"validated{tests}")
        if v.status is ValidationStatus.FAILED:
            failed = f" ({len(v.failed_tests)} failing)" if v.failed_tests else ""
            return ScoreTerm("validation", -0.8, f"failed validation{failed}")
        if v.status is ValidationStatus.ERROR:
            return ScoreTerm("validation", -0.25, "validation could not run")
        if v.status is ValidationStatus.SKIPPED:
            return ScoreTerm("validation", 0.0, "no tests to validate against")
        if s.patch is None:
            return ScoreTerm("validation", 0.0, "")
        return ScoreTerm("validation", 0.0, "not validated yet")

    def _speedup(self, s: Suggestion) -> ScoreTerm:
        sp = s.validation.speedup
        if sp is None or s.validation.status is not ValidationStatus.PASSED:
            return ScoreTerm("speedup", 0.0, "")
        if sp <= 1.0:
            return ScoreTerm("speedup", -0.1, f"no measured speed-up ({sp:.2f}{TIMES})")
        return ScoreTerm("speedup", round(min(0.8, 0.6 * math.log2(sp)), 4), f"{sp:.1f}{TIMES} faster")

    def _risk(self, s: Suggestion) -> ScoreTerm:
        lines = _diff_lines(s.diff)
        size = -min(0.4, 0.015 * max(0, lines - 2))
        if s.applicability is Applicability.SAFE:
            base, word = 0.15, "safe fix"
        elif s.applicability is Applicability.UNSAFE:
            base, word = -0.15, "fix may change behaviour"
        else:
            base, word = -0.05, "advice, no automatic fix"
        if lines:
            word += f", {lines} line{'s' if lines != 1 else ''} changed"
        return ScoreTerm("risk", round(base + size, 4), word)

    def _prior_words(self, s: Suggestion, p: float) -> str:
        rule = self.prior(s.code, ALL)
        cell = self.prior(s.code, folder_of(s.path))
        folder = folder_of(s.path)
        bits = []
        if rule.n >= 0.99:
            bits.append(f"you accepted {_count(rule.accepts)} of {_count(rule.n)} {s.code} suggestions")
        if cell.n >= 0.99 and cell.n < rule.n:
            where = "the project root" if folder == "." else f"{folder}/"
            bits.append(f"{_count(cell.accepts)} of {_count(cell.n)} in {where}")
        d = self.folder_dislike(folder)
        if d >= 0.5:
            f = self.prior(ALL, folder)
            where = "the project root" if folder == "." else f"{folder}/"
            bits.append(f"you rejected {_count(f.rejects)} of {_count(f.n)} changes in {where}")
        if not bits:
            return f"no decisions on {s.code} yet (prior {p:.0%})"
        return "; ".join(bits)

    # --- rejection reasons ------------------------------------------------------------------

    def reject(
        self,
        suggestion: Suggestion,
        reason: str = "",
        *,
        actor: str = "user",
        root: Path | None = None,
    ) -> Decision:
        """Record a rejection and carry out what its reason asks (config edits for 'never').

        Raises:
            ConfigError: a 'never' reason could not be written to the settings (nothing is
                recorded then; the file is left as it was).
        """
        kind = RejectReason.parse(reason) or reason
        root = Path(root) if root is not None else self.store.root
        try:
            if kind == RejectReason.NEVER_RULE:
                self.config_edit = add_ignore(root, suggestion.code)
            elif kind == RejectReason.NEVER_FOLDER:
                self.config_edit = add_per_file_ignore(root, folder_pattern(suggestion.path), suggestion.code)
        except ValueError as exc:  # the settings file is broken or could not take the entry
            raise ConfigError(f"not rejected: {exc}") from None
        decision = Decision(
            suggestion.fingerprint,
            DecisionAction.REJECT,
            actor,
            self.clock(),
            kind,
            suggestion.code,
            suggestion.path,
        )
        self.record(decision)
        return decision


def _total(terms: Iterable[ScoreTerm]) -> float:
    """The score: the terms' values added in order (so a breakdown re-adds to it exactly)."""
    total = 0.0
    for t in terms:
        total += t.value
    return total


def explanation(terms: Sequence[ScoreTerm], position: int | None = None, score: float | None = None) -> str:
    """One sentence for a breakdown: where it ranks, its band, then each term's words."""
    band = next((t.explanation for t in terms if t.name == "band"), "")
    head = f"ranked {ordinal(position)}" if position else (f"score {score:.2f}" if score is not None else "unranked")
    if band:
        head += f", {band}"
    parts = [t.explanation for t in terms if t.explanation and t.name != "band"]
    return head + (": " + "; ".join(parts) if parts else "") + "."


def _delta(action: DecisionAction, reason: str) -> tuple[float, float] | None:
    if action in (DecisionAction.ACCEPT, DecisionAction.AUTO_APPLIED):
        return (1.0, 0.0)
    if action is DecisionAction.REJECT:
        return (0.0, _WEIGHTS.get(RejectReason.parse(reason), 1.0))
    if action is DecisionAction.UNDONE:
        return (0.0, UNDO_WEIGHT)
    return None


def _count(x: float) -> str:
    return str(round(x)) if abs(x - round(x)) < 0.05 else f"{x:.1f}"


def _num(value: Any, default: float) -> float:
    if isinstance(value, bool) or value is None:
        return default
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return default


def _first(ev: Any, *keys: str) -> Any:
    for k in keys:
        if k in ev:
            return ev[k]
    return None


def _share(ev: Any) -> float:
    raw = _first(ev, "time_share", "share", "share_of_time", "total_share", "own_share", "percent")
    value = _num(raw, 0.0)
    if value > 1.0:  # a percentage
        value /= 100.0
    return min(max(value, 0.0), 1.0)


def _diff_lines(diff: str) -> int:
    """Lines changed: the larger of lines removed and lines added."""
    removed = added = 0
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            continue
        if line.startswith("-"):
            removed += 1
        elif line.startswith("+"):
            added += 1
    return max(removed, added)


# --- writing ignores into the config (analysis/settings_edit.py edits the file) ---------------


def folder_pattern(path: str) -> str:
    """The per-file-ignores glob for the folder holding ``path`` (the file itself at the root)."""
    folder = folder_of(path)
    return path if folder == "." else f"{folder}/**"
