"""The main window: project tree, ranked suggestions, diff and details, and the other views."""

from __future__ import annotations

import functools
import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut, QStandardItem
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QMainWindow,
    QMenu,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from suggestions.model import Suggestion
from ui import models as m
from ui.details import DetailsPane, details_html
from ui.diffview import DiffView
from ui.filter_bar import FilterBar
from ui.menus import add_action, apply_all_safe, fill_recent
from ui.project_tree import ProjectTree
from ui.session import REJECT_REASONS, Session, optional
from ui.statusbar import StatusBar, WatchIndicator
from ui.suggestion_table import CountLabel, SuggestionTable
from ui.theme import icon
from ui.toast import Toast
from ui.window_state import RecentProjects, restore_layout, save_layout

__all__ = ["MainWindow"]



class MainWindow(QMainWindow):
    """One project at a time; every view reads the :class:`Session`."""

    project_opened = Signal(str)

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings()
        self.recent = RecentProjects(self.settings)
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
        self.list_pane = self._build_list_pane()
        self.diff = DiffView()
        self.details = DetailsPane()
        self.details_split = QSplitter(Qt.Orientation.Horizontal)
        self.details_split.addWidget(self.diff)
        self.details_split.addWidget(self.details)
        self.details_split.setStretchFactor(0, 3)
        self.details_split.setStretchFactor(1, 2)
        self.main_split = QSplitter(Qt.Orientation.Vertical)
        self.main_split.addWidget(self.list_pane)
        self.main_split.addWidget(self.details_split)
        self.main_split.setStretchFactor(0, 1)
        self.main_split.setStretchFactor(1, 1)
        self.side_split = QSplitter(Qt.Orientation.Horizontal)
        self.side_split.addWidget(self._build_side_pane())
        self.side_split.addWidget(self._build_tabs())
        self.side_split.setStretchFactor(1, 1)
        self.side_split.setSizes([250, 1100])
        self.setCentralWidget(self.side_split)
        self.status_bar = StatusBar()
        self.setStatusBar(self.status_bar)
        self.pause_btn = self.status_bar.pause_btn
        self.pause_btn.toggled.connect(self._pause_toggled)
        self.toast = Toast(self)
        self._build_menu()
        self._build_shortcuts()
        self._update_recent_menu()
        self._set_watch(False, "not watching")

    def _build_side_pane(self) -> QWidget:
        """The project button, the watch indicator and the project tree with its badges."""
        self.tree = ProjectTree()
        self.tree.folder_picked.connect(self._set_folder)
        self.tree_model = self.tree.tree_model
        self.project_btn = QToolButton()
        self.project_btn.setObjectName("projectButton")
        self.project_btn.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.project_btn.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.project_btn.setIcon(icon("folder"))
        self.project_menu = QMenu(self)
        self.project_btn.setMenu(self.project_menu)
        self.watch_label = WatchIndicator()
        self.watch_label.setObjectName("watchIndicator")
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(6, 6, 0, 6)
        ll.addWidget(self.project_btn)
        ll.addWidget(self.watch_label)
        ll.addWidget(self.tree, 1)
        return left

    def _build_filters(self) -> FilterBar:
        self.filters = FilterBar()
        self.filters.changed.connect(lambda kw: self._filter(**kw))
        self.filters.search.returnPressed.connect(self._focus_list)
        self.search, self.source_box, self.status_box = (
            self.filters.search, self.filters.source_box, self.filters.status_box)
        self.code_box, self.folder_label = self.filters.code_box, self.filters.folder_label
        return self.filters

    def _build_actions(self) -> QHBoxLayout:
        self.accept_btn = QPushButton(icon("accept"), "Accept")
        self.accept_btn.setObjectName("primary")
        self.accept_btn.setToolTip("Apply the selected suggestions (a)")
        self.accept_btn.clicked.connect(self.accept_selected)
        self.reject_btn = QPushButton(icon("reject"), "Reject")
        self.reject_btn.setToolTip("Hide the selected suggestions, with a reason (r)")
        self.reject_btn.setMenu(self._reject_menu(QMenu(self)))
        self.undo_btn = QPushButton(icon("undo"), "Undo")
        self.undo_btn.setToolTip("Undo the last applied change (u)")
        self.undo_btn.clicked.connect(self.undo_last)
        self.editor_btn = QPushButton(icon("editor"), "Open in editor")
        self.editor_btn.clicked.connect(self.open_in_editor)
        self.validate_btn = QPushButton(icon("validate"), "Re-validate")
        self.validate_btn.clicked.connect(self.revalidate_selected)
        self.count_label = CountLabel()
        actions = QHBoxLayout()
        for b in (self.accept_btn, self.reject_btn, self.undo_btn, self.editor_btn, self.validate_btn):
            actions.addWidget(b)
        actions.addStretch(1)
        actions.addWidget(self.count_label)
        return actions

    def _reject_menu(self, menu: QMenu) -> QMenu:
        for reason in REJECT_REASONS:
            menu.addAction(reason.capitalize(), functools.partial(self.reject_selected, reason))
        return menu

    def _build_list_pane(self) -> QWidget:
        """Filters, the ranked list and the actions bar."""
        filters = self._build_filters()
        self.table = SuggestionTable(self.proxy)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.customContextMenuRequested.connect(self._context_menu)
        actions = self._build_actions()
        list_pane = QWidget()
        lp = QVBoxLayout(list_pane)
        lp.setContentsMargins(0, 0, 0, 0)
        lp.addWidget(filters)
        lp.addWidget(self.table, 1)
        lp.addLayout(actions)
        return list_pane

    def _build_tabs(self) -> QTabWidget:
        from ui.audit import AuditView
        from ui.hotspots import HotspotsView
        from ui.rules import RulesEditor

        suggestions_page = QWidget()
        sp = QVBoxLayout(suggestions_page)
        sp.setContentsMargins(6, 6, 6, 6)
        sp.addWidget(self.main_split)
        self.hotspots = HotspotsView()
        self.rules = RulesEditor()
        self.audit = AuditView()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(suggestions_page, icon("list"), "Suggestions")
        self.tabs.addTab(self.hotspots, icon("flame"), "Hotspots")
        self.tabs.addTab(self.rules, icon("rules"), "Auto-apply rules")
        self.tabs.addTab(self.audit, icon("audit"), "Audit log")
        return self.tabs

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&Project")
        add_action(menu, "&Open folder…", self.choose_project, QKeySequence.StandardKey.Open, "folder")
        self.recent_menu = menu.addMenu("Recent projects")
        add_action(menu, "Open the demo project", self._open_demo)
        menu.addSeparator()
        add_action(menu, "Re-scan", self._rescan, "F5")
        self.watch_act = QAction("Watch for changes", self)
        self.watch_act.setCheckable(True)
        self.watch_act.toggled.connect(self._watch)
        menu.addAction(self.watch_act)
        add_action(menu, "Settings…", self.open_settings, "Ctrl+,", "settings")
        add_action(menu, "Ask the LLM for suggestions", lambda: self.session and self.session.ask_llm(),
                     "Ctrl+L", "llm")
        self.validate_changes_act = add_action(menu, "Validate my changes", self.validate_my_changes,
                                               "Ctrl+Shift+V", "validate")
        self.apply_safe_act = add_action(menu, "Apply all safe fixes", lambda: apply_all_safe(self.session))
        menu.addSeparator()
        add_action(menu, "Quit", self.close, QKeySequence.StandardKey.Quit)

    def _build_shortcuts(self) -> None:
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

    def _repaint_list(self) -> None:
        self.table.viewport().update()

    # --- persistence -----------------------------------------------------------------------

    def _restore(self) -> None:
        restore_layout(self.settings, self, self._splitters(), self.table.horizontalHeader())

    def _splitters(self) -> dict[str, QSplitter]:
        return {"side": self.side_split, "main": self.main_split, "details": self.details_split}

    def save_state(self) -> None:
        save_layout(self.settings, self, self._splitters(), self.table.horizontalHeader())

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
        return self.recent.paths()

    def _remember(self, root: Path) -> None:
        self.recent.remember(root)
        self._update_recent_menu()

    def _update_recent_menu(self) -> None:
        fill_recent(self.recent_menu, self.project_menu, self.recent_projects(), self.open_project,
                    self.choose_project, self._open_demo)

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
        s.llm_answered.connect(lambda _found: self._show_llm_funnel(s))
        s.core_loaded.connect(lambda: self._show_llm_funnel(s))
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
        self.tree.build([])
        self.hotspots.set_session(s)
        self.rules.set_session(s)
        self.audit.set_session(s)
        self._remember(root)
        self._paused_changed(s.paused())
        s.open(watch=watch)
        self.project_opened.emit(str(root))
        return s

    def _files_listed(self, files: list[str]) -> None:
        self.tree.set_files(files)

    def _update_badges(self, counts: dict[str, int]) -> None:
        self.tree.set_counts(counts)

    @property
    def _tree_items(self) -> dict[str, QStandardItem]:
        return self.tree.items

    @property
    def _tree_files(self) -> set[str]:
        return self.tree.files

    def _set_folder(self, folder: str) -> None:
        self.filters.set_folder(folder)

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
        self.count_label.show_count(self.proxy.rowCount(), self.model.rowCount(), len(self._pending_added))
        self.filters.show_hidden(self.proxy.never_ran_hidden())

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
        self.details.show_html(details_html(s, self._explain(s)))

    def _rank_changed(self) -> None:
        """The details say "ranked 3rd": say it again once the list is ranked anew."""
        current = self.current_suggestion()
        if current is not None:
            fresh = self.session.suggestion(current.fingerprint) if self.session else None
            s = fresh or current
            self.details.refresh_html(details_html(s, self._explain(s)))

    def _explain(self, s: Suggestion) -> str:
        """The ranker's words for where ``s`` ranks ("" until the core has loaded)."""
        ranking = optional("suggestions.rank.ranking")
        if ranking is None or self.session is None:
            return ""
        try:
            return str(ranking.Ranker(self.session.store).explain(s, self.model._rank.get(s.fingerprint)))
        except Exception:
            return ""

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
        menu = self._reject_menu(QMenu(self))
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

    def validate_my_changes(self) -> None:
        """The working tree's uncommitted diff, validated in the background (ui/validate_changes.py)."""
        if getattr(self, "changes", None) is None:
            from ui.validate_changes import ChangesValidation

            self.changes = ChangesValidation(self)
        self.changes.start()

    def _context_menu(self, pos: Any) -> None:
        if not self.selected_suggestions():
            return
        menu = QMenu(self)
        menu.addAction(icon("accept"), "Accept (a)", self.accept_selected)
        self._reject_menu(menu.addMenu(icon("reject"), "Reject (r)"))
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
        self.watch_label.show_watch(on, "Watching" if on else "Not watching", tooltip=text)
        self.status_bar.status_watch.show_watch(on, text)
        self.watch_act.blockSignals(True)
        self.watch_act.setChecked(on)
        self.watch_act.blockSignals(False)

    def _show_llm_funnel(self, s: Session) -> None:
        if s is self.session:
            self.status_bar.show_llm_funnel(s.project.llm_funnel())

    def _busy(self, task: str, done: int, total: int) -> None:
        self.status_bar.show_busy(task, done, total)

    def show_message(self, text: str) -> None:
        self.status_bar.show_message(text)

    def show_error(self, text: str) -> None:
        self.status_bar.show_error(text)
        self.toast.notify(text.splitlines()[0] if text else "", seconds=8)

    def _pause_toggled(self, paused: bool) -> None:
        self._pause_label()
        if self.session is not None and self.session.paused() != paused:
            self.session.set_paused(paused)

    def _pause_label(self) -> None:
        rules = len(self.session.config.section("policy.rules")) if self.session is not None else 0
        self.status_bar.show_pause(self.pause_btn.isChecked(), rules)

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

