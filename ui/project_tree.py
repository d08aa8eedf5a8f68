"""The project tree: every analysed file, each file and folder with its open-suggestion count."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QStyledItemDelegate, QTreeView

from ui.theme import colors, icon

__all__ = ["BadgeDelegate", "ProjectTree"]

PATH_ROLE = Qt.ItemDataRole.UserRole + 4
COUNT_ROLE = Qt.ItemDataRole.UserRole + 5


class BadgeDelegate(QStyledItemDelegate):
    """Draws the open-suggestion count of a file or folder as a small pill."""

    def paint(self, painter: Any, option: Any, index: Any) -> None:
        super().paint(painter, option, index)
        count = index.data(COUNT_ROLE)
        if not count:
            return
        painter.save()
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        text = str(count)
        f = QFont(option.font)
        f.setPointSizeF(max(7.0, f.pointSizeF() * 0.85))
        f.setBold(True)
        painter.setFont(f)
        fm = painter.fontMetrics()
        w = max(fm.horizontalAdvance(text) + 10, fm.height() + 2)
        h = fm.height() + 1
        r = QRectF(option.rect.right() - w - 6, option.rect.center().y() - h / 2 + 0.5, w, h)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colors()["accent"]))
        painter.drawRoundedRect(r, h / 2, h / 2)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(r, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


class ProjectTree(QTreeView):
    """The files of the project as a tree with badges; a click picks a folder (or file) to filter by."""

    folder_picked = Signal(str)  # project-relative path of the clicked item

    CHUNK = 300  # files turned into tree items per turn of the event loop

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("projectTree")
        self.tree_model = QStandardItemModel(self)
        self.tree_model.setHorizontalHeaderLabels(["Project"])
        self.setModel(self.tree_model)
        self.setHeaderHidden(True)
        self.setItemDelegate(BadgeDelegate(self))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.clicked.connect(self._clicked)
        self.files: set[str] = set()
        self.items: dict[str, QStandardItem] = {}
        self._badges: dict[str, int] = {}
        self._last_counts: dict[str, int] = {}
        self._pending: list[str] = []
        self._top: list[QStandardItem] = []
        self._build_id = 0

    def set_files(self, files: list[str]) -> None:
        """Rebuild the tree for this file list (unless it is the one shown)."""
        if set(files) != self.files:
            self.build(files)

    def build(self, files: list[str]) -> None:
        self._badges = {}
        self.files = set(files)
        self.tree_model.clear()
        self.items = {}
        self._pending = sorted(files)
        self._top = []
        self._build_id += 1
        self._step(self._build_id)

    def _step(self, build_id: int) -> None:
        if build_id != self._build_id:
            return  # a newer file list replaced this one
        # Items are built detached and attached at the end: one model signal, not thousands.
        batch, self._pending = self._pending[: self.CHUNK], self._pending[self.CHUNK:]
        for path in batch:
            self._add(path)
        if self._pending:
            QTimer.singleShot(0, lambda: self._step(build_id))
            return
        root = self.tree_model.invisibleRootItem()
        for item in self._top:
            root.appendRow(item)
        if len(self._top) <= 12:
            self.expandToDepth(0)
        self.set_counts(self._last_counts)  # badges for the new items

    def _add(self, path: str) -> None:
        folder_icon, file_icon = icon("folder"), icon("file")
        parent: QStandardItem | None = None
        parts = path.split("/")
        for i, part in enumerate(parts):
            key = "/".join(parts[: i + 1])
            item = self.items.get(key)
            if item is None:
                item = QStandardItem(folder_icon if i < len(parts) - 1 else file_icon, part)
                item.setData(key, PATH_ROLE)
                item.setEditable(False)
                if parent is None:
                    self._top.append(item)
                else:
                    parent.appendRow(item)
                self.items[key] = item
            parent = item

    def set_counts(self, counts: dict[str, int]) -> None:
        """Open suggestions per file: the badges of the files and the folders above them."""
        self._last_counts = counts
        totals: dict[str, int] = {}
        for path, n in counts.items():
            parts = path.split("/")
            for i in range(1, len(parts) + 1):
                key = "/".join(parts[:i])
                totals[key] = totals.get(key, 0) + n
        changed = False
        self.tree_model.blockSignals(True)  # one repaint below instead of a signal per file
        try:
            for key, item in self.items.items():
                n = totals.get(key, 0)
                if self._badges.get(key, 0) != n:
                    item.setData(n, COUNT_ROLE)
                    item.setToolTip(f"{key}: {n} open suggestion{'s' if n != 1 else ''}")
                    changed = True
        finally:
            self.tree_model.blockSignals(False)
        self._badges = {k: v for k, v in totals.items() if k in self.items}
        if changed:
            self.viewport().update()

    def _clicked(self, index: QModelIndex) -> None:
        self.folder_picked.emit(index.data(PATH_ROLE) or "")
