"""The GUI's adapter over the core: core events become Qt signals, clicks become actions.

Every user action is a :class:`suggestions.project.actions.Project` call (the same one the
CLI makes), run on the thread pool. The service's events arrive on its own threads, are
turned into a queued signal and debounced with a single-shot timer; a CHANGED event's
added / updated / removed suggestions are applied to the list as they are (scored, placed
by score). The whole list is re-read and re-ranked only when what ranking depends on
changed: a decision, a trace, the settings, a validation.
"""

from __future__ import annotations

import importlib
import shlex
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from analysis.config import Config, ConfigError, defaults, load_config
from suggestions.decide.visibility import REJECT_CHOICES
from suggestions.model import Suggestion
from suggestions.project.actions import ActionError, Project
from suggestions.report import grade_summary
from suggestions.store import Store
from ui.workers import Worker, run_in_background

__all__ = ["EDITOR_PRESETS", "REJECT_REASONS", "Session", "optional"]

#: The reject menu's labels, from the one declaration every front end uses.
REJECT_REASONS = tuple(label for _kind, label, _words in REJECT_CHOICES)

EDITOR_PRESETS = {
    "VS Code": "code -g {file}:{line}:{col}",
    "JetBrains": "idea --line {line} {file}",
    "$EDITOR": "$EDITOR +{line} {file}",
}

CORE_MODULES = (
    "suggestions.project.service", "suggestions.project.autoapply", "suggestions.rank.ranking", "suggestions.decide.policy", "suggestions.apply.patcher",
    "suggestions.apply.audit", "suggestions.validate.validator", "analysis.trace_store", "analysis.tracing",
    "suggestions.analyze.runtime", "suggestions.llm.engine",
)


def optional(module: str) -> Any | None:
    """A core module; on the GUI thread, None until :func:`preload` has imported it.

    Importing the core takes about a second; on the GUI thread that would freeze the
    window (or wait on the import lock of a worker that is importing it), so the GUI thread
    only uses modules already imported. Worker threads import what they need.
    """
    mod = sys.modules.get(module)
    if mod is None and threading.current_thread() is not threading.main_thread():
        mod = importlib.import_module(module)
    return mod


def preload() -> None:
    """Import the core modules (call off the GUI thread)."""
    for name in CORE_MODULES:
        optional(name)


class Session(QObject):
    """One open project."""

    # Python containers travel as `object`: a `list` signature would convert every element
    # to a QVariant and back, which costs real time for 10,000s of suggestions.
    changed = Signal(object, object, object)  # added, updated, removed fingerprints
    ranked = Signal(object)  # fingerprints in rank order
    files_changed = Signal(object)  # path -> open suggestions
    files_listed = Signal(object)  # every analysed file (the project tree)
    watching_changed = Signal(bool, str)
    busy_changed = Signal(str, int, int)  # task, done, total (total 0: indeterminate; "" done)
    reported = Signal(str)  # a sentence for the status bar
    failed = Signal(str)  # something went wrong or was refused: a sentence for the user
    auto_applied = Signal(object)  # the applied suggestion
    applied = Signal(object)  # suggestions applied by the user
    rejected = Signal(object)  # suggestions rejected by the user
    undone = Signal(object)  # paths restored
    validated = Signal(object)  # suggestions validated again
    paused_changed = Signal(bool)
    audit_changed = Signal()
    trace_changed = Signal()
    llm_answered = Signal(object)  # the LLM's validated candidates (a run's funnel is stored)
    opened = Signal()  # the first up-to-date list after the service opened
    core_loaded = Signal()  # the core modules are loaded (policy, ranking, audit...)
    refreshed = Signal()  # the list was brought up to date (a re-rank or a change set)
    _service_event = Signal(object)  # emitted from the service's threads
    _auto_applied_from_thread = Signal(object, str)
    _auto_report = Signal(str)

    def __init__(self, root: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.root = Path(root).resolve()
        self.config_error = ""
        self.config = self._load_config()
        self.store = Store(self.root)
        #: The use cases (the CLI's too); the service is attached once it opened.
        self.project = Project(self.root, store=self.store, config=self.config, open_service=False)
        self.service: Any = None
        self._known: dict[str, Suggestion] = {}
        self._order: list[str] = []
        self._refresh_lock = threading.Lock()
        self._refresh_again = False
        self._refresh_forced = False  # a queued refresh includes one that must run
        self._refreshing = False
        self._revision: Any = None  # the service revision the list was last built from
        self._workers: set[Worker] = set()
        self._pending_events: list[Any] = []  # CHANGED service events not yet in the list
        self._rerank_wanted = False
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(120)
        self._debounce.timeout.connect(self._on_debounced)
        self._reopen = QTimer(self)  # the next "not now" rejection's end (decide.visibility)
        self._reopen.setSingleShot(True)
        self._reopen.timeout.connect(self.refresh)
        self._service_event.connect(self._on_service_event)
        self._auto_applied_from_thread.connect(self._on_auto_applied)
        self._auto_report.connect(lambda msg: self.reported.emit(f"auto-apply: {msg}"))
        self.applier: Any = None
        self.watching = False
        self.closed = False
        self._hidden: set[str] = set()
        self._ready_sent = False
        self.jobs: int | None = None  # the service's worker processes (None: its default)
        self._scanned = False  # without a service: the first scan finished

    # --- opening ---------------------------------------------------------------------------

    def _load_config(self) -> Config:
        try:
            return load_config(self.root)
        except ConfigError as exc:
            self.config_error = str(exc)
            return Config(values=defaults(), path=None, project_root=self.root)

    def reload_config(self) -> None:
        self.config_error = ""
        self.config = self._load_config()
        self.project.config = self.config
        if self.config_error:
            self.failed.emit(self.config_error)
        if self.service is not None:
            path = self.settings_file()[0]
            # The service re-reads its settings when a batch names the settings file.
            self._run("Reloading settings", lambda w: self.project.settings_changed(path), lambda _r: self.refresh())

    def open(self, watch: bool = True) -> None:
        """Warm start from the store, then bring analysis up to date in the background."""
        if self.config_error:
            self.failed.emit(self.config_error)
        self.refresh()
        self._watch_after_open = watch

        def start(w: Worker) -> Any:
            preload()  # core imports take ~1 s: here, never on the GUI thread
            from suggestions.project.service import ProjectService

            # No explicit config: the service then reloads kaizen.toml when it changes.
            config = None if not self.config_error else self.config
            svc = ProjectService(self.root, config, store=self.store, jobs=self.jobs)
            self.project.attach(svc)
            self._attach_policy(svc)
            svc.subscribe(self._service_event.emit)
            svc.open()
            return svc

        self._run("Analysing project", start, self._service_ready)

    def _attach_policy(self, svc: Any) -> None:
        """Let the policy's auto-apply run after each batch (and once the project is open);
        each change it makes is signalled."""
        self.applier = self.project.start_auto_apply(
            report=self._auto_report.emit, on_applied=self._auto_applied_from_thread.emit)

    def run_auto_apply(self) -> None:
        """One auto-apply pass now (after a resume, or a rule change), off the GUI thread."""
        if self.applier is not None and not self.closed:
            self._run("Auto-apply", lambda w: self.project.run_auto_apply())

    def _on_auto_applied(self, s: Suggestion, rule: str) -> None:
        self.auto_applied.emit(s)
        self.audit_changed.emit()
        self.refresh()  # a decision: the ranking learned from it

    def _service_ready(self, svc: Any) -> None:
        self.core_loaded.emit()
        if svc is None:  # no project service in this build: scan into the store instead
            self.rescan()
            return
        if self.closed:
            svc.stop()
            return
        if self.config_error:
            pass
        elif svc.config is not None:
            self.config = svc.config
        self.service = svc
        self.refresh()
        if getattr(self, "_watch_after_open", False):
            self.set_watching(True)

    def rescan(self, paths: Iterable[str] | None = None) -> None:
        """Re-analyse the project (or ``paths``) and refresh the list."""
        only = list(paths) if paths is not None else None

        def job(w: Worker) -> None:
            self.project.rescan(only, progress=w.report)

        def scanned(_r: Any) -> None:
            self._scanned = True
            self.refresh()

        self._run("Scanning", job, scanned)

    def close(self) -> None:
        self.closed = True
        self._reopen.stop()
        for w in list(self._workers):
            w.cancel()
        if self.applier is not None:
            try:
                self.applier.close()
            except Exception:
                pass
        if self.service is not None:
            try:
                self.service.stop()
            except Exception:
                pass
        # The store stays open: auto-apply or validation threads may still be finishing, and
        # closing it under them would turn a clean stop into errors. It closes with the object.

    # --- watching --------------------------------------------------------------------------

    def set_watching(self, on: bool) -> None:
        if self.service is None:
            self.watching = False
            self.watching_changed.emit(False, "watching needs the project service")
            return
        try:
            if on:
                mode = self.service.start_watching()
                text = "watching for changes" + (" (polling)" if mode == "polling" else "")
            else:
                self.service.stop()
                text = "not watching"
            self.watching = on
            self.watching_changed.emit(on, text)
        except Exception as exc:
            self.watching = False
            self.watching_changed.emit(False, f"cannot watch: {exc}")

    def _on_service_event(self, event: Any) -> None:
        kind = str(getattr(event, "kind", ""))
        text = str(getattr(event, "message", "") or "")
        level = str(getattr(event, "level", "info"))
        if kind == "root-lost":
            self.watching = False
            self.watching_changed.emit(False, text or "project folder lost")
        if text and kind in ("status", "config", "root-lost", "error"):
            (self.failed if level == "error" else self.reported).emit(text)
        if kind == "status" and "polling" in text and self.watching:
            self.watching_changed.emit(True, text)
        if "paus" in kind or "resum" in kind:
            self.paused_changed.emit(self.paused())
        if kind == "changed":
            self._pending_events.append(event)  # a change set: applied as it is
        elif kind in ("opened", "config"):
            self._rerank_wanted = True  # new settings or a new start: what ranking reads changed
        else:
            return
        self._debounce.start()

    def _on_debounced(self) -> None:
        if self._rerank_wanted:
            self._rerank_wanted = False
            self._pending_events.clear()  # a full re-read includes them
            self.refresh(only_if_changed=True)
        else:
            self._apply_events()

    # --- the list --------------------------------------------------------------------------

    def current(self) -> list[Suggestion]:
        """The current suggestions in rank order (called off the GUI thread)."""
        if self.closed:
            return list(self._known.values())
        # Open or not is decide.visibility's call, as for `kaizen suggest`; ``_hidden`` only
        # bridges the moment between a reject click and its decision being stored.
        return [s for s in self.project.listing() if s.fingerprint not in self._hidden]

    def refresh(self, only_if_changed: bool = False) -> None:
        """Recompute the change set in the background; coalesces overlapping requests.

        ``only_if_changed`` (refreshes that service events ask for) skips the work when the
        service's revision is the one the list was last built from: re-ranking 15,000
        suggestions on a worker thread competes with the window for the GIL, and a repaint
        then waits hundreds of milliseconds (bench/ui_bench.py) for a list that is the same.
        """
        if self._refreshing:
            self._refresh_again = True
            self._refresh_forced |= not only_if_changed
            return
        self._refreshing = True
        known = dict(self._known)

        def job(w: Worker) -> Any:
            svc = self.service
            revision = svc.revision() if svc is not None else None
            if only_if_changed and revision is not None and revision == self._revision:
                return None
            items = self.current()
            now = {s.fingerprint: s for s in items}
            added = [s for fp, s in now.items() if fp not in known]
            updated = [s for fp, s in now.items() if fp in known and known[fp] != s]
            removed = [fp for fp in known if fp not in now]
            counts: dict[str, int] = {}
            for s in items:
                counts[s.path] = counts.get(s.path, 0) + 1
            if self.service is not None:
                files = sorted(self.service.files())
            else:
                files = [r.path for r in self.store.files()]
            reopens = self.project.reopens_in()
            return added, updated, removed, [s.fingerprint for s in items], counts, files, revision, reopens

        def done(res: Any) -> None:
            if res is None:  # nothing changed since the last list
                self.refreshed.emit()
                return
            added, updated, removed, order, counts, files, self._revision, reopens = res
            self._arm_reopening(reopens)
            big = len(files) > 400
            if files and not big:
                self.files_listed.emit(files)
            for fp in removed:
                self._known.pop(fp, None)
            for s in (*added, *updated):
                self._known[s.fingerprint] = s
            self._order = order
            if added or updated or removed:
                self.changed.emit(added, updated, removed)
            self.ranked.emit(order)
            if big:
                # A large project: the tree and its badges on later turns of the event loop,
                # so no single turn holds the window for long.
                QTimer.singleShot(0, self._guard(lambda: self.files_listed.emit(files)))
                QTimer.singleShot(0, self._guard(lambda: self.files_changed.emit(counts)))
            else:
                self.files_changed.emit(counts)
            if (self.service is not None or self._scanned) and not self._ready_sent:
                self._ready_sent = True
                self.opened.emit()
            self.refreshed.emit()

        def finished() -> None:
            self._workers.discard(w)
            self._refreshing = False
            self._next()

        w = run_in_background(job, on_result=self._guard(done), on_error=self._guard(self.failed.emit),
                              on_finished=self._guard(finished))
        self._workers.add(w)

    def _arm_reopening(self, seconds: float | None) -> None:
        """A "not now" rejection expires with no event to say so: re-read the list then."""
        self._reopen.stop()
        if seconds is not None:
            self._reopen.start(int(min(seconds + 1.0, 7 * 24 * 3600.0) * 1000))

    def _next(self) -> None:
        """After a refresh or a change set: what waited for it."""
        if self._refresh_again:
            self._refresh_again = False
            forced, self._refresh_forced = self._refresh_forced, False
            self.refresh(only_if_changed=not forced)
        elif self._pending_events:
            self._apply_events()

    def _apply_events(self) -> None:
        """Apply the service's change sets to the list: hidden ones leave it, new and changed
        open ones are scored and placed by score (no re-read, no re-rank of the rest)."""
        if self._refreshing or not self._pending_events:
            return  # the running job's end calls _next
        if self.service is None:
            self._pending_events.clear()
            self.refresh(only_if_changed=True)
            return
        events, self._pending_events = self._pending_events, []
        self._refreshing = True
        known = dict(self._known)
        project, svc = self.project, self.service

        def job(w: Worker) -> Any:
            now = dict(known)
            for event in events:
                d = project.delta(event, now)
                for fp in d.removed:
                    now.pop(fp, None)
                for s in (*d.added, *d.updated):
                    now[s.fingerprint] = s
            added = [s for fp, s in now.items() if fp not in known]
            updated = [s for fp, s in now.items() if fp in known and known[fp] != s]
            removed = [fp for fp in known if fp not in now]
            counts: dict[str, int] = {}
            for s in now.values():
                counts[s.path] = counts.get(s.path, 0) + 1
            files = sorted(svc.files()) if any(e.files_changed or e.files_removed for e in events) else None
            return added, updated, removed, counts, files, svc.revision()

        def done(res: Any) -> None:
            added, updated, removed, counts, files, self._revision = res
            if files is not None:
                self.files_listed.emit(files)
            gone = set(removed) | {s.fingerprint for s in (*added, *updated)}
            for fp in removed:
                self._known.pop(fp, None)
            order = [fp for fp in self._order if fp not in gone]
            for s in (*added, *updated):
                self._known[s.fingerprint] = s
                _place(order, self._known, s)
            self._order = order
            if added or updated or removed:
                self.changed.emit(added, updated, removed)
                self.ranked.emit(order)
            self.files_changed.emit(counts)
            self.refreshed.emit()

        def finished() -> None:
            self._workers.discard(w)
            self._refreshing = False
            self._next()

        w = run_in_background(job, on_result=self._guard(done), on_error=self._guard(self.failed.emit),
                              on_finished=self._guard(finished))
        self._workers.add(w)

    def suggestion(self, fingerprint: str) -> Suggestion | None:
        return self._known.get(fingerprint)

    # --- actions ---------------------------------------------------------------------------

    def accept(self, suggestions: list[Suggestion], *, force: bool = False) -> None:
        """Apply (a batch) through the core's accept: the validation gate, the patcher, the
        audit log, git, re-analysis -- what `kaizen apply` does."""
        items = [s for s in suggestions if s.patch is not None]
        if not items:
            self.reported.emit("Nothing to apply: these suggestions are advice without a fix.")
            return

        def job(w: Worker) -> Any:
            return self.project.accept(items, force=force).result

        def done(result: Any) -> None:
            applied, refused = list(result.applied), list(result.refused)
            self.applied.emit(applied)
            self.audit_changed.emit()
            n = len(applied)
            msg = f"Applied {n} change{'s' if n != 1 else ''}"
            if applied:
                msg += " to " + ", ".join(sorted({s.path for s in applied}))
            if refused:
                msg += "; not applied: " + "; ".join(f"{r.path}: {r.reason}" for r in refused[:3])
                self.failed.emit(msg)
            else:
                self.reported.emit(msg)
            self.refresh()  # decisions: the ranking learned from them

        self._run("Applying", job, done)

    def reject(self, suggestions: list[Suggestion], reason: str) -> None:
        """Reject with a reason; the two "never" reasons also change the project's settings."""
        items = list(suggestions)
        for s in items:
            self._hidden.add(s.fingerprint)

        def job(w: Worker) -> Any:
            try:
                return self.project.reject(items, reason)
            finally:  # stored (or refused): visibility decides from here on
                self._hidden.difference_update(s.fingerprint for s in items)

        def done(result: Any) -> None:
            self.rejected.emit(items)
            self.reported.emit(f"Rejected {len(items)} ({reason})")
            if result.config_edit is not None:
                self.config_error = ""
                self.config = self._load_config()
                self.project.config = self.config
                if self.service is None:
                    self.rescan()
            self.refresh()  # a decision: the ranking learned from it

        self.refresh()
        self._run("Rejecting", job, done)

    def settings_file(self) -> tuple[Path, str]:
        """Where this project's settings live, and the table prefix inside that file."""
        cfg = self.config.path
        if cfg is not None and cfg.name == "pyproject.toml":
            return cfg, "tool.kaizen."
        return self.root / "kaizen.toml", ""

    def undo(self, fingerprint: str | None = None, entry: Any = None) -> None:
        """Undo the last applied change (or one given by fingerprint / audit entry)."""

        def job(w: Worker) -> Any:
            handle = entry if entry is not None else (fingerprint[:10] if fingerprint else None)
            result = self.project.undo([str(handle)] if handle is not None else None).result
            if not result.ok:
                raise RuntimeError("; ".join(r.reason for r in result.refused))
            return result

        def done(result: Any) -> None:
            paths = list(result.paths)
            self.reported.emit("Undone" + (f": {', '.join(paths)} restored" if paths else ""))
            self.undone.emit(paths)
            self.audit_changed.emit()
            self.refresh()

        self._run("Undoing", job, done)

    def revalidate(self, suggestions: list[Suggestion]) -> None:
        items = list(suggestions)

        def job(w: Worker) -> Any:
            return self.project.revalidate(items, progress=lambda d, t, *a: w.report(d, t, "validating"),
                                           cancel=lambda: w.cancelled or self.closed)

        def done(result: Any) -> None:
            self.validated.emit(list(result or []))
            self.reported.emit(f"Validated {len(result or [])}: "
                               f"{grade_summary(s.validation for s in result or [])}")
            self.refresh()

        self._run(f"Validating {len(items)}", job, done)

    def ask_llm(self) -> Worker | None:
        """Ask the configured LLM endpoint for suggestions; they are validated, then listed."""

        def job(w: Worker) -> Any:
            from suggestions.project.actions import TrustNeeded as CoreTrustNeeded

            done = [0]

            def progress(p: Any) -> None:
                if getattr(p, "stage", "") in ("done", "rejected", "error", "cached"):
                    done[0] += 1
                target = getattr(p, "target", None)
                where = f"{getattr(target, 'path', '')}:{getattr(target, 'line', '')}" if target else ""
                w.report(done[0], 0, f"LLM {getattr(p, 'stage', '')} {where}")

            try:
                return self.project.ask_llm(progress=progress, cancel=w._cancel)[0]
            except CoreTrustNeeded as need:
                from ui.endpoint_trust import TrustNeeded

                return TrustNeeded(need.confirmation)  # the GUI thread asks the user
            except ActionError as exc:
                raise RuntimeError(str(exc)) from None

        def done(result: Any) -> None:
            from ui import endpoint_trust
            if isinstance(result, endpoint_trust.TrustNeeded):
                if endpoint_trust.confirm(result.confirmation):
                    self.ask_llm()
                else:
                    self.reported.emit(f"The LLM was not asked: {result.confirmation.origin} is not trusted")
                return
            found = list(result or [])
            self.reported.emit(f"The LLM proposed {len(found)}: {grade_summary(s.validation for s in found)}")
            self.llm_answered.emit(found)
            self.refresh()

        return self._run("Asking the LLM", job, done)

    def trace(self, command: list[str], *, timeout: float | None = None, **run_options: Any) -> Any:
        """Run ``command`` under the collector (on the calling worker thread): `kaizen trace`'s
        action; the service then re-reads what the new trace changes."""
        traced = self.project.trace(command, timeout=timeout, **run_options)
        if self.service is not None:
            self.service.reload()  # runtime suggestions and evidence come from the new trace
        return traced

    def open_in_editor(self, s: Suggestion) -> str:
        """Start the configured editor at the suggestion's location; returns the command run."""
        template = str(self.config.get("editor.command") or "") or _default_editor()
        template = EDITOR_PRESETS.get(template, template)
        import os

        template = template.replace("$EDITOR", os.environ.get("EDITOR", "") or "xdg-open")
        path = str(self.root / s.path)
        args = [a.format(file=path, line=s.line, col=s.span.start_col + 1) for a in shlex.split(template)]
        if "{file}" not in template:
            args.append(path)
        subprocess.Popen(args, cwd=self.root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
        return " ".join(args)

    # --- pause -----------------------------------------------------------------------------

    def paused(self) -> bool:
        """Whether automatic changes are paused (the policy's switch, persisted in the store)."""
        policy = optional("suggestions.decide.policy")
        if policy is not None:
            try:
                return self.project.paused()
            except Exception:
                return False
        try:  # the core is still loading: read the policy's state directly
            rows = self.store.execute("SELECT value FROM policy_state WHERE key='paused'")
        except Exception:
            return False
        return bool(rows) and rows[0][0] == "1"

    def set_paused(self, on: bool) -> None:
        def switch() -> None:
            (self.project.pause if on else self.project.resume)()

        if optional("suggestions.decide.policy") is None:  # the core is still loading: on a worker
            self._run("Pausing" if on else "Resuming", lambda w: switch(), lambda _r: self._paused_set(on))
            return
        try:
            switch()
        except Exception as exc:
            self.failed.emit(f"pause: {exc}")
        self._paused_set(on)

    def _paused_set(self, on: bool) -> None:
        self.paused_changed.emit(self.paused())
        if not on:
            self.run_auto_apply()  # whatever waited while paused may apply now

    # --- helpers ---------------------------------------------------------------------------

    def _run(self, task: str, fn: Callable[[Worker], Any], on_result: Callable[[Any], None] | None = None) -> Worker:
        def progress(done: int, total: int, _msg: str) -> None:
            self.busy_changed.emit(task, done, total)

        def finished() -> None:
            self._workers.discard(w)
            self.busy_changed.emit("", 0, 0)

        def failed(msg: str) -> None:
            self.failed.emit(f"{task}: {msg.splitlines()[0] if msg else 'failed'}")
            self._last_error_detail = msg

        self.busy_changed.emit(task, 0, 0)
        w = run_in_background(fn, on_result=self._guard(on_result) if on_result else None,
                              on_error=self._guard(failed), on_progress=self._guard(progress),
                              on_finished=self._guard(finished))
        self._workers.add(w)
        return w

    def _guard(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Drop results that arrive after the project was closed (the views are gone)."""
        def call(*args: Any) -> Any:
            if self.closed or not shiboken6.isValid(self):
                return None
            return fn(*args)
        return call

    def run_job(self, task: str, fn: Callable[[Worker], Any], on_result: Callable[[Any], None] | None = None) -> Worker:
        """Run any core call for a view in the background with the shared busy display."""
        return self._run(task, fn, on_result)


def _place(order: list[str], known: dict[str, Suggestion], s: Suggestion) -> None:
    """Insert ``s`` into ``order`` (fingerprints, best first) by its score."""
    lo, hi = 0, len(order)
    while lo < hi:
        mid = (lo + hi) // 2
        other = known.get(order[mid])
        if other is not None and other.score >= s.score:
            lo = mid + 1
        else:
            hi = mid
    order.insert(lo, s.fingerprint)


def _default_editor() -> str:
    import os
    import shutil

    if os.environ.get("EDITOR"):
        return "$EDITOR"
    if shutil.which("code"):
        return "VS Code"
    if shutil.which("idea"):
        return "JetBrains"
    return "xdg-open {file}"
