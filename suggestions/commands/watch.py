"""``kaizen watch PATH``: keep the analysis current and print each change as it happens.

Human output is one line per change::

    + app/models.py:12  KZ101  Mutable default argument `x=[]`  [829702bd10]
    ~ app/models.py:12→14  KZ101  Mutable default argument `x=[]`  [829702bd10]
    - app/models.py:14  KZ101  Mutable default argument `x=[]`  [829702bd10]

With ``--json`` every line is one JSON object with an ``event`` field: ``opened``,
``status``, ``config``, ``added`` / ``updated`` / ``removed`` (the suggestion in its
``--json`` shape, plus ``previous_line`` for updates), ``file-changed``, ``file-removed``,
``file-skipped``, ``folder-removed``, ``root-lost``, ``error``. An update that changes
nothing visible (only the hash of the file a fix is pinned to) is not printed.

Ctrl-C or SIGTERM stops cleanly with exit code 0. If the project folder is deleted or
renamed while watched, the command says so and exits with code 2: the path it was given no
longer names the project, so waiting would watch nothing.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from suggestions.commands import CommandError, add_path, project_root
from suggestions.model import Suggestion
from suggestions.project.service import EventKind, ProjectService, ServiceEvent, tune_gc

NAME = "watch"
HELP = "keep the analysis current and print changes as they happen (Ctrl-C stops)"

EXIT_ROOT_LOST = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object per line")
    parser.add_argument(
        "--auto-apply",
        action="store_true",
        help="let the auto-apply rules of kaizen.toml apply suggestions as they appear",
    )
    parser.add_argument("--polling", action="store_true", help="poll instead of native watching")
    parser.add_argument("--quiet-ms", type=int, default=30, help="debounce window (default 30 ms)")


def _autoapply(service: ProjectService) -> Any:
    from suggestions.project.actions import Project

    return Project(service.root, service=service).start_auto_apply()


class _Printer:
    """Turns service events into output lines; runs on the watcher's thread."""

    def __init__(self, as_json: bool, done: threading.Event) -> None:
        self.as_json = as_json
        self.done = done
        self.root_lost = ""
        self._lock = threading.Lock()

    def _emit(self, obj: dict[str, Any], text: str, err: bool = False) -> None:
        with self._lock:
            try:
                if self.as_json:
                    print(json.dumps(obj, default=str), flush=True)
                else:
                    print(text, file=sys.stderr if err else sys.stdout, flush=True)
            except BrokenPipeError:
                self.done.set()

    def __call__(self, event: ServiceEvent) -> None:
        kind = event.kind
        if kind is EventKind.ROOT_LOST:
            self.root_lost = event.message
            if self.as_json:  # in text mode run() prints it once, on the way out
                self._emit({"event": kind.value, "message": event.message}, "")
            self.done.set()
            return
        if kind in (EventKind.OPENED, EventKind.STATUS, EventKind.CONFIG, EventKind.ERROR):
            obj: dict[str, Any] = {"event": kind.value, "message": event.message, "level": event.level}
            if event.stats:
                obj["stats"] = dict(event.stats)
            self._emit(obj, f"kaizen: {event.message}", err=event.level != "info")
            return
        latency = round(event.latency * 1000, 1) if event.latency is not None else None
        for s in event.removed:
            self._suggestion("removed", "-", s, None, latency)
        for s in event.added:
            self._suggestion("added", "+", s, None, latency)
        for s in event.updated:
            old = event.previous.get(s.fingerprint)
            if old is not None and old.summary_dict() == s.summary_dict():
                continue  # only the patch's base hash moved on: nothing to show
            self._suggestion("updated", "~", s, old, latency)
        for path in event.files_changed:
            self._emit({"event": "file-changed", "path": path, "latency_ms": latency}, f"  {path} analysed")
        for path in event.files_removed:
            self._emit({"event": "file-removed", "path": path}, f"  {path} removed")
        for path, reason in event.files_skipped.items():
            self._emit({"event": "file-skipped", "path": path, "reason": reason}, f"! {path} skipped: {reason}")
        for path in event.folders_removed:
            self._emit({"event": "folder-removed", "path": path}, f"  {path}/ removed")

    def _suggestion(self, what: str, mark: str, s: Suggestion, old: Suggestion | None, latency: float | None) -> None:
        obj = {"event": what, **s.summary_dict(), "latency_ms": latency}
        where = f"{s.path}:{s.line}"
        if old is not None:
            obj["previous_line"] = old.line
            if old.line != s.line:
                where = f"{s.path}:{old.line}→{s.line}"
        self._emit(obj, f"{mark} {where}  {s.code}  {s.title}  [{s.id}]")


def run(args: argparse.Namespace) -> int:
    root = project_root(args.path)
    done = threading.Event()
    printer = _Printer(args.json, done)
    service = ProjectService(root)
    previous: dict[signal.Signals, Callable[[int, FrameType | None], Any] | int | None] = {}
    applier: Any = None

    def on_term(signum: int, frame: FrameType | None) -> None:
        done.set()

    try:
        service.subscribe(printer)
        if args.auto_apply:
            from suggestions.commands._changes import warn_audit

            warn_audit(service.store)
            applier = _autoapply(service)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            previous[sig] = signal.signal(sig, on_term)
        service.open()
        tune_gc()  # a long-running process: keep full collections out of save latency
        options: dict[str, Any] = {"quiet": max(1, args.quiet_ms) / 1000}
        if args.polling:
            options["polling"] = True
        try:
            service.start_watching(**options)
        except OSError as exc:
            raise CommandError(f"{root}: cannot watch ({exc.strerror or exc})") from None
        # Wait in short slices so Ctrl-C (KeyboardInterrupt) reaches the main thread.
        while not done.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        service.stop()  # no more batches, so no more automatic changes
        close = getattr(applier, "close", None)
        if callable(close):
            close()
        service.close()
    if printer.root_lost:
        print(f"kaizen: stopped: {printer.root_lost}", file=sys.stderr)
        return EXIT_ROOT_LOST
    if not args.json:
        print("kaizen: stopped watching", file=sys.stderr)
    return 0
