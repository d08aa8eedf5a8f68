"""The filters above the suggestion list: search, source, status, codes, the never-ran notes and
the folder chip."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLineEdit, QPushButton, QWidget

__all__ = ["STATUSES", "FilterBar"]

STATUSES = ("not validated", "pending", "proven", "passed", "unverified", "failed", "error", "skipped")


class FilterBar(QWidget):
    """Emits the filter it changed, as keyword arguments of ``SuggestionFilter.set_filters``."""

    changed = Signal(object)  # {"search": "..."}, {"sources": [...]}, {"folder": "..."}...

    def __init__(self) -> None:
        super().__init__()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search suggestions  ( / )")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda t: self._emit(search=t))
        self.source_box = QComboBox()
        self.source_box.addItems(["All sources", "static", "runtime", "llm"])
        self.source_box.currentTextChanged.connect(
            lambda t: self._emit(sources=[] if t.startswith("All") else [t]))
        self.status_box = QComboBox()
        self.status_box.addItems(["Any status", *STATUSES])
        self.status_box.currentTextChanged.connect(
            lambda t: self._emit(statuses=[] if t.startswith("Any") else [t]))
        self.code_box = QLineEdit()
        self.code_box.setPlaceholderText("Codes, e.g. KZ1,KZ5")
        self.code_box.setMaximumWidth(150)
        self.code_box.textChanged.connect(lambda t: self._emit(codes=t))
        self.never_ran = QCheckBox("Never ran")
        self.never_ran.setToolTip("Show the never-ran notes of the latest trace (KZ804), hidden by default")
        self.never_ran.toggled.connect(lambda on: self._emit(never_ran=on))
        self.folder_label = QPushButton("All folders")
        self.folder_label.setObjectName("chip")
        self.folder_label.setToolTip("Filtered to a folder from the project tree; click to clear")
        self.folder_label.clicked.connect(lambda: self.set_folder(""))
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.search, 3)
        lay.addWidget(self.source_box)
        lay.addWidget(self.status_box)
        lay.addWidget(self.code_box, 1)
        lay.addWidget(self.never_ran)
        lay.addWidget(self.folder_label)

    def show_hidden(self, never_ran: int) -> None:
        """Say how many never-ran notes the list hides (on the box that shows them)."""
        text = f"Never ran ({never_ran} hidden)" if never_ran else "Never ran"
        if self.never_ran.text() != text:
            self.never_ran.setText(text)

    def set_folder(self, folder: str) -> None:
        """Filter to ``folder`` (a project-relative path; "": every folder)."""
        self.folder_label.setText(f"In {folder}  ✕" if folder else "All folders")
        self._emit(folder=folder)

    def _emit(self, **kw: Any) -> None:
        self.changed.emit(kw)
