"""Hotspots from the latest trace: functions by their own CPU time, with own wall time and
waiting (off the CPU: locks, sleeps, I/O) beside it, calls, exceptions."""

from __future__ import annotations

import os
import subprocess
import time
from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStyledItemDelegate,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.session import Session
from ui.theme import colors, icon

__all__ = ["HotspotsView", "field"]

SHARE_ROLE = Qt.ItemDataRole.UserRole + 10


def field(row: Any, *names: str, default: Any = None) -> Any:
    """The first of ``names`` present on a row (a dict, a sqlite Row or an object)."""
    for n in names:
        if isinstance(row, dict) and n in row:
            return row[n]
        try:
            return row[n]
        except (KeyError, IndexError, TypeError):
            pass
        if hasattr(row, n):
            return getattr(row, n)
    return default


class ShareDelegate(QStyledItemDelegate):
    """A bar proportional to the function's share of the traced time."""

    def paint(self, painter: Any, option: Any, index: Any) -> None:
        share = index.data(SHARE_ROLE)
        if share is None:
            super().paint(painter, option, index)
            return
        # The bar is relative to the top function (so the ranking reads at a glance); the
        # number is the true share of the traced processes' time.
        top = float(index.data(SHARE_ROLE + 1) or 0.0) or 1.0
        painter.save()
        r = option.rect.adjusted(4, 5, -60, -5)
        painter.setPen(Qt.PenStyle.NoPen)
        base = QColor(colors()["muted"])
        base.setAlpha(45)
        painter.setBrush(base)
        painter.drawRoundedRect(QRectF(r), 3, 3)
        painter.setBrush(QColor(colors()["bar"]))
        w = max(2.0, r.width() * max(0.0, min(1.0, float(share) / top)))
        painter.drawRoundedRect(QRectF(r.x(), r.y(), w, r.height()), 3, 3)
        painter.setPen(option.palette.text().color())
        tr = option.rect.adjusted(option.rect.width() - 56, 0, -4, 0)
        painter.drawText(tr, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), f"{share:.1%}")
        painter.restore()


class HotspotsView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: Session | None = None
        self._worker: Any = None
        self.summary = QLabel("No trace yet.")
        self.summary.setWordWrap(True)
        self.run_btn = QPushButton(icon("flame"), "Run trace")
        self.run_btn.setObjectName("primary")
        self.run_btn.clicked.connect(self.run_trace)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.clicked.connect(self.cancel)
        self.cancel_btn.hide()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.command = QLabel()
        self.command.setObjectName("muted")
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.progress)
        top.addWidget(self.cancel_btn)
        top.addWidget(self.run_btn)
        self.table = QTreeWidget()
        self.table.setObjectName("hotspots")
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.setHeaderLabels(["Function", "Location", "CPU share of traced time", "Calls", "CPU time",
                                    "Own time", "Waiting", "Total time", "Exceptions"])
        self.table.setItemDelegateForColumn(2, ShareDelegate(self.table))
        self.table.setSortingEnabled(True)
        h = self.table.header()
        h.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col, width in ((1, 220), (2, 240), (3, 80), (4, 90), (5, 90), (6, 90), (7, 90), (8, 90)):
            self.table.setColumnWidth(col, width)
        self.failures = QTreeWidget()
        self.failures.setHeaderLabels(["Exceptions and failed tests", "Where", "Count"])
        self.failures.setRootIsDecorated(False)
        self.failures.setColumnWidth(0, 300)
        self.failures.setColumnWidth(1, 200)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setObjectName("log")
        self.log.setPlaceholderText("Output of the traced command appears here while it runs.")
        self.log.setMaximumBlockCount(2000)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.failures)
        bottom.addWidget(self.log)
        split.addWidget(bottom)
        split.setSizes([420, 180])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(top)
        lay.addWidget(self.command)
        lay.addWidget(split, 1)

    def set_session(self, session: Session) -> None:
        self.session = session
        cmd = str(session.config.get("trace.command"))
        self.command.setText(f"Trace command: <code>{cmd}</code> (change it in Settings → Trace)")
        self.reload()

    def reload(self) -> None:
        if self.session is None:
            return
        store = self.session.store

        def job(w: Any) -> Any:  # on a worker thread: the core module imports there
            from analysis.trace_store import TraceStore

            ts = TraceStore(store)
            return ts.latest(), list(ts.hotspots(limit=200)), list(ts.failures()) + _raised(ts)

        self.session.run_job("Loading trace", job, self._show)

    def _show(self, data: Any) -> None:
        self.table.clear()
        self.failures.clear()
        latest, hotspots, failures = data
        if latest is None:
            self.summary.setText("No trace yet. Run the project's tests under the tracer to see where "
                                 "the time goes and what raises.")
            return
        self.summary.setText(" · ".join([*_summary_bits(latest), f"top {len(hotspots)} functions by own CPU time"]))
        for h in hotspots:
            self.table.addTopLevelItem(_hotspot_item(h))
        top = max((_share(h) for h in hotspots), default=0.0)
        for i in range(self.table.topLevelItemCount()):
            row = self.table.topLevelItem(i)
            if row is not None:
                row.setData(2, SHARE_ROLE + 1, top)
        self.table.sortItems(2, Qt.SortOrder.DescendingOrder)
        for f in failures:
            self.failures.addTopLevelItem(_failure_item(f))

    def run_trace(self) -> None:
        if self.session is None:
            return
        session = self.session
        cmd = str(session.config.get("trace.command"))
        self.log.clear()
        self._started = time.monotonic()

        def job(w: Any) -> Any:
            import tempfile
            import threading

            from analysis import tracing

            argv = tracing.default_command(session.root, cmd)
            timeout = float(session.config.get("trace.timeout"))
            with tempfile.TemporaryFile() as out:
                stop = threading.Event()
                t = threading.Thread(target=_tail, args=(out.fileno(), stop, w), daemon=True)
                t.start()
                try:  # `kaizen trace`'s action: store the trace, refresh the runtime suggestions
                    traced = session.trace(argv, timeout=timeout, stdout=out, stderr=subprocess.STDOUT)
                finally:
                    stop.set()
                    t.join(2)
            result, trace_id = traced.result, traced.trace_id
            return result, trace_id

        def progress(_d: int, _t: int, line: str) -> None:
            if line:
                self.log.appendPlainText(line.rstrip("\n"))

        def done(res: Any) -> None:
            result, trace_id = res
            session.reported.emit(f"Trace #{trace_id} {result.status} (exit {result.exit_code}) in "
                                 f"{result.duration:.1f} s")
            session.trace_changed.emit()
            session.refresh()

        def finished() -> None:
            self.progress.hide()
            self.cancel_btn.hide()
            self.run_btn.setEnabled(True)
            self._worker = None

        from ui.workers import run_in_background

        self.progress.show()
        self.cancel_btn.show()
        self.run_btn.setEnabled(False)
        self.log.appendPlainText(f"$ {cmd}")
        self._worker = run_in_background(job, on_result=done, on_error=session.failed.emit,
                                         on_progress=progress, on_finished=finished)

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()


def _raised(ts: Any) -> list[dict[str, Any]]:
    """Exceptions raised during the trace (caught ones too), most frequent first."""
    try:
        rows = ts.exceptions()
    except Exception:
        return []
    out = []
    for e in rows:
        out.append({"type": field(e, "type", "exception", default="?"),
                    "message": f"raised in {field(e, 'function', default='?')}",
                    "path": field(e, "path", default=""), "line": field(e, "line", default=""),
                    "count": field(e, "raised", "count", default=1)})
    out.sort(key=lambda d: -int(d["count"] or 0))
    return out


class _SortItem(QTreeWidgetItem):
    def __lt__(self, other: QTreeWidgetItem) -> bool:
        col = self.treeWidget().sortColumn() if self.treeWidget() else 0
        a, b = self.data(col, Qt.ItemDataRole.UserRole), other.data(col, Qt.ItemDataRole.UserRole)
        if a is not None and b is not None:
            return bool(a < b)
        return self.text(col) < other.text(col)


def _summary_bits(latest: Any) -> list[str]:
    """The latest trace in a few words: when, what ran, how long, how it ended."""
    when = field(latest, "started", "at", "started_at", default=None)
    cmd = field(latest, "command", default="")
    dur = field(latest, "duration_s", "duration", "seconds", "wall_s", default=None)
    bits = ["<b>Latest trace</b>"]
    if when:
        bits.append(time.strftime("%Y-%m-%d %H:%M", time.localtime(float(when))))
    if cmd:
        bits.append(f"<code>{cmd if isinstance(cmd, str) else ' '.join(cmd)}</code>")
    if dur:
        bits.append(f"{float(dur):.2f} s")
    status = field(latest, "status", default="")
    if status and status != "ok":
        bits.append(f"<span style='color:{colors()['bad']}'>{status}</span>")
    tests = field(latest, "tests", default=0)
    if tests:
        bits.append(f"{tests} tests")
    return bits


def _share(h: Any) -> float:
    """What ranks a hotspot: its share of the traced time on the CPU (its own wall time where the
    CPU time was not measured)."""
    cpu = field(h, "cpu_share", default=None)
    return float(cpu if cpu is not None else field(h, "own_share", "share", default=0.0) or 0.0)


def _hotspot_item(h: Any) -> _SortItem:
    """One row of the hotspot table; the numbers sort by value (UserRole)."""
    name = field(h, "qualname", "function", "name", default="?")
    path = field(h, "path", "file", default="")
    line = field(h, "line", "lineno", "first_line", default="")
    share = _share(h)
    calls = int(field(h, "calls", "ncalls", "call_count", default=0) or 0)
    own = float(field(h, "own_s", "self_time", "own_time", "own", default=0.0) or 0.0)
    cpu, wait = field(h, "cpu_s", default=None), field(h, "wait_s", default=None)
    total = float(field(h, "total_s", "total_time", "cumulative", "total", default=0.0) or 0.0)
    exc = int(field(h, "exceptions", "exception_count", "raised", default=0) or 0)
    waiting = bool(field(h, "waiting", default=False))
    approx = "" if field(h, "time_exact", default=True) else "~"  # timed on a sample of calls

    def ms(v: Any) -> str:
        return "-" if v is None else f"{approx}{float(v) * 1000:.1f} ms"

    item = _SortItem([f"{name}  (waiting)" if waiting else str(name), f"{path}:{line}" if line else str(path), "",
                      str(calls), ms(cpu), ms(own), ms(wait), ms(total), str(exc) if exc else ""])
    if approx:
        for col in (4, 5, 6, 7):
            item.setToolTip(col, "Estimated from the calls that were timed (threads ran side by side)")
    if cpu is None:
        item.setToolTip(2, "CPU time not measured here: the bar is the own wall time")
    if waiting:
        item.setToolTip(0, "Blocked, not computing: more than half of its own time on a lock, a sleep "
                           "or I/O")
        item.setForeground(0, QColor(colors()["muted"]))
    item.setData(2, SHARE_ROLE, share)
    for col, value in ((2, share), (3, calls), (4, -1.0 if cpu is None else float(cpu)), (5, own),
                       (6, -1.0 if wait is None else float(wait)), (7, total), (8, exc)):
        item.setData(col, Qt.ItemDataRole.UserRole, value)
    if exc:
        item.setForeground(8, QColor(colors()["bad"]))
    return item


def _failure_item(f: Any) -> QTreeWidgetItem:
    what = field(f, "test", "type", "exception", "name", default="?")
    msg = field(f, "message", "outcome", "error", default="")
    where = field(f, "where", "location", "path", default="")
    line = field(f, "line", "lineno", default="")
    count = field(f, "count", default=1)
    it = QTreeWidgetItem([f"{what}: {msg}" if msg else str(what), f"{where}:{line}" if line else str(where), str(count)])
    tb = field(f, "traceback", default="")
    if tb:
        it.setToolTip(0, str(tb))
    return it


def _tail(fd: int, stop: Any, w: Any) -> None:
    """Stream the command's output (the file ``fd``) to the log pane while it runs."""
    pos = 0
    partial = b""
    while True:
        stopped = stop.wait(0.2)
        size = os.fstat(fd).st_size
        if size > pos:
            partial += os.pread(fd, size - pos, pos)
            pos = size
            # Whole lines only: pytest prints its dots without a newline.
            *lines, partial = partial.split(b"\n")
            for line in lines:
                w.report(0, 0, line.decode("utf-8", "replace"))
        if stopped:
            if partial:
                w.report(0, 0, partial.decode("utf-8", "replace"))
            return
