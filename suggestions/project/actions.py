"""What a user can do to a project, once, for every front end.

``kaizen <command>`` and the window call the same :class:`Project` methods: accept (the
validation gate, the patcher, the audit log, git, re-analysis), reject with a reason, undo,
re-validate, trace, ask the LLM, preview the policy, pause and resume. Front ends parse
arguments or clicks and show results; nothing else in them writes to the store, the patcher
or the ranker. Whether a suggestion is open is :mod:`suggestions.decide.visibility`'s call.

Re-analysis after a change always goes through the project service, so the cross-file pass
(duplicate blocks, KZ705) sees the patched file like every other change. What the actions
return is in :mod:`suggestions.project.results`. The stages are imported where an action
needs them: `kaizen pause` should not pay for loading the validator and the LLM client.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.config import Config, ConfigError, load_config
from suggestions.decide import visibility
from suggestions.decide.visibility import REJECT_CHOICES, RejectReason, Visibility
from suggestions.model import Decision, Suggestion, ValidationStatus
from suggestions.project.results import (
    Accepted,
    Acknowledged,
    ActionError,
    DiffValidated,
    ListDelta,
    PauseChange,
    PolicyPreview,
    Rejected,
    Traced,
    TrustNeeded,
    Undone,
    reject_kind,
)
from suggestions.store import Store

if TYPE_CHECKING:
    from suggestions.project.events import ServiceEvent
    from suggestions.project.service import ProjectService
    from suggestions.rank.ranking import Ranker

__all__ = [
    "REJECT_CHOICES",
    "Accepted",
    "ActionError",
    "DiffValidated",
    "ListDelta",
    "PauseChange",
    "PolicyPreview",
    "Project",
    "Rejected",
    "Traced",
    "TrustNeeded",
    "Undone",
]


class Project:
    """One project's use cases over its store and service. Thread-safe enough for a window:
    each action runs on one worker thread; the service serialises analysis.

    Args:
        root: the project folder.
        service: an open service to use (the window's); default: one opened on first need.
        store: the store (default: the service's, else ``<root>/.kaizen/kaizen.db``).
        config: settings (default: the service's, else read from the project).
        clock: the time for visibility (not-now expiry) and decisions.
        open_service: open a service on first need (the CLI); False: a front end attaches
            its own (:meth:`attach`), and until then changes are re-analysed into the store.
    """

    def __init__(
        self,
        root: Path | str,
        *,
        service: ProjectService | None = None,
        store: Store | None = None,
        config: Config | None = None,
        jobs: int | None = None,
        clock: Callable[[], float] = time.time,
        open_service: bool = True,
    ) -> None:
        self.root = Path(root).resolve()
        self._service = service
        self._own_service = False
        self.store = store if store is not None else (service.store if service is not None else Store(self.root))
        self._own_store = store is None and service is None
        self._config = config
        self.jobs = jobs
        self.clock = clock
        self._open_service = open_service
        self._ranker: Ranker | None = None
        self.applier: Any = None
        self._lock = threading.RLock()

    # --- plumbing ---------------------------------------------------------------------------

    @property
    def config(self) -> Config:
        if self._service is not None:
            return self._service.config
        if self._config is None:
            self._config = load_config(self.root)
        return self._config

    @config.setter
    def config(self, value: Config) -> None:
        self._config = value

    @property
    def service(self) -> ProjectService:
        """The project's service, brought up to date (a warm start) on first use."""
        with self._lock:
            if self._service is None:
                from suggestions.project.service import ProjectService

                svc = ProjectService(self.root, store=self.store, jobs=self.jobs)
                try:
                    svc.open()
                except BaseException:
                    svc.stop()
                    raise
                self._service, self._own_service = svc, True
            return self._service

    def attach(self, service: ProjectService) -> None:
        """Use ``service`` (the window's, once it opened) from now on."""
        with self._lock:
            self._service = service

    @property
    def ranker(self) -> Ranker:
        with self._lock:
            if self._ranker is None:
                from suggestions.rank.ranking import Ranker

                self._ranker = Ranker(self.store, clock=self.clock)
            return self._ranker

    def close(self) -> None:
        if self.applier is not None:
            self.applier.close()
        if self._own_service and self._service is not None:
            self._service.close()
        elif self._own_store:
            self.store.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading ----------------------------------------------------------------------------

    def find(self, handles: Sequence[str]) -> list[Suggestion]:
        """The stored suggestions named by ids (fingerprint prefixes of 4+ characters)."""
        found: list[Suggestion] = []
        for handle in handles:
            h = handle.strip().lower()
            if len(h) < 4:
                raise ActionError(f"{handle!r}: give at least 4 characters of a suggestion id")
            s = self.store.suggestion(h)
            if s is None:
                n = len(self.store.execute("SELECT 1 FROM suggestions WHERE fingerprint LIKE ? LIMIT 2", (h + "%",)))
                if n > 1:
                    raise ActionError(f"{handle!r} matches several suggestions; give more characters")
                raise ActionError(f"no suggestion with id {handle!r} (run `kaizen scan` or `kaizen suggest` first)")
            if all(f.fingerprint != s.fingerprint for f in found):
                found.append(s)
        return found

    def visibility(self, s: Suggestion, latest: Mapping[str, Decision] | None = None) -> Visibility:
        latest = self.store.latest_decisions() if latest is None else latest
        return visibility.visibility(s, latest.get(s.fingerprint), self.clock())

    def reopens_in(self) -> float | None:
        """Seconds until a hidden suggestion opens again by itself (a "not now" expiring)."""
        return visibility.next_reopening(self.store.latest_decisions(), self.clock())

    def listing(self, *, include_hidden: bool = False, include_failed: bool = False,
                extra: Iterable[Suggestion] = ()) -> list[Suggestion]:
        """The open suggestions, ranked (``include_hidden``: every one, hidden ones marked by
        :meth:`visibility`). ``extra``: candidates not stored yet (an LLM's), merged in."""
        stored = (self.service.suggestions(include_rejected=True) if self.has_service
                  else self.store.suggestions())
        items = {s.fingerprint: s for s in stored}
        for s in extra:
            items[s.fingerprint] = s
        return self.ranker.rank(list(items.values()), include_failed=include_failed,
                                include_hidden=include_hidden)

    def delta(self, event: ServiceEvent, known: Mapping[str, Suggestion]) -> ListDelta:
        """What a service event changes in a list that holds ``known``: hidden ones leave it,
        new and changed open ones are scored (their place is by score; no full re-rank)."""
        latest = self.store.latest_decisions()
        out = ListDelta()
        gone = {s.fingerprint for s in event.removed}
        fresh: list[Suggestion] = []
        for s in (*event.added, *event.updated):
            if s.fingerprint in gone:
                continue
            if self.visibility(s, latest).open:
                fresh.append(s)
            elif s.fingerprint in known:
                gone.add(s.fingerprint)
        scored = self.ranker.rank(fresh, include_hidden=True) if fresh else []
        for s in scored:
            (out.updated if s.fingerprint in known else out.added).append(s)
        out.removed = sorted(fp for fp in gone if fp in known)
        return out

    # --- changing the project ---------------------------------------------------------------

    @property
    def has_service(self) -> bool:
        return self._service is not None or self._open_service

    def reanalyse(self, paths: Iterable[str]) -> ServiceEvent | None:
        """Re-analyse ``paths`` after Kaizen changed them (the same path a saved file takes)."""
        paths = sorted(set(paths))
        if not paths:
            return None
        if self.has_service:
            return self.service.handle_paths(paths)
        self._store_rescan(paths)  # a window whose service is still opening
        return None

    def rescan(self, paths: Iterable[str] | None = None, *, progress: Callable[..., Any] | None = None) -> None:
        """Analyse the project (or ``paths``) again, as the window's Rescan button asks."""
        if self.has_service:
            if paths is None:
                self.service.reload()
            else:
                self.service.handle_paths(list(paths))
            return
        self._store_rescan(None if paths is None else list(paths), progress)

    def scan(self, jobs: int | None = None, *, warm_ok: bool = True) -> Any:
        """`kaizen scan`: the whole project, kept in ``.kaizen/`` (a ScanResult, written in
        batches while the workers go on)."""
        from suggestions.project.scanning import scan_stored

        return scan_stored(self.root, self.config, jobs, warm_ok=warm_ok)

    def _store_rescan(self, paths: list[str] | None, progress: Callable[..., Any] | None = None) -> None:
        from suggestions.analyze.scan import scan_project

        rels = None if paths is None else [p for p in (self._relative(p) for p in paths) if p]
        options: dict[str, Any] = {} if progress is None else {"progress": progress}
        res = scan_project(self.root, self.config, jobs=1, only=rels, **options)
        done = [f.path for f in res.files] if rels is None else rels
        self.store.update_files([f.record for f in res.files if f.record is not None],
                                {f.path: f.symbols for f in res.files if f.record is not None},
                                dict(res.skipped))
        self.store.replace_suggestions(done, res.suggestions)

    def _relative(self, path: str) -> str:
        p = Path(path)
        if p.is_absolute():
            try:
                return p.relative_to(self.root).as_posix()
            except ValueError:
                return ""
        return p.as_posix()

    def accept(self, items: Sequence[Suggestion], *, force: bool = False, reason: str = "",
               actor: str = "user") -> Accepted:
        """Apply suggestions (one or a batch): atomic per file, audited, committed to git when
        configured, then re-analysed.

        Raises:
            ActionError: one is advice only, or failed validation and ``force`` is not given
                (nothing is applied then).
        """
        advice = [s.id for s in items if s.patch is None or not s.patch.edits]
        if advice:
            raise ActionError(f"{', '.join(advice)}: advice only, no fix to apply (`kaizen show` says what to do)")
        fresh = [self._latest_validation(s) for s in items]
        failed = [s for s in fresh if s.validation.status is ValidationStatus.FAILED]
        if failed and not force:
            names = ", ".join(f"{s.id} ({', '.join(s.validation.failed_tests) or 'failed'})" for s in failed)
            raise ActionError(f"validation failed for {names}; use --force to apply anyway")
        from suggestions.apply.patcher import apply_suggestions

        result = apply_suggestions(self.root, self.store, fresh, actor=actor, reason=reason, config=self.config)
        event = self.reanalyse([*result.paths, *result.stale_paths])
        return Accepted(result, event)

    def apply_all_safe(self, file: str | None = None, *, rounds: int | None = None, reason: str = "",
                       actor: str = "user") -> Any:
        """Apply every open SAFE fix (of ``file``, or everywhere), re-analyse, and again until
        none is left (bounded rounds), as one audit batch that one undo takes back: an
        :class:`~suggestions.project.converge.AllSafe`."""
        from suggestions.project.converge import MAX_ROUNDS, apply_all_safe

        if file is not None:
            file = self._relative(file) or file
        return apply_all_safe(self, file, MAX_ROUNDS if rounds is None else rounds, reason=reason, actor=actor)

    def _latest_validation(self, s: Suggestion) -> Suggestion:
        """``s`` with the validation stored for its patch since (a list may show an older one)."""
        stored = self.store.suggestion(s.fingerprint)
        if stored is not None and stored.patch == s.patch and stored.validation != s.validation:
            return s.replace(validation=stored.validation)
        return s

    def reject(self, items: Sequence[Suggestion], reason: str = "", *, actor: str = "user") -> Rejected:
        """Record rejections; a "never" reason also writes the project's settings (and the
        analysis follows them).

        Raises:
            ConfigError: a "never" reason could not be written (that one is not recorded).
        """
        kind = reject_kind(reason)
        ranker = self.ranker
        decisions = [ranker.reject(s, kind, actor=actor, root=self.root) for s in items]
        edit = ranker.config_edit if kind in (RejectReason.NEVER_FOLDER, RejectReason.NEVER_RULE) else None
        if edit is not None:
            self.settings_changed(edit)
        return Rejected(decisions, edit)

    def settings_changed(self, path: Path | None = None) -> ServiceEvent | None:
        """The settings file changed: the service reloads them and re-analyses what they touch."""
        self._config = None
        return self.reanalyse([str(path or self.config.path or self.root / "kaizen.toml")])

    def undo(self, handles: Sequence[str] | None = None, last: int | None = None, *, reason: str = "",
             actor: str = "user") -> Undone:
        """Take back applied changes (by suggestion id or audit entry, or the last N), then re-analyse."""
        from suggestions.apply.patcher import undo

        if handles and last is not None:
            raise ActionError("give IDs or --last N, not both")
        if last is not None and last < 1:
            raise ActionError("--last must be at least 1")
        result = undo(self.root, self.store, entry_ids=list(handles) if handles else None,
                      last=None if handles else (last or 1), actor=actor, reason=reason, config=self.config)
        event = self.reanalyse(result.paths)
        return Undone(result, event)

    def revalidate(self, items: Sequence[Suggestion], *, progress: Callable[..., Any] | None = None,
                   cancel: Callable[[], bool] | None = None) -> list[Suggestion]:
        """Validate again from scratch (the results are stored on the suggestions)."""
        todo = [s.replace(validation=type(s.validation)()) for s in items if s.patch is not None and s.patch.edits]
        return self.validate(todo, progress=progress, cancel=cancel)

    def unvalidated(self, ranked: Sequence[Suggestion], limit: int) -> list[Suggestion]:
        """The best ``limit`` fixes with no current validation (what ``suggest --validate`` checks)."""
        return [
            s for s in ranked
            if s.patch is not None and s.patch.edits
            and (s.validation.status is ValidationStatus.PENDING or s.validation.base_hash != s.patch.base_hash)
        ][:limit]

    def validate(self, items: Sequence[Suggestion], *, progress: Callable[..., Any] | None = None,
                 cancel: Callable[[], bool] | None = None) -> list[Suggestion]:
        """Validate in sandboxes (results stored on the suggestions); returns them validated."""
        if not items:
            return []
        from suggestions.validate.validator import Validator

        v = Validator(self.root, self.config, self.store)
        try:
            return list(v.validate(list(items), progress=progress, cancel=cancel))
        finally:
            v.close()

    def validate_diff(self, diff: str | bytes | None = None, *, category: str = "",
                      cancel: Callable[[], bool] | None = None) -> DiffValidated:
        """Validate a unified diff in sandboxes, with the same evidence and grade as a
        suggestion; the project's files are only read. ``None``: the working tree's
        uncommitted changes to tracked files (``git diff HEAD``). ``category``
        "performance": the change claims a speed-up, and is timed.

        Raises:
            ActionError: not a git repository, nothing changed, garbage, a binary change, a
                path outside the project, a hunk that does not apply (one sentence).
        """
        from suggestions.validate.diffparse import DiffError, parse_diff, to_changes
        from suggestions.validate.validator import Validator
        from suggestions.validate.worktree import base_pool, git_diff, head_files

        try:
            if diff is None:
                raw, source = git_diff(self.root), "the working tree's uncommitted changes (git diff HEAD)"
                files = parse_diff(raw)
                changes = to_changes(self.root, files, head_files(self.root, files))
            else:
                source = "the diff given"
                changes = to_changes(self.root, parse_diff(diff))
        except DiffError as exc:
            raise ActionError(str(exc)) from None
        gone = [c.path for c in changes if c.kind == "delete"]
        if gone:
            raise ActionError(f"{', '.join(gone)}: the diff deletes it; a deleted file cannot be validated "
                              "(commit the deletion first, or leave it out of the diff)")
        workers = int(self.config.get("validation.workers") or 0)
        with contextlib.ExitStack() as stack:
            pool = None
            if diff is None:  # the project holds the change already: sandboxes of HEAD's files
                base = {c.path: (c.base if c.kind != "new" else None) for c in changes}
                pool = stack.enter_context(base_pool(self.root, base, workers, cancel))
            validator = Validator(self.root, self.config, self.store, pool=pool)
            stack.callback(validator.close)
            validation = validator.validate_change([c.patch for c in changes], category=category, cancel=cancel)
        return DiffValidated(validation, tuple(changes), source)

    def trace(self, command: Sequence[str], *, timeout: float | None = None, lines: bool = True,
              **run_options: Any) -> Traced:
        """Run ``command`` under the collector, store the trace, refresh the runtime suggestions."""
        from analysis.trace_store import TraceStore
        from analysis.tracing import TraceError, run_traced
        from suggestions.analyze.runtime import refresh_runtime_suggestions

        config = self.config
        timeout = float(config.get("trace.timeout")) if timeout is None else timeout
        if timeout <= 0:
            raise ActionError("--timeout must be positive")
        try:
            result = run_traced(self.root, list(command), timeout=timeout, lines=lines,
                                type_samples=int(config.get("trace.type-samples")) or 1,
                                value_samples=int(config.get("trace.value-samples")),
                                value_max_bytes=int(config.get("trace.value-max-bytes")),
                                no_values=list(config.get("trace.no-values") or ()), **run_options)
        except TraceError as exc:
            raise ActionError(str(exc)) from None
        trace_id = TraceStore(self.store).add(result)
        runtime = refresh_runtime_suggestions(self.root, self.store)
        return Traced(result, trace_id, runtime)

    def trust_endpoint(self, confirmation: Any) -> Path:
        """Remember that this project's LLM endpoint may receive the user's key (outside the project)."""
        from suggestions.llm.trust import TrustStore

        trust = TrustStore()
        try:
            trust.trust(confirmation.project, confirmation.base_url)
        except OSError as exc:
            raise ActionError(f"cannot record the trusted endpoint in {trust.path}: {exc.strerror}") from None
        return Path(trust.path)

    def ask_llm(self, *, progress: Callable[[Any], None] | None = None, cancel: Any = None,
                asking: Callable[[str], None] | None = None,
                trust: bool = False) -> tuple[list[Suggestion], list[str]]:
        """Ask the configured LLM for candidates, validated; returns them and the engine's notes.
        ``asking`` hears which endpoint is asked, before the first request. ``trust``: the user
        confirms the project's endpoint now (a loopback one is otherwise asked without the key).

        Raises:
            TrustNeeded: the endpoint needs the user's confirmation first (:meth:`trust_endpoint`).
            ActionError: no LLM is available (why).
        """
        from suggestions.llm import LLMEngine
        from suggestions.validate.validator import Validator

        engine = LLMEngine(self.root, self.config, self.store)
        trusted: list[str] = []
        if trust and engine.confirmation is not None:
            path = self.trust_endpoint(engine.confirmation)
            trusted.append(f"{engine.confirmation.origin} is trusted for this project from now on (in {path})")
            engine.close()
            engine = LLMEngine(self.root, self.config, self.store)
        try:
            if engine.confirmation is not None and engine.endpoint is None:
                raise TrustNeeded(engine.confirmation)
            ok, why = engine.available()
            if not ok:
                raise ActionError(why)
            if asking is not None:
                asking(why)
            validator = Validator(self.root, self.config, self.store)
            try:
                options: dict[str, Any] = {"validator": validator}
                if progress is not None:
                    options["progress"] = progress
                if cancel is not None:
                    options["cancel"] = cancel
                found = list(engine.generate(**options))
            finally:
                validator.close()
            funnel = getattr(engine, "funnel", None)
            said = [funnel.describe()] if funnel is not None else []
            return found, [*trusted, *getattr(engine, "notes", []), *said]
        finally:
            engine.close()

    def llm_funnel(self) -> Any:
        """The latest LLM run's funnel (``suggestions.llm.funnel.Funnel``), or None."""
        from suggestions.llm.funnel import FunnelStore

        try:
            return FunnelStore(self.store).latest()
        except Exception:  # a store from a newer Kaizen, a locked database: no funnel shown
            return None

    def policy_preview(self, *, include_advice: bool = False) -> PolicyPreview:
        """What the auto-apply rules would apply now, once validated, or not (and why).

        Raises:
            ConfigError: the rules file is broken (nothing applies automatically then).
        """
        from suggestions.decide.policy import Policy, pause_state

        try:
            load_config(self.root)
        except ConfigError as exc:
            raise ConfigError(f"{exc} -- nothing is applied automatically until this is fixed") from None
        policy = Policy.load(self.root, self.store)
        items = self.service.suggestions()  # open by decision; the policy says what failed validation means
        if not include_advice:
            items = [s for s in items if s.patch is not None and s.patch.edits]
        rows = policy.preview(items)
        later = {s.fingerprint for s, v in rows
                 if not v.eligible and policy.evaluate(s, assume_validated=True).eligible}
        return PolicyPreview(policy, rows, later, pause_state(self.store), policy.applied_last_hour())

    def finish_interrupted(self) -> list[str]:
        """Log a change whose audit entry a dying process left unfinished; says what was done."""
        from suggestions.apply.patcher import finish_interrupted

        return list(finish_interrupted(self.root, self.store))

    def acknowledge_audit(self) -> Acknowledged:
        """The user accepts the audit log as it is now (after restoring or deleting .kaizen/)."""
        from suggestions.apply.audit import AuditLog, health

        log = AuditLog(self.store)
        before, problem = log.verify(), health(self.store)
        if before.ok and not problem:
            return Acknowledged(problem="", seq=None, after=before)
        seq, _digest = log.acknowledge()
        return Acknowledged(problem=problem or before.problem, seq=seq, after=log.verify())

    def pause(self, actor: str = "user") -> PauseChange:
        """Stop every automatic change (held across restarts)."""
        from suggestions.decide.policy import pause, pause_state

        before = pause_state(self.store)
        pause(self.store, actor=actor)
        return PauseChange(before, pause_state(self.store))

    def resume(self, actor: str = "user") -> PauseChange:
        """Let the auto-apply rules run again (the audit log may still refuse them: ``after.reason``)."""
        from suggestions.decide.policy import pause_state, resume

        before = pause_state(self.store)
        resume(self.store, actor=actor)
        return PauseChange(before, pause_state(self.store))

    def start_auto_apply(self, report: Callable[[str], None] | None = None,
                         on_applied: Callable[[Suggestion, str], None] | None = None) -> Any:
        """Let the auto-apply rules run after every batch of the service (and once now it is
        open); ``on_applied(suggestion, rule)`` hears each change they make. Returns the
        applier (``.close()`` stops it)."""
        from suggestions.project.autoapply import autoapply_hook

        applier = autoapply_hook(self.service, report=report)
        if on_applied is not None:
            one_pass = applier.run

            def run_and_tell() -> Any:
                out = one_pass()
                for s, rule in out.applied:
                    on_applied(s, rule)
                return out

            applier.run = run_and_tell  # type: ignore[method-assign]  # every caller goes through .run
        self.applier = applier
        return applier

    def run_auto_apply(self) -> Any:
        """One auto-apply pass now (after a resume or a rule change); None when not started."""
        applier = getattr(self, "applier", None)
        return applier.run() if applier is not None else None

    def paused(self) -> bool:
        from suggestions.decide.policy import is_paused

        return bool(is_paused(self.store))
