"""The main window (first cut: suggestions of a scan)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMainWindow, QTableWidget, QTableWidgetItem

from ui.workers import run_in_background


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.resize(1200, 760)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Code", "Title", "File", "Line"])
        self.setCentralWidget(self.table)

    def open_project(self, root: Path) -> None:
        self.setWindowTitle(f"Kaizen — {root.name}")
        from suggestions.scan import scan_project

        run_in_background(lambda w: scan_project(root, jobs=1).suggestions, on_result=self._show)

    def _show(self, suggestions) -> None:
        self.table.setRowCount(len(suggestions))
        for i, s in enumerate(suggestions):
            for j, v in enumerate((s.code, s.title, s.path, str(s.line))):
                self.table.setItem(i, j, QTableWidgetItem(v))
