"""The audit log: every applied change, verifiable, exportable, and undoable from here."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from suggestions.terminal import printable
from ui.diffview import DiffView
from ui.session import Session, optional
from ui.theme import colors, html_text, icon, rich_text

__all__ = ["AuditView"]


class AuditView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: Session | None = None
        self.entries: list[Any] = []
        self.summary = QLabel("No changes recorded yet.")
        self.verify_btn = QPushButton(icon("verify"), "Verify chain")
        self.verify_btn.clicked.connect(self.verify)
        self.export_json_btn = QPushButton(icon("export"), "Export JSON…")
        self.export_json_btn.clicked.connect(lambda: self.export("json"))
        self.export_md_btn = QPushButton(icon("export"), "Export Markdown…")
        self.export_md_btn.clicked.connect(lambda: self.export("md"))
        self.undo_btn = QPushButton(icon("undo"), "Undo this change")
        self.undo_btn.clicked.connect(self.undo_selected)
        self.undo_btn.setEnabled(False)
        self.verify_label = QLabel()
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.verify_label)
        for b in (self.verify_btn, self.export_json_btn, self.export_md_btn, self.undo_btn):
            top.addWidget(b)
        self.table = QTreeWidget()
        self.table.setObjectName("audit")
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.setHeaderLabels(["#", "When", "Action", "By", "File", "Change", "Hash"])
        h = self.table.header()
        h.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        for col, width in ((0, 44), (1, 150), (2, 120), (3, 150), (4, 200), (6, 100)):
            self.table.setColumnWidth(col, width)
        self.table.currentItemChanged.connect(self._selected)
        self.diff = DiffView()
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(self.info)
        bl.addWidget(self.diff, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(bottom)
        split.setSizes([300, 300])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(top)
        lay.addWidget(split, 1)

    def _log(self) -> Any:
        mod = optional("suggestions.apply.audit")
        if mod is None or self.session is None:
            return None
        return mod.AuditLog(self.session.store)

    def set_session(self, session: Session) -> None:
        self.session = session
        self.verify_label.setText("")
        self.reload()

    def reload(self) -> None:
        if self.session is None:
            return

        store = self.session.store

        def job(w: Any) -> Any:  # on a worker thread: the core module imports there
            from suggestions.apply.audit import AuditLog

            log = AuditLog(store)
            return log.entries(), log.undone()

        self.session.run_job("Loading audit log", job, self._show)

    def _show(self, data: Any) -> None:
        cur = self.table.currentItem()
        keep = cur.data(0, Qt.ItemDataRole.UserRole) if cur is not None else None
        self.table.clear()
        entries, undone = data
        self.entries = list(entries)
        self.undone = set(undone)
        c = colors()
        applied = sum(1 for e in entries if e.action == "apply")
        self.summary.setText(f"<b>{len(entries)}</b> entries · {applied} applied changes · "
                             f"{len(self.undone)} undone" if entries else "No changes recorded yet.")
        for e in reversed(self.entries):
            change = e.title or e.reason or (f"undo of #{e.undoes}" if e.undoes else "")
            by = e.actor + (f" ({e.rule})" if e.rule and e.rule != e.actor else "")
            item = QTreeWidgetItem([str(e.seq), time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.at)),
                                    e.action, printable(by), printable(e.path), printable(change),
                                    e.entry_hash[:10]])
            item.setData(0, Qt.ItemDataRole.UserRole, e.seq)
            if e.seq in self.undone:
                for col in range(7):
                    item.setForeground(col, Qt.GlobalColor.gray)
                item.setText(2, "apply (undone)")
            elif e.action == "undo":
                item.setForeground(2, _qc(c["warn"]))
            self.table.addTopLevelItem(item)
            if keep == e.seq:
                self.table.setCurrentItem(item)
        first = self.table.topLevelItem(0)
        if self.table.currentItem() is None and first is not None:
            self.table.setCurrentItem(first)

    def _entry(self) -> Any:
        item = self.table.currentItem()
        if item is None:
            return None
        seq = item.data(0, Qt.ItemDataRole.UserRole)
        return next((e for e in self.entries if e.seq == seq), None)

    def _selected(self, *_: Any) -> None:
        e = self._entry()
        if e is None:
            self.diff.clear()
            self.info.setText("")
            self.undo_btn.setEnabled(False)
            return
        self.undo_btn.setEnabled(e.action == "apply" and e.seq not in self.undone)
        status = dict(e.validation).get("status", "") if e.validation else ""
        who = f"automatically under rule <b>{html_text(e.rule)}</b>" if e.rule else f"by {html_text(e.actor)}"
        bits = [f"<b>{e.id}</b> {e.action} {who}",
                html_text(f"{e.code} {e.title}") if e.code else "", f"validation: {status}" if status else "",
                f"hash {e.hash_before[:8]} → {e.hash_after[:8]}"]
        text = " · ".join(b for b in bits if b)
        if e.rationale:
            text += f"<br><span style='color:{colors()['muted']}'>{rich_text(e.rationale)}</span>"
        self.info.setText(text)
        self.diff.show_diff(e.path, e.path, e.diff)

    def verify(self) -> None:
        if self.session is None:
            return

        def job(w: Any) -> Any:
            log = self._log()
            return None if log is None else log.verify()

        def done(res: Any) -> None:
            c = colors()
            if res is None:
                return
            if res.ok:
                self.verify_label.setText(f"<span style='color:{c['ok']}'>✔ chain verified ({res.entries} entries)</span>")
            else:
                self.verify_label.setText(f"<span style='color:{c['bad']}'>✘ {html_text(res.message())}</span>")

        self.session.run_job("Verifying audit log", job, done)

    def export(self, kind: str, path: str | None = None) -> str | None:
        log = self._log()
        if log is None or self.session is None:
            return None
        if path is None:
            default = str(self.session.root / f"kaizen-audit.{kind}")
            path, _ = QFileDialog.getSaveFileName(self, "Export the audit log", default)
            if not path:
                return None
        mod = optional("suggestions.apply.audit")
        if mod is None:
            return None
        text = mod.export_json(log) if kind == "json" else mod.export_markdown(log)
        from pathlib import Path

        from analysis.atomic import write_atomic

        write_atomic(Path(path), text)
        self.session.reported.emit(f"Audit log exported to {path}")
        return path

    def undo_selected(self) -> None:
        e = self._entry()
        if e is not None and self.session is not None:
            self.session.undo(entry=e.seq)


def _qc(hex_color: str) -> Any:
    from PySide6.QtGui import QColor

    return QColor(hex_color)
