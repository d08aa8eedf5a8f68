"""Qt models over the core's suggestions: a table updated incrementally, and a filter proxy."""

from __future__ import annotations

import ctypes
import itertools
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from suggestions.analyze.runtime import hidden_by_default
from suggestions.model import Grade, Suggestion, Validation, ValidationStatus
from suggestions.terminal import printable

__all__ = ["COLUMNS", "SuggestionFilter", "SuggestionTableModel", "status_of", "status_word"]

COLUMNS = ("Rank", "Title", "Code", "Location", "Source", "Applicability", "Validation", "Score")
RANK, TITLE, CODE, LOCATION, SOURCE, APPLICABILITY, VALIDATION, SCORE = range(len(COLUMNS))

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
SUGGESTION_ROLE = Qt.ItemDataRole.UserRole + 2

# By the word status_of shows: proven (blue) and unverified (purple) stand apart from passed.
_STATUS_COLORS = {"proven": "#0969da", "passed": "#1a7f37", "unverified": "#8250df", "failed": "#cf222e",
                  "error": "#cf222e", "skipped": "#9a6700"}

_Index = QModelIndex | QPersistentModelIndex
_RIGHT_FLAG = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_RIGHT = int(_RIGHT_FLAG)
_COLORS: dict[str, QColor] = {}


def _qcolor(name: str) -> QColor:
    color = _COLORS.get(name)
    if color is None:
        color = _COLORS[name] = QColor(name)
    return color


def _none_leak_probe() -> bool:
    """Whether this PySide drops a reference to None each time a Python ``data()`` returns None.

    PySide6 6.12 on Python 3.11 does (None is not immortal before 3.12), and after enough
    repaints the interpreter aborts with "deallocating None". Measured, not assumed, so a
    fixed PySide needs no compensation.
    """
    if sys.version_info >= (3, 12):
        return False  # None is immortal: a lost reference cannot hurt

    class Probe(QAbstractTableModel):
        def rowCount(self, parent: Any = None) -> int:
            return 1

        def columnCount(self, parent: Any = None) -> int:
            return 1

        def data(self, index: Any, role: int = 0) -> Any:
            return None

    model = Probe()
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    idx = proxy.index(0, 0)
    before = sys.getrefcount(None)
    for _ in range(200):
        proxy.data(idx, 0)
    lost = before - sys.getrefcount(None)
    if lost > 0:  # give back what the probe itself cost
        for _ in range(lost):
            _incref(None)
    return lost >= 150


def _incref(obj: object) -> None:
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))


def _emit_leak_probe() -> bool:
    """Whether this PySide drops a reference to ``True`` each time Python calls ``emit()``.

    PySide6 6.12 on Python 3.11 does: ``emit()`` returns True without the reference it
    owes. With the app imported True has about 2,000 references, so after about 2,000
    signals the interpreter aborts with "deallocating True or False" (one refresh that
    updates 2,000 rows used to emit that many ``dataChanged``). Measured, not assumed.
    """
    if sys.version_info >= (3, 12):
        return False  # True and False are immortal

    class Probe(QObject):
        fired = Signal()

    probe = Probe()
    before = sys.getrefcount(True)
    for _ in range(100):
        probe.fired.emit()
    lost = before - sys.getrefcount(True)
    for _ in range(max(lost, 0)):  # give back what the probe itself cost
        _incref(True)
    return lost >= 90


def pin_bools() -> None:
    """Keep ``True`` and ``False`` alive whatever PySide's ``emit()`` loses (see the probe).

    Signals are emitted all over the app, so instead of compensating each call this gives
    the two singletons the kind of reference count Python 3.12 gives them (immortal in
    practice: a loss per signal would take years to use it up). Idempotent.
    """
    global _BOOLS_PINNED
    if _BOOLS_PINNED or not _emit_leak_probe():
        _BOOLS_PINNED = True
        return
    for obj in (True, False):
        # ob_refcnt is a PyObject's first field; one step, while this thread holds the GIL.
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 40
    _BOOLS_PINNED = True


_BOOLS_PINNED = False
_LEAKS_NONE: bool | None = None


def nothing() -> None:
    """``None`` for a Qt virtual returning QVariant, compensating PySide's lost reference."""
    global _LEAKS_NONE
    if _LEAKS_NONE is None:
        _LEAKS_NONE = _none_leak_probe()
    if _LEAKS_NONE:
        _incref(None)
    return None


def status_of(s: Suggestion) -> str:
    """The validation word shown in the list (see :func:`status_word`)."""
    return status_word(s.validation)


def status_word(v: Validation) -> str:
    """A validation in one word: its status ("not validated" before any run), "proven" for a
    pass whose evidence earned that grade, "unverified" when no test ran the change."""
    if v.status is ValidationStatus.PASSED and v.strength is not None and v.strength.grade is Grade.PROVEN:
        return "proven"
    value = v.status.value
    return "not validated" if value == "pending" and v.at is None else value


class SuggestionTableModel(QAbstractTableModel):
    """Rows are suggestions keyed by fingerprint; changes arrive as insert/update/remove."""

    ranks_changed = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        pin_bools()  # the window's signals would otherwise abort the interpreter after a while
        self._rows: list[Suggestion] = []
        self._row_of: dict[str, int] = {}
        self._rank: dict[str, int] = {}
        self._hay: dict[str, str] = {}
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self.generation = 0  # bumped whenever rows move, appear, vanish or change

    # --- Qt API ------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return nothing()

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        value = self._data(index, role)
        return nothing() if value is None else value

    def _data(self, index: _Index, role: int) -> Any:
        if not index.isValid():
            return None
        s = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(s, col)
        if role == SORT_ROLE:
            if col == RANK:
                return self._rank.get(s.fingerprint, 0)
            if col == SCORE:
                return s.score
            if col == LOCATION:
                return f"{s.path}:{s.line:08d}"
            return self._display(s, col)
        elif role == SUGGESTION_ROLE:
            return s
        elif role == Qt.ItemDataRole.ToolTipRole:
            return printable(f"{s.code} · {s.title}\n{s.path}:{s.line}")
        elif role == Qt.ItemDataRole.ForegroundRole and col == VALIDATION:
            c = _STATUS_COLORS.get(status_of(s))
            return _qcolor(c) if c else None
        elif role == Qt.ItemDataRole.TextAlignmentRole and col in (RANK, SCORE):
            return _RIGHT
        return None

    def _display(self, s: Suggestion, col: int) -> str | None:
        if col == RANK:
            return str(self._rank.get(s.fingerprint, 0))
        if col == TITLE:
            return printable(s.title)
        if col == CODE:
            return s.code
        if col == LOCATION:
            return printable(f"{s.path}:{s.line}")
        if col == SOURCE:
            return s.source.value
        if col == APPLICABILITY:
            return s.applicability.value
        if col == VALIDATION:
            return status_of(s)
        if col == SCORE:
            return f"{s.score:.2f}"
        return None

    def cell(self, row: int, column: int) -> tuple[str, Qt.AlignmentFlag | None, QColor | None]:
        """What a painted cell shows: text, alignment (None: the view's) and text colour.

        The same answers as :meth:`data` for the roles a delegate paints, in one call: see
        ``SuggestionDelegate`` in ui/mainwindow.py.
        """
        s = self._rows[row]
        text = self._display(s, column) or ""
        align = _RIGHT_FLAG if column in (RANK, SCORE) else None
        color = None
        if column == VALIDATION:
            c = _STATUS_COLORS.get(status_of(s))
            color = _qcolor(c) if c else None
        return text, align, color

    # --- state -------------------------------------------------------------------------------

    def suggestion(self, row: int) -> Suggestion:
        return self._rows[row]

    def suggestions(self) -> list[Suggestion]:
        return list(self._rows)

    def row_of(self, fingerprint: str) -> int:
        return self._row_of.get(fingerprint, -1)

    def fingerprints(self) -> set[str]:
        return set(self._row_of)

    def apply(self, added: Iterable[Suggestion], updated: Iterable[Suggestion], removed: Iterable[str]) -> None:
        """Apply a change set with the finest-grained notifications (keeps views' selection)."""
        self.generation += 1
        removed = [fp for fp in removed if fp in self._row_of]
        if removed:
            rows = sorted((self._row_of[fp] for fp in removed), reverse=True)
            # Remove contiguous runs at once, from the bottom so indexes stay valid.
            run_end = rows[0]
            run_start = rows[0]
            for r in [*rows[1:], -2]:
                if r == run_start - 1:
                    run_start = r
                    continue
                self.beginRemoveRows(QModelIndex(), run_start, run_end)
                for s in self._rows[run_start : run_end + 1]:
                    self._hay.pop(s.fingerprint, None)
                del self._rows[run_start : run_end + 1]
                self.endRemoveRows()
                run_start = run_end = r
            self._reindex()
        changed_rows = []
        for s in updated:
            row = self._row_of.get(s.fingerprint)
            if row is None:
                continue
            self._rows[row] = s
            self._hay[s.fingerprint] = _haystack(s)
            changed_rows.append(row)
        # One signal per run of adjacent rows, not per row: a re-rank can update thousands.
        changed_rows.sort()
        start = 0
        for i, row in enumerate(changed_rows):
            if i + 1 == len(changed_rows) or changed_rows[i + 1] != row + 1:
                self.dataChanged.emit(self.index(changed_rows[start], 0), self.index(row, len(COLUMNS) - 1))
                start = i + 1
        added = [s for s in added if s.fingerprint not in self._row_of]
        in_order = self._appends_in_order(added)
        if added:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(added) - 1)
            self._rows.extend(added)
            for i, s in enumerate(added, start=first):
                self._row_of[s.fingerprint] = i
                self._hay[s.fingerprint] = _haystack(s)
            self.endInsertRows()
        if self._sort is not None and (updated or (added and not in_order)):
            self.sort(*self._sort)

    def _appends_in_order(self, added: list[Suggestion]) -> bool:
        """Whether appending ``added`` keeps the current sort (the usual case: rank order)."""
        if self._sort is None or not added:
            return True
        column, order = self._sort
        key = self._sort_key(column)
        keys = [key(s) for s in ([self._rows[-1]] if self._rows else []) + added]
        if order == Qt.SortOrder.DescendingOrder:
            return all(a >= b for a, b in itertools.pairwise(keys))
        return all(a <= b for a, b in itertools.pairwise(keys))

    def set_ranks(self, ordered: Sequence[str]) -> None:
        """Ranks from the service's order (1 = best); only changed rows are signalled."""
        new = {fp: i for i, fp in enumerate(ordered, start=1)}
        old = self._rank
        # Only rows in the model can change on screen (a big list arrives ranked before its
        # rows are inserted in chunks): walk those, not the whole order.
        changed = [row for fp, row in self._row_of.items() if old.get(fp) != new.get(fp)]
        self._rank = new
        if changed:
            # Ranks never change what a filter accepts: repaint instead of a dataChanged
            # over every row, which would make the proxy re-judge all of them.
            if self._sort is not None and self._sort[0] in (RANK, SOURCE, APPLICABILITY, VALIDATION):
                self.sort(*self._sort)
            self.ranks_changed.emit()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort in Python with a key (fast on 10,000s of rows); views keep their selection."""
        self._sort = (column, order)
        key = self._sort_key(column)
        new_rows = sorted(self._rows, key=key, reverse=order == Qt.SortOrder.DescendingOrder)
        if new_rows == self._rows:
            return
        self.generation += 1
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        fps = [self._rows[i.row()].fingerprint if i.isValid() else None for i in old]
        self._rows = new_rows
        self._reindex()
        new = [self.index(self._row_of[fp], i.column()) if fp is not None else QModelIndex()
               for fp, i in zip(fps, old, strict=True)]
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    def _sort_key(self, column: int) -> Any:
        rank = self._rank
        keys: dict[int, Any] = {
            RANK: lambda s: rank.get(s.fingerprint, 1 << 30),
            TITLE: lambda s: s.title.lower(),
            CODE: lambda s: (s.code, s.path, s.line),
            LOCATION: lambda s: (s.path, s.line),
            SOURCE: lambda s: (s.source.value, rank.get(s.fingerprint, 1 << 30)),
            APPLICABILITY: lambda s: (s.applicability.value, rank.get(s.fingerprint, 1 << 30)),
            VALIDATION: lambda s: (status_of(s), rank.get(s.fingerprint, 1 << 30)),
            SCORE: lambda s: s.score,
        }
        return keys.get(column, keys[RANK])

    def _reindex(self) -> None:
        self._row_of = {s.fingerprint: i for i, s in enumerate(self._rows)}


def _haystack(s: Suggestion) -> str:
    return f"{s.title}\n{s.code}\n{s.path}\n{s.rationale}".lower()


class SuggestionFilter(QSortFilterProxyModel):
    """Sort by any column; filter by source, code, status, folder and free-text search."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(False)
        self.sources: set[str] = set()
        self.codes: str = ""  # a code or prefix, e.g. "KZ1"
        self.statuses: set[str] = set()
        self.folder: str = ""
        self.search: str = ""
        self.never_ran = False  # show the never-ran notes (hidden by default)
        self._active = False
        self._gen = -1
        self._table = bytearray()

    def set_filters(self, *, sources: Iterable[str] | None = None, codes: str | None = None,
                    statuses: Iterable[str] | None = None, folder: str | None = None,
                    search: str | None = None, never_ran: bool | None = None) -> None:
        new_api = hasattr(self, "beginFilterChange")  # Qt 6.10 deprecates invalidateFilter
        if new_api:
            self.beginFilterChange()
        if sources is not None:
            self.sources = set(sources)
        if codes is not None:
            self.codes = codes.strip().upper()
        if statuses is not None:
            self.statuses = set(statuses)
        if folder is not None:
            self.folder = folder.strip("/")
        if search is not None:
            self.search = search.strip().lower()
        if never_ran is not None:
            self.never_ran = never_ran
        self._precompute()
        if new_api:
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.invalidateFilter()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorting happens in the source model (a key sort, not a comparison per pair in Qt)."""
        model = self.sourceModel()
        if model is not None:
            model.sort(column, order)

    def _precompute(self) -> None:
        """Judge every row at once in Python; Qt then asks per row and gets a table lookup."""
        model = self.sourceModel()
        if not isinstance(model, SuggestionTableModel):
            return
        self._active = bool(self.sources or self.codes or self.statuses or self.folder or self.search
                            or not self.never_ran)
        if not self._active:
            self._gen = model.generation
            return
        accepts = self.accepts
        self._table = bytearray(accepts(model, r, s) for r, s in enumerate(model._rows))
        self._gen = model.generation

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        model: SuggestionTableModel = self.sourceModel()  # type: ignore[assignment]
        if not self._active:
            return True
        if self._gen == model.generation:
            return bool(self._table[source_row])
        return self.accepts(model, source_row, model.suggestion(source_row))

    def never_ran_hidden(self) -> int:
        """How many never-ran notes the list hides now (0 when they are shown)."""
        model = self.sourceModel()
        if self.never_ran or not isinstance(model, SuggestionTableModel):
            return 0
        return sum(1 for s in model._rows if hidden_by_default(s))

    def accepts(self, model: SuggestionTableModel, source_row: int, s: Suggestion) -> bool:
        if not self.never_ran and hidden_by_default(s):
            return False
        if self.sources and s.source.value not in self.sources:
            return False
        if self.codes and not any(s.code.startswith(c.strip()) for c in self.codes.split(",") if c.strip()):
            return False
        if self.statuses and status_of(s) not in self.statuses:
            return False
        if self.folder and not (s.path == self.folder or s.path.startswith(self.folder + "/")):
            return False
        if self.search:
            hay = model._hay[s.fingerprint]
            return all(word in hay for word in self.search.split())
        return True
