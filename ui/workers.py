"""Background work off the GUI thread: QRunnable workers that report through signals."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

__all__ = ["Worker", "WorkerSignals", "run_in_background"]


class WorkerSignals(QObject):
    """Signals of one background job; they arrive on the GUI thread (queued)."""

    started = Signal()
    progressed = Signal(int, int, str)  # done, total, message
    returned = Signal(object)  # the job's value
    failed = Signal(str)  # the exception, with its traceback
    finished = Signal()


class Worker(QRunnable):
    """Run ``fn(worker)`` on the thread pool; ``fn`` may call ``worker.report`` and check
    ``worker.cancelled``."""

    def __init__(self, fn: Callable[[Worker], Any]) -> None:
        super().__init__()
        self.fn = fn
        self.signals = WorkerSignals()
        self._cancel = threading.Event()
        self.setAutoDelete(False)  # Python keeps the reference; avoids a double delete

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def report(self, done: int, total: int, message: str = "") -> None:
        self.signals.progressed.emit(int(done), int(total), message)

    def run(self) -> None:
        self.signals.started.emit()
        try:
            value = self.fn(self)
        except Exception as exc:  # shown to the user as a message, never a crash
            tb = traceback.format_exc(limit=6)
            self.signals.failed.emit(f"{type(exc).__name__}: {exc}\n\n{tb}")
        else:
            self.signals.returned.emit(value)
        finally:
            self.signals.finished.emit()
            _LIVE.discard(self)


_LIVE: set[Worker] = set()


def run_in_background(
    fn: Callable[[Worker], Any],
    on_result: Callable[[Any], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
    on_finished: Callable[[], None] | None = None,
    pool: QThreadPool | None = None,
) -> Worker:
    """Start ``fn`` on the pool and connect the callbacks (which run on the GUI thread)."""
    w = Worker(fn)
    if on_result:
        w.signals.returned.connect(on_result)
    if on_error:
        w.signals.failed.connect(on_error)
    if on_progress:
        w.signals.progressed.connect(on_progress)
    if on_finished:
        w.signals.finished.connect(on_finished)
    _LIVE.add(w)
    (pool or QThreadPool.globalInstance()).start(w)
    return w
