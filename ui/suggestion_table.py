"""The ranked suggestion list's view: a table over the filter proxy, painted in one call per cell."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from ui import models as m

__all__ = ["CountLabel", "SuggestionDelegate", "SuggestionTable"]

COLUMN_WIDTHS = ((m.RANK, 56), (m.CODE, 64), (m.LOCATION, 190), (m.SOURCE, 66),
                 (m.APPLICABILITY, 92), (m.VALIDATION, 104), (m.SCORE, 56))


class SuggestionDelegate(QStyledItemDelegate):
    """Fills a cell's style option from the model in one call into Python.

    The stock delegate asks the proxy for seven roles per cell, each a round trip through
    the proxy into Python (about 25 calls into Python per cell, 2,600 per repaint of the
    list). While a background thread runs Python (a refresh ranking 15,000 suggestions) the
    GUI thread gives the GIL away every switch interval and waits to get it back, so a
    repaint that costs 10 ms alone took 100-270 ms. Here a cell is one call into Python
    (3 with the proxy's mapping); the painted pixels are the same.
    """

    def __init__(self, proxy: m.SuggestionFilter, parent: QWidget) -> None:
        super().__init__(parent)
        self._proxy = proxy

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        model = self._proxy.sourceModel()
        if not isinstance(model, m.SuggestionTableModel) or index.model() is not self._proxy:
            super().initStyleOption(option, index)
            return
        text, align, color = model.cell(self._proxy.mapToSource(index).row(), index.column())
        # As QStyledItemDelegate.initStyleOption does for DisplayRole, TextAlignmentRole and
        # ForegroundRole (the other roles it reads are empty in this model).
        option.index = index  # type: ignore[assignment]  # the view passes a QModelIndex
        option.features |= QStyleOptionViewItem.ViewItemFeature.HasDisplay
        option.text = text.replace("\n", "\u2028")
        if align is not None:
            option.displayAlignment = align
        if color is not None:
            option.palette.setBrush(QPalette.ColorRole.Text, QBrush(color))
        option.styleObject = None  # type: ignore[assignment]  # no style animations in item views, as Qt


class SuggestionTable(QTableView):
    """The suggestion list, sorted by rank; single-letter keys are shortcuts, so no keyboard search."""

    def __init__(self, proxy: m.SuggestionFilter) -> None:
        super().__init__()
        self.setObjectName("suggestions")
        self.setModel(proxy)
        self.setItemDelegate(SuggestionDelegate(proxy, self))
        self.setSortingEnabled(True)
        self.sortByColumn(m.RANK, Qt.SortOrder.AscendingOrder)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(24)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        hh = self.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setSectionResizeMode(m.TITLE, QHeaderView.ResizeMode.Stretch)
        for col, width in COLUMN_WIDTHS:
            self.setColumnWidth(col, width)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        # A re-rank re-orders the rows (a layout change): the row under the cursor keeps its
        # place on screen, the others move around it (see _pin_current).
        self._pinned: tuple[QPersistentModelIndex, int] | None = None
        proxy.layoutAboutToBeChanged.connect(self._pin_current)
        proxy.layoutChanged.connect(self._restore_pinned)

    def _pin_current(self, *_: object) -> None:
        """Before a re-order: where the current row is on screen.

        Why keep it in place rather than defer the re-rank: the list stays in rank order (the
        Rank column never lies), the suggestion the user is reading stays selected and under
        the mouse and the keyboard cursor, and what moved is visible around it. An accept
        removes its row; the next row, chosen from the order the user saw, takes its place.
        """
        cur = self.currentIndex()
        self._pinned = (QPersistentModelIndex(cur), self.rowViewportPosition(cur.row())) if cur.isValid() else None

    def _restore_pinned(self, *_: object) -> None:
        pinned, self._pinned = self._pinned, None
        if pinned is None or not pinned[0].isValid():
            return
        row = pinned[0].row()
        before, now = pinned[1], self.rowViewportPosition(row)
        if before < 0 or before >= self.viewport().height() or now == before:
            return  # it was off screen: nothing to keep in place
        bar = self.verticalScrollBar()
        step = self.rowHeight(row) if self.verticalScrollMode() == QAbstractItemView.ScrollMode.ScrollPerItem else 1
        bar.setValue(bar.value() + round((now - before) / max(1, step)))

    def keyboardSearch(self, search: str) -> None:
        pass


class CountLabel(QLabel):
    """"N suggestions" (or "N of M" when filtered) under the list, at a fixed size.

    A label that follows its text asks the whole window to lay out again, and repaints it all
    (diff, details, tree...), on every chunk of a big list. It keeps a fixed size instead, the
    text's own once the list is complete; while rows wait to be inserted, wide enough for the
    final count, so the count's growth moves nothing.
    """

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("muted")

    def show_count(self, shown: int, total: int, pending: int = 0) -> None:
        """``shown`` of ``total`` rows, with ``pending`` more still to be inserted."""
        self.setText(f"{shown} of {total} suggestions" if shown != total else f"{total} suggestions")
        if not self.isVisible():
            return
        hint = self.sizeHint()
        width = hint.width()
        if pending:
            fm = self.fontMetrics()
            width += max(0, fm.horizontalAdvance(str(total + pending)) - fm.horizontalAdvance(str(total)))
        fixed = self.minimumSize() == self.maximumSize()
        if not fixed or width != self.width() or hint.height() > self.height():
            # The height the layout gave it (the row's), so the text sits where it did.
            self.setFixedSize(width, max(hint.height(), self.height()))
