"""The main window: project tree, ranked suggestions, diff and details, and the other views."""

from __future__ import annotations

import functools
import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QFont,
    QKeySequence,
    QPalette,
    QShortcut,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTabWidget,
    QTextBrowser,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from suggestions.model import Suggestion
from suggestions.report import evidence_rows
from ui import models as m
from ui.diffview import DiffView
from ui.session import REJECT_REASONS, Session, optional
from ui.theme import colors, icon, rich_text

__all__ = ["MainWindow"]

MAX_RECENT = 8
STATUSES = ("not validated", "pending", "passed", "failed", "error", "skipped")


class BadgeDelegate(QStyledItemDelegate):
    """Draws the open-suggestion count of a file or folder as a small pill."""

    def paint(self, painter: Any, option: Any, index: Any) -> None:
        super().paint(painter, option, index)
        count = index.data(Qt.ItemDataRole.UserRole + 5)
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


class Toast(QFrame):
    """An unobtrusive notification in the window's corner, with an optional action."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("toast")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.action = QPushButton("Undo")
        self.action.setObjectName("toastAction")
        self.close_btn = QToolButton()
        self.close_btn.setText("✕")
        self.close_btn.setAutoRaise(True)
        self.close_btn.clicked.connect(self.hide)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(12, 8, 8, 8)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.action)
        lay.addWidget(self.close_btn)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self._callback: Any = None
        self.action.clicked.connect(self._act)
        self.hide()

    def notify(self, text: str, action: str = "", callback: Any = None, seconds: float = 10.0) -> None:
        """Show ``text`` (with a button for ``action``) for ``seconds``; 0: until closed."""
        self.label.setText(text)
        self._callback = callback
        self.action.setVisible(bool(action))
        self.action.setText(action or "")
        parent = self.parentWidget()
        self.setFixedWidth(min(460, max(300, parent.width() // 3 if parent is not None else 300)))
        self.adjustSize()
        self.reposition()
        self.show()
        self.raise_()
        if seconds > 0:
            self._timer.start(int(seconds * 1000))
        else:
            self._timer.stop()

    def reposition(self) -> None:
        p = self.parentWidget()
        if p is None:
            return
        bar = p.statusBar().height() if isinstance(p, QMainWindow) else 0
        self.move(p.width() - self.width() - 16, p.height() - self.height() - bar - 16)

    def _act(self) -> None:
        self.hide()
        if self._callback:
            self._callback()


class MainWindow(QMainWindow):
    """One project at a time; every view reads the :class:`Session`."""

    project_opened = Signal(str)

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings()
        self.session: Session | None = None
        self.setWindowTitle("Kaizen")
        self.setWindowIcon(icon("kaizen"))
        self.resize(1360, 860)
        self.model = m.SuggestionTableModel(self)
        self.proxy = m.SuggestionFilter(self)
        self.proxy.setSourceModel(self.model)
        self.model.ranks_changed.connect(self._repaint_list)
        self._pending_added: list[Suggestion] = []
        # Until the user picks a row, the window picks the best first impression (_first_pick).
        self._first_look = True
        self._picking = False
        self._picked = ""
        self._details_shown = ""
        self._validate_first = 0  # first picks left to validate (the demo's first look)
        self._validated_first: set[str] = set()
        self._drain_timer = QTimer(self)
        self._drain_timer.setInterval(0)
        self._drain_timer.timeout.connect(self._drain_added)
        self._build()
        self._restore()
        # The first diff would otherwise load pygments' lexers on the GUI thread (~0.5 s).
        from ui.diffview import warm_up
        from ui.workers import run_in_background

        QTimer.singleShot(400, lambda: run_in_background(lambda _w: warm_up()))

    # --- construction ----------------------------------------------------------------------

    def _build(self) -> None:
        # Left: project tree with badges.
        self.tree_model = QStandardItemModel(self)
        self.tree_model.setHorizontalHeaderLabels(["Project"])
        self.tree = QTreeView()
        self.tree.setObjectName("projectTree")
        self.tree.setModel(self.tree_model)
        self.tree.setHeaderHidden(True)
        self.tree.setItemDelegate(BadgeDelegate(self.tree))
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.clicked.connect(self._tree_clicked)
        self.project_btn = QToolButton()
        self.project_btn.setObjectName("projectButton")
        self.project_btn.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.project_btn.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.project_btn.setIcon(icon("folder"))
        self.project_menu = QMenu(self)
        self.project_btn.setMenu(self.project_menu)
        self.watch_label = QLabel()
        self.watch_label.setObjectName("watchIndicator")
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(6, 6, 0, 6)
        ll.addWidget(self.project_btn)
        ll.addWidget(self.watch_label)
        ll.addWidget(self.tree, 1)

        # Centre: filters + the ranked list.
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search suggestions  ( / )")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda t: self._filter(search=t))
        self.search.returnPressed.connect(self._focus_list)
        self.source_box = QComboBox()
        self.source_box.addItems(["All sources", "static", "runtime", "llm"])
        self.source_box.currentTextChanged.connect(
            lambda t: self._filter(sources=[] if t.startswith("All") else [t]))
        self.status_box = QComboBox()
        self.status_box.addItems(["Any status", *STATUSES])
        self.status_box.currentTextChanged.connect(
            lambda t: self._filter(statuses=[] if t.startswith("Any") else [t]))
        self.code_box = QLineEdit()
        self.code_box.setPlaceholderText("Codes, e.g. KZ1,KZ5")
        self.code_box.setMaximumWidth(150)
        self.code_box.textChanged.connect(lambda t: self._filter(codes=t))
        self.folder_label = QPushButton("All folders")
        self.folder_label.setObjectName("chip")
        self.folder_label.setToolTip("Filtered to a folder from the project tree; click to clear")
        self.folder_label.clicked.connect(lambda: self._set_folder(""))
        filters = QHBoxLayout()
        filters.addWidget(self.search, 3)
        filters.addWidget(self.source_box)
        filters.addWidget(self.status_box)
        filters.addWidget(self.code_box, 1)
        filters.addWidget(self.folder_label)

        self.table = QTableViewWithKeys()
        self.table.setObjectName("suggestions")
        self.table.setModel(self.proxy)
        self.table.setItemDelegate(SuggestionDelegate(self.proxy, self.table))
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(m.RANK, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setSectionResizeMode(m.TITLE, QHeaderView.ResizeMode.Stretch)
        for col, width in ((m.RANK, 56), (m.CODE, 64), (m.LOCATION, 190), (m.SOURCE, 66),
                           (m.APPLICABILITY, 92), (m.VALIDATION, 104), (m.SCORE, 56)):
            self.table.setColumnWidth(col, width)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.count_label = QLabel()
        self.count_label.setObjectName("muted")

        # Actions bar.
        self.accept_btn = QPushButton(icon("accept"), "Accept")
        self.accept_btn.setObjectName("primary")
        self.accept_btn.setToolTip("Apply the selected suggestions (a)")
        self.accept_btn.clicked.connect(self.accept_selected)
        self.reject_btn = QPushButton(icon("reject"), "Reject")
        self.reject_btn.setToolTip("Hide the selected suggestions, with a reason (r)")
        reject_menu = QMenu(self)
        for reason in REJECT_REASONS:
            reject_menu.addAction(reason.capitalize(), functools.partial(self.reject_selected, reason))
        self.reject_btn.setMenu(reject_menu)
        self.undo_btn = QPushButton(icon("undo"), "Undo")
        self.undo_btn.setToolTip("Undo the last applied change (u)")
        self.undo_btn.clicked.connect(self.undo_last)
        self.editor_btn = QPushButton(icon("editor"), "Open in editor")
        self.editor_btn.clicked.connect(self.open_in_editor)
        self.validate_btn = QPushButton(icon("validate"), "Re-validate")
        self.validate_btn.clicked.connect(self.revalidate_selected)
        actions = QHBoxLayout()
        for b in (self.accept_btn, self.reject_btn, self.undo_btn, self.editor_btn, self.validate_btn):
            actions.addWidget(b)
        actions.addStretch(1)
        actions.addWidget(self.count_label)

        list_pane = QWidget()
        lp = QVBoxLayout(list_pane)
        lp.setContentsMargins(0, 0, 0, 0)
        lp.addLayout(filters)
        lp.addWidget(self.table, 1)
        lp.addLayout(actions)

        # Right: diff + details.
        self.diff = DiffView()
        self.details = QTextBrowser()
        self.details.setObjectName("details")
        self.details.setOpenExternalLinks(False)
        self.details_split = QSplitter(Qt.Orientation.Horizontal)
        self.details_split.addWidget(self.diff)
        self.details_split.addWidget(self.details)
        self.details_split.setStretchFactor(0, 3)
        self.details_split.setStretchFactor(1, 2)

        self.main_split = QSplitter(Qt.Orientation.Vertical)
        self.main_split.addWidget(list_pane)
        self.main_split.addWidget(self.details_split)
        self.main_split.setStretchFactor(0, 1)
        self.main_split.setStretchFactor(1, 1)

        suggestions_page = QWidget()
        sp = QVBoxLayout(suggestions_page)
        sp.setContentsMargins(6, 6, 6, 6)
        sp.addWidget(self.main_split)

        from ui.audit import AuditView
        from ui.hotspots import HotspotsView
        from ui.rules import RulesEditor

        self.hotspots = HotspotsView()
        self.rules = RulesEditor()
        self.audit = AuditView()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(suggestions_page, icon("list"), "Suggestions")
        self.tabs.addTab(self.hotspots, icon("flame"), "Hotspots")
        self.tabs.addTab(self.rules, icon("rules"), "Auto-apply rules")
        self.tabs.addTab(self.audit, icon("audit"), "Audit log")

        self.side_split = QSplitter(Qt.Orientation.Horizontal)
        self.side_split.addWidget(left)
        self.side_split.addWidget(self.tabs)
        self.side_split.setStretchFactor(1, 1)
        self.side_split.setSizes([250, 1100])
        self.setCentralWidget(self.side_split)

        # Status bar: watching, queue/progress, pause switch.
        sb = self.statusBar()
        self.status_watch = QLabel()
        self.status_msg = QLabel()
        self.status_msg.setObjectName("muted")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.busy_label = QLabel()
        self.pause_btn = QPushButton("Automatic changes: on")
        self.pause_btn.setObjectName("pauseSwitch")
        self.pause_btn.setCheckable(True)
        self.pause_btn.setToolTip("Stop every automatic change at once")
        self.pause_btn.toggled.connect(self._pause_toggled)
        sb.addWidget(self.status_watch)
        sb.addWidget(self.status_msg, 1)
        sb.addPermanentWidget(self.busy_label)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.pause_btn)
        self.toast = Toast(self)

        # Menu.
        menu = self.menuBar().addMenu("&Project")
        open_act = QAction(icon("folder"), "&Open folder…", self)
        open_act.setShortcut(QKeySequence.StandardKey.Open)
        open_act.triggered.connect(self.choose_project)
        menu.addAction(open_act)
        self.recent_menu = menu.addMenu("Recent projects")
        demo_act = QAction("Open the demo project", self)
        demo_act.triggered.connect(self._open_demo)
        menu.addAction(demo_act)
        menu.addSeparator()
        rescan = QAction("Re-scan", self)
        rescan.setShortcut(QKeySequence("F5"))
        rescan.triggered.connect(self._rescan)
        menu.addAction(rescan)
        self.watch_act = QAction("Watch for changes", self)
        self.watch_act.setCheckable(True)
        self.watch_act.toggled.connect(self._watch)
        menu.addAction(self.watch_act)
        settings_act = QAction(icon("settings"), "Settings…", self)
        settings_act.setShortcut(QKeySequence("Ctrl+,"))
        settings_act.triggered.connect(self.open_settings)
        menu.addAction(settings_act)
        llm_act = QAction(icon("llm"), "Ask the LLM for suggestions", self)
        llm_act.setShortcut(QKeySequence("Ctrl+L"))
        llm_act.triggered.connect(lambda: self.session and self.session.ask_llm())
        menu.addAction(llm_act)
        menu.addSeparator()
        quit_act = QAction("Quit", self)
        quit_act.setShortcut(QKeySequence.StandardKey.Quit)
        quit_act.triggered.connect(self.close)
        menu.addAction(quit_act)

        # Keyboard: on the list (and the tree), so typing in the search field stays typing.
        for key, fn in (("j", lambda: self.move_selection(1)), ("k", lambda: self.move_selection(-1)),
                        ("a", self.accept_selected), ("r", self._reject_menu_at_row), ("u", self.undo_last),
                        ("/", self.focus_search), ("Return", self.open_in_editor)):
            for w in (self.table, self.tree):
                sc = QShortcut(QKeySequence(key), w)
                sc.setContext(Qt.ShortcutContext.WidgetShortcut)
                sc.activated.connect(fn)
        esc = QShortcut(QKeySequence("Escape"), self.search)
        esc.setContext(Qt.ShortcutContext.WidgetShortcut)
        esc.activated.connect(self._escape_search)
        self._update_recent_menu()
        self._set_watch(False, "not watching")

    def _repaint_list(self) -> None:
        self.table.viewport().update()

    # --- persistence -----------------------------------------------------------------------

    def _restore(self) -> None:
        geo = self.settings.value("window/geometry")
        if isinstance(geo, QByteArray | bytes):
            self.restoreGeometry(geo)
        for name, split in self._splitters().items():
            state = self.settings.value(f"splitters/{name}")
            if isinstance(state, QByteArray | bytes):
                split.restoreState(state)
        state = self.settings.value("table/header")
        if isinstance(state, QByteArray | bytes):
            self.table.horizontalHeader().restoreState(state)

    def _splitters(self) -> dict[str, QSplitter]:
        return {"side": self.side_split, "main": self.main_split, "details": self.details_split}

    def save_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        for name, split in self._splitters().items():
            self.settings.setValue(f"splitters/{name}", split.saveState())
        self.settings.setValue("table/header", self.table.horizontalHeader().saveState())
        self.settings.sync()

    def closeEvent(self, event: Any) -> None:
        self.save_state()
        if self.session is not None:
            self.session.close()
        super().closeEvent(event)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self.toast.isVisible():
            self.toast.reposition()

    def recent_projects(self) -> list[str]:
        raw: Any = self.settings.value("project/recent", [])
        if isinstance(raw, str):
            raw = [raw]
        return [p for p in (raw or []) if isinstance(p, str)]

    def _remember(self, root: Path) -> None:
        recent = [str(root)] + [p for p in self.recent_projects() if p != str(root)]
        self.settings.setValue("project/recent", recent[:MAX_RECENT])
        self.settings.setValue("project/last", str(root))
        self._update_recent_menu()

    def _update_recent_menu(self) -> None:
        for menu in (self.recent_menu, self.project_menu):
            menu.clear()
        for p in self.recent_projects():
            for menu in (self.recent_menu, self.project_menu):
                act = menu.addAction(icon("folder"), p)
                act.triggered.connect(lambda _=False, p=p: self.open_project(Path(p)))
        self.project_menu.addSeparator()
        self.project_menu.addAction("Open folder…", self.choose_project)
        self.project_menu.addAction("Open the demo project", self._open_demo)

    # --- opening ---------------------------------------------------------------------------

    def choose_project(self) -> None:
        start = str(self.session.root) if self.session else str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Open a project folder", start)
        if folder:
            self.open_project(Path(folder))

    def _open_demo(self) -> None:
        from ui.app import demo_project

        self.open_project(demo_project())

    def open_project(self, root: Path, watch: bool = True) -> Session:
        """Close the current project (if any) and open ``root``."""
        root = Path(root).resolve()
        if self.session is not None:
            self.session.close()
            self.session.deleteLater()
        self.model.apply([], [], self.model.fingerprints())
        self.diff.clear()
        self.details.clear()
        s = Session(root, self)
        self.session = s
        s.changed.connect(self._changed)
        s.ranked.connect(self.model.set_ranks)
        s.ranked.connect(lambda _o: self._update_count())
        s.ranked.connect(lambda _o: self._rank_changed())
        s.files_changed.connect(self._update_badges)
        s.files_listed.connect(self._files_listed)
        s.watching_changed.connect(self._set_watch)
        s.busy_changed.connect(self._busy)
        s.reported.connect(self.show_message)
        s.failed.connect(self.show_error)
        s.auto_applied.connect(self._auto_applied)
        s.applied.connect(self._applied)
        s.undone.connect(lambda _p: self.toast.hide())
        s.paused_changed.connect(self._paused_changed)
        s.refreshed.connect(self._pause_label)  # the rules may have changed with the settings
        s.audit_changed.connect(self.audit.reload)
        s.trace_changed.connect(self.hotspots.reload)
        s.core_loaded.connect(lambda: self._paused_changed(s.paused()))
        s.core_loaded.connect(self.rules.update_preview)
        s.core_loaded.connect(self.audit.reload)
        s.core_loaded.connect(self.hotspots.reload)
        self.setWindowTitle(f"Kaizen — {root.name}")
        self.project_btn.setText(root.name)
        self.project_btn.setToolTip(str(root))
        self._pending_added = []
        self._drain_timer.stop()
        self._first_look, self._picked = True, ""
        from ui.app import user_data_dir

        # The bundled demo is the newcomer's first look: its best fix is validated at once.
        # (a few times: auto-apply may take the first pick away, as it does the demo's KZ501).
        self._validate_first = 3 if root == (user_data_dir() / "demo").resolve() else 0
        self._validated_first = set()
        self._build_tree([])
        self.hotspots.set_session(s)
        self.rules.set_session(s)
        self.audit.set_session(s)
        self._remember(root)
        self._paused_changed(s.paused())
        s.open(watch=watch)
        self.project_opened.emit(str(root))
        return s

    def _files_listed(self, files: list[str]) -> None:
        if set(files) != getattr(self, "_tree_files", set()):
            self._build_tree(files)

    TREE_CHUNK = 300  # files turned into tree items per turn of the event loop

    def _build_tree(self, files: list[str]) -> None:
        self._badges: dict[str, int] = {}
        self._tree_files = set(files)
        self.tree_model.clear()
        self._tree_items: dict[str, QStandardItem] = {}
        self._tree_pending = sorted(files)
        self._tree_top: list[QStandardItem] = []
        self._tree_build_id = getattr(self, "_tree_build_id", 0) + 1
        self._tree_step(self._tree_build_id)

    def _tree_step(self, build_id: int) -> None:
        if build_id != self._tree_build_id:
            return  # a newer file list replaced this one
        folder_icon, file_icon = icon("folder"), icon("file")
        # Items are built detached and attached at the end: one model signal, not thousands.
        batch, self._tree_pending = self._tree_pending[: self.TREE_CHUNK], self._tree_pending[self.TREE_CHUNK:]
        for path in batch:
            parent: QStandardItem | None = None
            parts = path.split("/")
            for i, part in enumerate(parts):
                key = "/".join(parts[: i + 1])
                item = self._tree_items.get(key)
                if item is None:
                    item = QStandardItem(folder_icon if i < len(parts) - 1 else file_icon, part)
                    item.setData(key, Qt.ItemDataRole.UserRole + 4)
                    item.setEditable(False)
                    if parent is None:
                        self._tree_top.append(item)
                    else:
                        parent.appendRow(item)
                    self._tree_items[key] = item
                parent = item
        if self._tree_pending:
            QTimer.singleShot(0, lambda: self._tree_step(build_id))
            return
        root = self.tree_model.invisibleRootItem()
        for item in self._tree_top:
            root.appendRow(item)
        if len(self._tree_top) <= 12:
            self.tree.expandToDepth(0)
        self._update_badges(getattr(self, "_last_counts", {}))  # badges for the new items

    def _update_badges(self, counts: dict[str, int]) -> None:
        self._last_counts = counts
        totals: dict[str, int] = {}
        for path, n in counts.items():
            parts = path.split("/")
            for i in range(1, len(parts) + 1):
                key = "/".join(parts[:i])
                totals[key] = totals.get(key, 0) + n
        shown = getattr(self, "_badges", {})
        changed = False
        self.tree_model.blockSignals(True)  # one repaint below instead of a signal per file
        try:
            for key, item in getattr(self, "_tree_items", {}).items():
                n = totals.get(key, 0)
                if shown.get(key, 0) != n:
                    item.setData(n, Qt.ItemDataRole.UserRole + 5)
                    item.setToolTip(f"{key}: {n} open suggestion{'s' if n != 1 else ''}")
                    changed = True
        finally:
            self.tree_model.blockSignals(False)
        self._badges = {k: v for k, v in totals.items() if k in getattr(self, "_tree_items", {})}
        if changed:
            self.tree.viewport().update()

    def _tree_clicked(self, index: QModelIndex) -> None:
        key = index.data(Qt.ItemDataRole.UserRole + 4) or ""
        self._set_folder(key)

    def _set_folder(self, folder: str) -> None:
        self.folder_label.setText(f"In {folder}  ✕" if folder else "All folders")
        self._filter(folder=folder)

    # --- list updates ----------------------------------------------------------------------

    CHUNK = 500  # rows inserted per turn of the event loop, so a big first scan never freezes

    def _changed(self, added: list[Suggestion], updated: list[Suggestion], removed: list[str]) -> None:
        if len(added) > self.CHUNK:
            _freeze_long_lived()
        gone = set(removed)
        fresh = {s.fingerprint: s for s in updated}
        pending = [fresh.get(s.fingerprint, s) for s in self._pending_added if s.fingerprint not in gone]
        # Rows still waiting keep their place in the queue (rank order); the rest goes at its end.
        pending += added
        if len(pending) > self.CHUNK or self._pending_added:
            # A big list: every row waits for the drain, so this turn (which also ranks the
            # list) stays short; the first chunk lands on the next pass of the event loop.
            now, self._pending_added = [], pending
        else:
            now, self._pending_added = pending, []
        self.model.apply(now, updated, removed)
        if self._pending_added:
            self._drain_timer.start()
        self._after_change(updated)

    def _drain_added(self) -> None:
        """One chunk per pass of the event loop (a zero-interval timer, not a posted call, so
        input, timers and the repaint of the previous chunk all run before the next one)."""
        batch, self._pending_added = self._pending_added[: self.CHUNK], self._pending_added[self.CHUNK:]
        if not self._pending_added:
            self._drain_timer.stop()
        if not batch:
            return
        self.model.apply(batch, [], [])
        if not self._pending_added:
            _freeze_long_lived()
        self._after_change([])

    def _after_change(self, updated: list[Suggestion]) -> None:
        self._update_count()
        current = self.current_suggestion()
        if current is not None and any(s.fingerprint == current.fingerprint for s in updated):
            self._show_suggestion(current)
        if self._first_look:
            self._first_pick()

    FIRST_LOOK_ROWS = 200  # rows looked at for the first pick (a big list is long to walk)

    def _first_pick(self) -> None:
        """Select what makes the best first impression, until the user selects something:
        the top suggestion whose diff passed validation, else the top one with a diff not
        validated yet, else the top one with a diff, else the top one. On the demo, that diff is validated at once."""
        best, best_kind = -1, 4
        for r in range(min(self.proxy.rowCount(), self.FIRST_LOOK_ROWS)):
            sug = self.proxy.index(r, 0).data(m.SUGGESTION_ROLE)
            status = sug.validation.status.value
            has_diff = sug.patch is not None and bool(sug.patch.edits)
            kind = (0 if status == "passed" else 1 if status == "pending" else 2) if has_diff else 3
            if kind < best_kind:
                best, best_kind = r, kind
                if kind == 0:
                    break
        if best < 0:
            return
        chosen = self.proxy.index(best, 0).data(m.SUGGESTION_ROLE)
        current = self.current_suggestion()
        if current is None or current.fingerprint != chosen.fingerprint:
            self._picking = True
            try:
                self.select_row(best)
            finally:
                self._picking = False
            self._picked = chosen.fingerprint
        if (self._validate_first and best_kind == 1 and self.session is not None
                and not chosen.validation.done and chosen.fingerprint not in self._validated_first):
            self._validate_first -= 1
            self._validated_first.add(chosen.fingerprint)
            self.session.revalidate([chosen])

    def _filter(self, **kw: Any) -> None:
        selected = self.current_suggestion()
        self.proxy.set_filters(**kw)
        self._update_count()
        if selected is not None:
            self.select_fingerprint(selected.fingerprint)

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        label = self.count_label
        text = f"{shown} of {total} suggestions" if shown != total else f"{total} suggestions"
        label.setText(text)
        # A label that follows its text asks the whole window to lay out again, and repaints
        # it all (diff, details, tree...), on every chunk of a big list. It keeps a fixed size
        # instead, the text's own once the list is complete; while rows wait to be inserted,
        # wide enough for the final count, so the count's growth moves nothing.
        if label.isVisible():
            hint = label.sizeHint()
            width = hint.width()
            if self._pending_added:
                fm = label.fontMetrics()
                final = str(total + len(self._pending_added))
                width += max(0, fm.horizontalAdvance(final) - fm.horizontalAdvance(str(total)))
            fixed = label.minimumSize() == label.maximumSize()
            if not fixed or width != label.width() or hint.height() > label.height():
                # The height the layout gave it (the row's), so the text sits where it did.
                label.setFixedSize(width, max(hint.height(), label.height()))

    # --- selection -------------------------------------------------------------------------

    def selected_suggestions(self) -> list[Suggestion]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.proxy.index(r, 0).data(m.SUGGESTION_ROLE) for r in rows]

    def current_suggestion(self) -> Suggestion | None:
        sel = self.selected_suggestions()
        return sel[0] if sel else None

    def select_row(self, row: int) -> None:
        if not self._picking:
            self._first_look = False  # the user (or a test) chose: the window stops choosing
        if not 0 <= row < self.proxy.rowCount():
            return
        idx = self.proxy.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(idx)

    def select_fingerprint(self, fingerprint: str) -> bool:
        self._first_look = False
        row = self.model.row_of(fingerprint)
        if row < 0:
            return False
        idx = self.proxy.mapFromSource(self.model.index(row, 0))
        if not idx.isValid():
            return False
        self.select_row(idx.row())
        return True

    def move_selection(self, step: int) -> None:
        cur = self.table.currentIndex()
        row = cur.row() + step if cur.isValid() else 0
        self.select_row(max(0, min(self.proxy.rowCount() - 1, row)))

    def _focus_list(self) -> None:
        self.table.setFocus()

    def focus_search(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.search.setFocus()
        self.search.selectAll()

    def _selection_changed(self, *_: Any) -> None:
        s = self.current_suggestion()
        if s is not None and not self._picking and s.fingerprint != self._picked:
            self._first_look = False  # a click or an arrow key
        if s is None:
            self.diff.clear()
            self.details.clear()
            return
        self._show_suggestion(s)

    def _show_suggestion(self, s: Suggestion) -> None:
        fresh = self.session.suggestion(s.fingerprint) if self.session else None
        s = fresh or s
        self.diff.show_diff(f"<b>{html.escape(s.title)}</b> &nbsp; <span>{html.escape(s.path)}:{s.line}</span>",
                            s.path, s.diff)
        self._details_shown = self._details_html(s)
        self.details.setHtml(self._details_shown)

    def _rank_changed(self) -> None:
        """The details say "ranked 3rd": say it again once the list is ranked anew."""
        current = self.current_suggestion()
        if current is not None:
            fresh = self.session.suggestion(current.fingerprint) if self.session else None
            text = self._details_html(fresh or current)
            if text != self._details_shown:  # the same words: leave the pane (and its scroll) be
                bar = self.details.verticalScrollBar()
                at = bar.value()
                self.details.setHtml(text)
                self._details_shown = text
                bar.setValue(at)

    def _details_html(self, s: Suggestion) -> str:
        c = colors()
        esc = html.escape
        out = [f'<h3 style="margin-bottom:2px">{esc(s.code)} · {esc(s.title)}</h3>',
               f'<p style="color:{c["muted"]};margin-top:0">{esc(s.path)}:{s.line} · {esc(s.source.value)} · '
               f'{esc(s.applicability.value)} · confidence {s.confidence:.0%}</p>',
               f"<p>{rich_text(s.rationale)}</p>"]
        # Rank in words.
        explain = ""
        ranking = optional("suggestions.rank.ranking")  # None until the core has loaded
        if ranking is not None and self.session is not None:
            try:
                pos = self.model._rank.get(s.fingerprint)
                explain = ranking.Ranker(self.session.store).explain(s, pos)
            except Exception:
                explain = ""
        if not explain and s.score_breakdown:
            explain = "; ".join(t.explanation for t in s.score_breakdown if t.explanation)
        out.append("<h4>Why it ranks here</h4>")
        out.append(f"<p>{esc(explain) if explain else 'Not ranked yet: no decisions or traces to weigh.'}</p>")
        # Evidence.
        out.append("<h4>Evidence</h4>")
        if s.evidence:
            rows = "".join(f"<tr><td style='color:{c['muted']};padding-right:10px'>{esc(k)}</td>"
                           f"<td>{esc(v)}</td></tr>" for k, v in evidence_rows(s.evidence))
            out.append(f"<table>{rows}</table>")
        else:
            out.append(f"<p style='color:{c['muted']}'>No runtime evidence yet — run a trace from the Hotspots tab.</p>")
        # Validation.
        v = s.validation
        color = {"passed": c["ok"], "failed": c["bad"], "error": c["bad"]}.get(v.status.value, c["warn"])
        out.append("<h4>Validation</h4>")
        out.append(f"<p><b style='color:{color}'>{esc(m.status_of(s))}</b>")
        if v.tests_run:
            out.append(f" · {len(v.tests_run)} test{'s' if len(v.tests_run) != 1 else ''} run")
        if v.failed_tests:
            out.append(f" · failed: {esc(', '.join(v.failed_tests[:5]))}")
        if v.duration_s is not None:
            out.append(f" · {v.duration_s:.1f} s")
        if v.speedup:
            out.append(f" · speed-up {v.speedup:.2f}x")
        out.append("</p>")
        if v.log:
            out.append(f"<p style='font-family:monospace;font-size:9pt;white-space:pre-wrap'>"
                       f"{esc(v.log[-4000:])}</p>")
        elif not v.done:
            out.append(f"<p style='color:{c['muted']}'>Not validated yet. Re-validate runs the tests that cover "
                       "this code in a sandbox copy.</p>")
        return "".join(out)

    # --- actions ---------------------------------------------------------------------------

    def accept_selected(self) -> None:
        items = self.selected_suggestions()
        if self.session is None or not items:
            return
        self._select_next_after(items)
        self.session.accept(items)

    def reject_selected(self, reason: str = "not now") -> None:
        items = self.selected_suggestions()
        if self.session is None or not items:
            return
        self._select_next_after(items)
        self.model.apply([], [], [s.fingerprint for s in items])  # hide at once; the session confirms
        self.session.reject(items, reason)

    def _select_next_after(self, items: list[Suggestion]) -> None:
        # Keep the keyboard flow: the row after the last one acted on becomes current.
        rows = [self.proxy.mapFromSource(self.model.index(self.model.row_of(s.fingerprint), 0)).row() for s in items]
        fps = {s.fingerprint for s in items}
        for r in range(max(rows) + 1, self.proxy.rowCount()):
            s = self.proxy.index(r, 0).data(m.SUGGESTION_ROLE)
            if s.fingerprint not in fps:
                self._next_fp = s.fingerprint
                QTimer.singleShot(0, lambda fp=s.fingerprint: self.select_fingerprint(fp))
                return

    def _reject_menu_at_row(self) -> None:
        if not self.selected_suggestions():
            return
        menu = QMenu(self)
        for reason in REJECT_REASONS:
            menu.addAction(reason.capitalize(), functools.partial(self.reject_selected, reason))
        rect = self.table.visualRect(self.table.currentIndex())
        menu.popup(self.table.viewport().mapToGlobal(rect.bottomLeft()))
        self._reject_popup = menu

    def undo_last(self) -> None:
        if self.session is not None:
            self.session.undo()

    def open_in_editor(self) -> None:
        s = self.current_suggestion()
        if self.session is None or s is None:
            return
        try:
            cmd = self.session.open_in_editor(s)
            self.show_message(f"Opened: {cmd}")
        except (OSError, ValueError, KeyError, IndexError) as exc:
            self.show_error(f"Cannot start the editor: {exc}. Set it in Settings → editor.")

    def revalidate_selected(self) -> None:
        items = self.selected_suggestions()
        if self.session is not None and items:
            self.session.revalidate(items)

    def _context_menu(self, pos: Any) -> None:
        if not self.selected_suggestions():
            return
        menu = QMenu(self)
        menu.addAction(icon("accept"), "Accept (a)", self.accept_selected)
        rej = menu.addMenu(icon("reject"), "Reject (r)")
        for reason in REJECT_REASONS:
            rej.addAction(reason.capitalize(), functools.partial(self.reject_selected, reason))
        menu.addAction(icon("editor"), "Open in editor", self.open_in_editor)
        menu.addAction(icon("validate"), "Re-validate", self.revalidate_selected)
        menu.addSeparator()
        menu.addAction("Copy id", self._copy_id)
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def _copy_id(self) -> None:
        s = self.current_suggestion()
        if s is not None:
            QApplication.clipboard().setText(s.id)

    def _rescan(self) -> None:
        if self.session is not None:
            self.session.rescan()

    def _watch(self, on: bool) -> None:
        if self.session is not None:
            self.session.set_watching(on)

    def _undo(self, fingerprint: str | None = None) -> None:
        if self.session is not None:
            self.session.undo(fingerprint)

    def _escape_search(self) -> None:
        self.search.clear()
        self.table.setFocus()

    def open_settings(self) -> None:
        if self.session is None:
            return
        from ui.settings import SettingsDialog

        dlg = SettingsDialog(self.session, self)
        if dlg.exec():
            self.session.reload_config()
            self.rules.reload()

    # --- status ----------------------------------------------------------------------------

    def _set_watch(self, on: bool, text: str) -> None:
        c = colors()
        dot = c["ok"] if on else c["muted"]
        label = "Watching" if on else "Not watching"
        self.watch_label.setText(f"<span style='color:{dot}'>●</span> {label}")
        self.watch_label.setToolTip(text)
        self.status_watch.setText(f"<span style='color:{dot}'>●</span> {text}")
        self.watch_act.blockSignals(True)
        self.watch_act.setChecked(on)
        self.watch_act.blockSignals(False)

    def _busy(self, task: str, done: int, total: int) -> None:
        if not task:
            self.progress.hide()
            self.busy_label.setText("")
            return
        self.busy_label.setText(task + (f" {done}/{total}" if total else "…"))
        self.progress.show()
        self.progress.setRange(0, total if total else 0)
        if total:
            self.progress.setValue(done)

    def show_message(self, text: str) -> None:
        self.status_msg.setText(text)
        self.status_msg.setToolTip(text)

    def show_error(self, text: str) -> None:
        c = colors()
        first = text.splitlines()[0] if text else ""
        self.status_msg.setText(f"<span style='color:{c['bad']}'>{html.escape(first)}</span>")
        self.status_msg.setToolTip(text)
        self.toast.notify(first, seconds=8)

    def _pause_toggled(self, paused: bool) -> None:
        self._pause_label()
        if self.session is not None and self.session.paused() != paused:
            self.session.set_paused(paused)

    def _pause_label(self) -> None:
        """The switch says whether automatic changes may happen, and whether any rule asks for one."""
        paused = self.pause_btn.isChecked()
        rules = len(self.session.config.section("policy.rules")) if self.session is not None else 0
        if paused:
            text = "Automatic changes: PAUSED"
        else:
            text = "Automatic changes: on" if rules else "Automatic changes: on · no rules yet"
        self.pause_btn.setText(text)
        self.pause_btn.setIcon(icon("pause" if paused else "play"))
        self.pause_btn.setToolTip(
            f"{rules} auto-apply rule{'s' if rules != 1 else ''} (the Auto-apply rules tab). "
            + ("Click to let them apply changes again." if paused else "Click to stop every automatic change at once.")
        )

    def _paused_changed(self, paused: bool) -> None:
        if self.pause_btn.isChecked() != paused:
            self.pause_btn.setChecked(paused)
        else:
            self._pause_toggled(paused)

    def _auto_applied(self, s: Suggestion) -> None:
        # A change nobody asked for just now stays in view until it is seen: closed or undone.
        self.toast.notify(f"Applied automatically: {s.title} ({s.path}:{s.line})", "Undo",
                          lambda fp=s.fingerprint: self._undo(fp), seconds=0)

    def _applied(self, items: list[Suggestion]) -> None:
        if items:
            n = len(items)
            text = f"Applied {items[0].title}" if n == 1 else f"Applied {n} changes"
            self.toast.notify(text, "Undo", self._undo, seconds=8)


def _freeze_long_lived() -> None:
    """Take what is alive now (a big list that just landed) out of the collector's passes.

    A scan's suggestions arrive young: until frozen, every generation-1 pass walks all of
    them (20-50 ms for 15,000, whichever thread triggers it, holding the GIL), which the
    window feels as a stall while it inserts and paints the list.
    """
    from ui.app import gc_tuned

    if gc_tuned():
        import gc

        gc.freeze()


from PySide6.QtWidgets import QTableView  # noqa: E402


class QTableViewWithKeys(QTableView):
    """The suggestion list; single-letter keys are shortcuts, so no keyboard search."""

    def keyboardSearch(self, search: str) -> None:
        pass


_ = QMessageBox
