"""The ranked suggestion list's view: a table over the filter proxy, painted in one call per cell."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from ui import models as m

__all__ = ["SuggestionDelegate", "SuggestionTable"]

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

    def keyboardSearch(self, search: str) -> None:
        pass
