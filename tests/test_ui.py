"""The desktop app on a real temporary project (a copy of the bundled demo)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QSettings, Qt, QThreadPool

from suggestions.model import Suggestion
from ui import models as m
from ui.app import demo_source, resolve_project
from ui.mainwindow import MainWindow

pytestmark = pytest.mark.gui
WAIT = 30_000


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    shutil.copytree(demo_source(), root, ignore=shutil.ignore_patterns(".kaizen", "__pycache__", ".pytest_cache"))
    # No auto-apply rules unless a test writes one: nothing changes files behind a test's back.
    toml = root / "kaizen.toml"
    toml.write_text(toml.read_text().split("[[policy.rules]]")[0])
    return root


@pytest.fixture
def window(qtbot, demo: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("EDITOR", "true")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.show()
    s = w.open_project(demo, watch=False)
    with qtbot.waitSignal(s.opened, timeout=WAIT):
        pass
    assert w.model.rowCount() > 0
    yield w
    w.close()
    QThreadPool.globalInstance().waitForDone(20_000)


def rows(w: MainWindow) -> list[Suggestion]:
    return [w.proxy.index(r, 0).data(m.SUGGESTION_ROLE) for r in range(w.proxy.rowCount())]


def select(w: MainWindow, code: str, path: str = "") -> Suggestion:
    for s in rows(w):
        if s.code == code and (not path or s.path == path):
            assert w.select_fingerprint(s.fingerprint)
            return s
    raise AssertionError(f"no {code} suggestion in the list")


def test_list_shows_ranked_suggestions_with_all_columns(window: MainWindow) -> None:
    w = window
    assert [w.model.headerData(i, Qt.Orientation.Horizontal) for i in range(len(m.COLUMNS))] == list(m.COLUMNS)
    codes = {s.code for s in rows(w)}
    assert {"KZ101", "KZ103", "KZ108"} <= codes
    ranks = [int(w.proxy.index(r, m.RANK).data()) for r in range(w.proxy.rowCount())]
    assert ranks == sorted(ranks) and ranks[0] == 1
    assert w.proxy.index(0, m.LOCATION).data().startswith("inventory/")


def test_accept_changes_the_file_and_undo_restores_it(window: MainWindow, demo: Path, qtbot) -> None:
    w = window
    models_py = demo / "inventory" / "models.py"
    before = models_py.read_bytes()
    s = select(w, "KZ103")
    w.table.setFocus()
    with qtbot.waitSignal(w.session.applied, timeout=WAIT):
        qtbot.keyClick(w.table, "a")
    after = models_py.read_bytes()
    assert after != before
    assert b"if result is None:" in after
    with qtbot.waitSignal(w.session.refreshed, timeout=WAIT):
        pass
    assert w.model.row_of(s.fingerprint) < 0  # fixed: gone from the list
    w.table.setFocus()
    with qtbot.waitSignal(w.session.undone, timeout=WAIT):
        qtbot.keyClick(w.table, "u")
    assert models_py.read_bytes() == before
    # The suggestion comes back once the file is analysed again.
    qtbot.waitUntil(lambda: w.model.row_of(s.fingerprint) >= 0, timeout=WAIT)


def test_batch_accept_of_a_selection(window: MainWindow, demo: Path, qtbot) -> None:
    w = window
    unused = [s for s in rows(w) if s.code == "KZ108"]
    assert len(unused) >= 2
    from PySide6.QtCore import QItemSelectionModel

    sel = w.table.selectionModel()
    sel.clearSelection()
    for s in unused:
        idx = w.proxy.mapFromSource(w.model.index(w.model.row_of(s.fingerprint), 0))
        sel.select(idx, QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    assert len(w.selected_suggestions()) == len(unused)
    with qtbot.waitSignal(w.session.applied, timeout=WAIT) as blocker:
        w.accept_btn.click()
    assert len(blocker.args[0]) == len(unused)
    text = (demo / "inventory" / "models.py").read_text()
    assert "import os" not in text and "import sys" not in text
    assert "from inventory.models import Item" not in (demo / "inventory" / "stock.py").read_text()


def test_reject_hides_the_suggestion_and_remembers_why(window: MainWindow, qtbot) -> None:
    w = window
    s = select(w, "KZ502")
    with qtbot.waitSignal(w.session.refreshed, timeout=WAIT):
        w.reject_selected("false positive")
    assert w.model.row_of(s.fingerprint) < 0
    decisions = w.session.store.decisions(s.fingerprint)
    assert decisions and decisions[-1].action.value == "reject"
    # Still hidden after a full re-analysis.
    with qtbot.waitSignal(w.session.refreshed, timeout=WAIT):
        w.session.rescan()
    qtbot.waitUntil(lambda: not w.session._refreshing, timeout=WAIT)
    assert w.model.row_of(s.fingerprint) < 0


def test_never_this_rule_writes_the_settings(window: MainWindow, demo: Path, qtbot) -> None:
    w = window
    select(w, "KZ402")
    w.reject_selected("never this rule")
    qtbot.waitUntil(lambda: "KZ402" in (demo / "kaizen.toml").read_text(), timeout=WAIT)
    qtbot.waitUntil(lambda: all(s.code != "KZ402" for s in w.model.suggestions()), timeout=WAIT)


def test_filter_and_search(window: MainWindow, qtbot) -> None:
    w = window
    total = w.proxy.rowCount()
    qtbot.keyClicks(w.search, "imported unused")
    shown = rows(w)
    assert shown and all(s.code == "KZ108" for s in shown)
    w.search.clear()
    assert w.proxy.rowCount() == total
    w.code_box.setText("KZ1")
    assert rows(w) and all(s.code.startswith("KZ1") for s in rows(w))
    w.code_box.setText("KZ4, KZ5")
    assert rows(w) and all(s.code[:3] in ("KZ4", "KZ5") for s in rows(w))
    w.code_box.clear()
    w.source_box.setCurrentText("llm")
    assert w.proxy.rowCount() == 0
    w.source_box.setCurrentText("static")
    assert w.proxy.rowCount() == total
    w.status_box.setCurrentText("passed")
    assert w.proxy.rowCount() == 0
    w.status_box.setCurrentText("Any status")
    # Folder: clicking a file in the tree narrows the list to it.
    item = w._tree_items["inventory/reports.py"]
    w.tree.clicked.emit(item.index())
    assert rows(w) and all(s.path == "inventory/reports.py" for s in rows(w))
    w._set_folder("")
    assert w.proxy.rowCount() == total
    # Sorting by another column keeps every row.
    w.table.sortByColumn(m.LOCATION, Qt.SortOrder.AscendingOrder)
    locs = [w.proxy.index(r, m.LOCATION).data(m.SORT_ROLE) for r in range(w.proxy.rowCount())]
    assert locs == sorted(locs)


def test_keyboard_shortcuts(window: MainWindow, qtbot) -> None:
    w = window
    w.select_row(0)
    w.table.setFocus()
    first = w.current_suggestion()
    qtbot.keyClick(w.table, "j")
    second = w.current_suggestion()
    assert second is not None and second.fingerprint != first.fingerprint
    qtbot.keyClick(w.table, "k")
    assert w.current_suggestion().fingerprint == first.fingerprint
    qtbot.keyClick(w.table, "/")
    assert w.search.hasFocus()
    qtbot.keyClicks(w.search, "jak")  # typing in the search box is text, not shortcuts
    assert w.search.text() == "jak"
    assert w.current_suggestion() is None or w.current_suggestion().fingerprint == first.fingerprint


def test_selection_survives_live_updates(window: MainWindow, demo: Path, qtbot) -> None:
    w = window
    s = select(w, "KZ101", "inventory/models.py")
    # Edit another file: the list changes (the service re-analyses it), the selection stays.
    reports = demo / "inventory" / "reports.py"
    reports.write_text(reports.read_text() + "\n\ndef extra(x):\n    if x == None:\n        return 1\n")
    with qtbot.waitSignal(w.session.refreshed, timeout=WAIT):
        w.session.rescan(["inventory/reports.py"])
    qtbot.waitUntil(lambda: any(x.path == "inventory/reports.py" and x.code == "KZ103" for x in rows(w)),
                    timeout=WAIT)
    assert w.current_suggestion().fingerprint == s.fingerprint


def test_event_refresh_skips_ranking_when_nothing_changed(window: MainWindow, demo: Path, qtbot) -> None:
    """Service events that change nothing do not re-rank the list (on a big project that
    work starves the window of the GIL); a change set reaches the list as it is, scored and
    placed, without a re-read or a re-rank of the rest."""
    w, session = window, window.session
    with qtbot.waitSignal(session.refreshed, timeout=WAIT):
        session.refresh()  # settle: the list is built from the service's current revision
    ranked: list[int] = []
    real_current = session.current
    session.current = lambda: ranked.append(1) or real_current()  # type: ignore[method-assign]
    for _ in range(3):
        session._rerank_wanted = True  # as after a settings event
        with qtbot.waitSignal(session.refreshed, timeout=WAIT):
            session._on_debounced()
    assert ranked == []
    reports = demo / "inventory" / "reports.py"
    reports.write_text(reports.read_text() + "\n\ndef extra(x):\n    if x == None:\n        return 1\n")
    with qtbot.waitSignal(session.changed, timeout=WAIT):
        session.service.handle_paths(["inventory/reports.py"])  # its CHANGED event, as the watcher's
    added = [x for x in rows(w) if x.path == "inventory/reports.py" and x.code == "KZ103"]
    assert added and added[0].score != 0.0  # scored: placed by score among the others
    assert ranked == []


def test_model_updates_incrementally(qtbot) -> None:
    from suggestions.model import Applicability, Span

    def sug(i: int, title: str = "t") -> Suggestion:
        return Suggestion(f"{i:040x}", "KZ101", f"{title} {i}", "r", f"a/f{i % 7}.py", Span(i, 0, i, 1), None,
                          Applicability.SAFE, 0.9)

    model = m.SuggestionTableModel()
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    with qtbot.waitSignal(model.rowsInserted):
        model.apply([sug(i) for i in range(100)], [], [])
    assert model.rowCount() == 100
    with qtbot.waitSignal(model.dataChanged):
        model.apply([], [sug(5, "changed")], [])
    assert model.suggestion(model.row_of(f"{5:040x}")).title == "changed 5"
    with qtbot.waitSignal(model.rowsRemoved):
        model.apply([], [], [f"{i:040x}" for i in (1, 2, 3, 50, 99)])
    assert model.rowCount() == 95
    assert [model.suggestion(r).fingerprint for r in range(model.rowCount())] == [
        f"{i:040x}" for i in range(100) if i not in (1, 2, 3, 50, 99)]
    assert all(model.row_of(model.suggestion(r).fingerprint) == r for r in range(95))
    assert not resets


def _many(n: int, title: str = "t") -> list[Suggestion]:
    from suggestions.model import Applicability, Span

    return [Suggestion(f"{i:040x}", "KZ101", f"{title} {i}", "r", f"a/f{i % 7}.py", Span(i + 1, 0, i + 1, 1), None,
                       Applicability.SAFE, 0.9) for i in range(n)]


def test_a_big_list_lands_in_chunks_keeping_order_updates_and_selection(qtbot, tmp_path: Path) -> None:
    w = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.show()
    items = _many(3 * w.CHUNK + 7)
    w._changed(items, [], [])
    w.model.set_ranks([s.fingerprint for s in items])
    assert w.model.rowCount() < len(items)  # the rest waits for later passes of the event loop
    w._drain_timer.stop()
    w._drain_added()  # the first chunk, as the next pass of the event loop would
    assert w.model.rowCount() == w.CHUNK
    assert w.select_fingerprint(items[3].fingerprint)
    # The count grows from 3 digits to 4 without resizing its label (which would lay out
    # and repaint the whole window on every chunk).
    width = w.count_label.width()
    w._drain_timer.start()
    # A change set while rows still wait: an update to a waiting row is not lost, a removed
    # waiting row never appears, and the waiting rows keep their (rank) order.
    late = items[-1].replace(title="updated while waiting")
    w._changed([], [late], [items[-2].fingerprint])
    qtbot.waitUntil(lambda: not w._pending_added, timeout=WAIT)
    fps = [w.model.suggestion(r).fingerprint for r in range(w.model.rowCount())]
    assert fps == [s.fingerprint for s in items if s.fingerprint != items[-2].fingerprint]
    assert w.model.suggestion(w.model.row_of(late.fingerprint)).title == "updated while waiting"
    assert w.current_suggestion().fingerprint == items[3].fingerprint
    assert w.count_label.text() == f"{len(items) - 1} suggestions"
    assert w.count_label.width() == width == w.count_label.sizeHint().width()


def test_list_delegate_shows_what_the_model_says(qtbot, tmp_path: Path) -> None:
    """The list's delegate fills a cell in one call; it must match the stock, role-by-role one."""
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

    from suggestions.model import Validation, ValidationStatus

    w = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    items = _many(4)
    items[1] = items[1].replace(validation=Validation(ValidationStatus.FAILED, at=1.0))
    items[2] = items[2].replace(validation=Validation(ValidationStatus.PASSED, at=1.0), title="two\nlines")
    w.model.apply(items, [], [])
    w.model.set_ranks([s.fingerprint for s in items])
    ours = w.table.itemDelegate()
    assert type(ours) is not QStyledItemDelegate
    stock = QStyledItemDelegate()
    for r in range(w.proxy.rowCount()):
        for c in range(len(m.COLUMNS)):
            idx = w.proxy.index(r, c)
            a, b = QStyleOptionViewItem(), QStyleOptionViewItem()
            ours.initStyleOption(a, idx)
            stock.initStyleOption(b, idx)
            assert (a.text, a.displayAlignment, a.features) == (b.text, b.displayAlignment, b.features), (r, c)
            text = QPalette.ColorRole.Text
            assert a.palette.color(text) == b.palette.color(text), (r, c)
    failed = QStyleOptionViewItem()
    ours.initStyleOption(failed, w.proxy.index(1, m.VALIDATION))
    assert failed.text == "failed" and failed.palette.color(QPalette.ColorRole.Text).name() == "#cf222e"


def test_rule_edited_in_the_editor_changes_the_preview(window: MainWindow, demo: Path, qtbot) -> None:
    w = window
    ed = w.rules
    w.tabs.setCurrentWidget(ed)
    ed.add_rule()
    name, codes = ed.fields["name"][1], ed.fields["codes"][1]
    name.setText("unused-imports")
    ed.fields["require-validation"][1].setCurrentText("none")
    codes.setText("KZ999")
    with qtbot.waitSignal(ed._timer.timeout, timeout=WAIT):
        pass
    assert "unused-imports: 0 would apply" in _preview_heads(ed)
    codes.clear()
    qtbot.keyClicks(codes, "KZ108")
    with qtbot.waitSignal(ed._timer.timeout, timeout=WAIT):
        pass
    n_unused = sum(1 for s in w.model.suggestions() if s.code == "KZ108")
    assert f"unused-imports: {n_unused} would apply" in _preview_heads(ed)
    # Invalid input is shown in place and never saved.
    before = (demo / "kaizen.toml").read_text()
    ed.fields["applicability"][1].setText("sometimes")
    assert ed.errors["applicability"].isVisibleTo(ed)
    assert "sometimes" in ed.errors["applicability"].text()
    assert not ed.save_btn.isEnabled()
    ed.save()
    assert (demo / "kaizen.toml").read_text() == before
    ed.fields["applicability"][1].setText("safe")
    assert ed.save_btn.isEnabled()
    ed.save()
    import tomllib

    saved = tomllib.loads((demo / "kaizen.toml").read_text())["policy"]["rules"]
    assert [r["name"] for r in saved] == ["unused-imports"]
    assert saved[0]["codes"] == ["KZ108"]


def _preview_heads(ed) -> list[str]:
    return [ed.preview.topLevelItem(i).text(0) for i in range(ed.preview.topLevelItemCount())]


def test_audit_view_verify_export_and_undo(window: MainWindow, demo: Path, tmp_path: Path, qtbot) -> None:
    w = window
    models_py = demo / "inventory" / "models.py"
    before = models_py.read_bytes()
    select(w, "KZ501")
    with qtbot.waitSignal(w.session.applied, timeout=WAIT):
        w.accept_selected()
    assert b"super().__init__" in models_py.read_bytes()
    audit = w.audit
    audit.reload()
    qtbot.waitUntil(lambda: audit.table.topLevelItemCount() == 1, timeout=WAIT)
    audit.verify()
    qtbot.waitUntil(lambda: "verified" in audit.verify_label.text(), timeout=WAIT)
    out = audit.export("md", str(tmp_path / "audit.md"))
    assert out and "super" in Path(out).read_text()
    audit.table.setCurrentItem(audit.table.topLevelItem(0))
    assert audit.undo_btn.isEnabled()
    with qtbot.waitSignal(w.session.undone, timeout=WAIT):
        audit.undo_btn.click()
    assert models_py.read_bytes() == before


def test_diff_view_modes_and_details(window: MainWindow) -> None:
    w = window
    s = select(w, "KZ103")
    html_unified = w.diff.browser.toHtml()
    assert "is" in w.diff.browser.toPlainText() and "==" in w.diff.browser.toPlainText()
    w.diff.set_mode("split")
    assert w.diff.browser.toHtml() != html_unified
    assert "Why it ranks here" in w.details.toPlainText()
    assert s.title.split("`")[0].strip() in w.details.toPlainText()


def test_pause_switch_is_persisted(window: MainWindow) -> None:
    w = window
    assert not w.session.paused()
    w.pause_btn.click()
    assert w.session.paused()
    assert "PAUSED" in w.pause_btn.text()
    w.pause_btn.click()
    assert not w.session.paused()
    # The switch says whether any rule asks for automatic changes.
    assert w.pause_btn.text() == "Automatic changes: on · no rules yet"
    assert "0 auto-apply rules" in w.pause_btn.toolTip()
    toml = w.session.root / "kaizen.toml"
    toml.write_text(toml.read_text() + '\n[[policy.rules]]\nname = "none-such"\ncodes = ["KZ999"]\n')
    w.session.reload_config()
    w._pause_label()
    assert w.pause_btn.text() == "Automatic changes: on" and "1 auto-apply rule " in w.pause_btn.toolTip()


def test_settings_dialog_writes_only_changes(window: MainWindow, demo: Path) -> None:
    from ui.settings import SettingsDialog

    dlg = SettingsDialog(window.session, window)
    _opt, widget = dlg.widgets[("editor", "command")]
    widget.setText("code -g {file}:{line}")
    dlg.widgets[("thresholds", "parameters")][1].setValue(9)
    dlg.save()
    import tomllib

    data = tomllib.loads((demo / "kaizen.toml").read_text())
    assert data["editor"]["command"] == "code -g {file}:{line}"
    assert data["thresholds"] == {"parameters": 9}
    assert data["validation"]["test-command"].startswith("python -m pytest")


def test_opening_without_argument_uses_last_then_demo(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    demo = resolve_project(None, None)
    assert demo == tmp_path / "data" / "kaizen" / "demo"
    assert (demo / "inventory" / "stock.py").is_file()
    assert resolve_project(None, str(tmp_path)) == tmp_path
    assert resolve_project(None, str(tmp_path / "gone")) == demo


def test_recent_projects_and_geometry_persist(window: MainWindow, demo: Path, tmp_path: Path) -> None:
    w = window
    w.main_split.setSizes([300, 500])
    w.save_state()
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert settings.value("project/last") == str(demo.resolve())
    w2 = MainWindow(settings)
    assert w2.recent_projects()[0] == str(demo.resolve())
    assert w2.main_split.sizes() == w.main_split.sizes() or w2.main_split.saveState() == w.main_split.saveState()
    w2.close()


def test_pause_switch_stops_an_auto_apply(window: MainWindow, demo: Path, qtbot) -> None:
    w = window
    s = w.session
    assert s.applier is not None
    # A rule for unused imports in reports.py (which has none yet); no quiet period.
    toml = demo / "kaizen.toml"
    toml.write_text(toml.read_text() + '\n[policy]\nquiet-seconds = 0.0\n\n[[policy.rules]]\nname = "imports"\n'
                    'codes = ["KZ108"]\npaths = ["inventory/reports.py"]\nrequire-validation = "none"\n')
    w.pause_btn.click()
    assert s.paused() and "PAUSED" in w.pause_btn.text()
    reports = demo / "inventory" / "reports.py"
    reports.write_text("import json\n" + reports.read_text())
    passes = s.applier.passes
    s.rescan(["inventory/reports.py"])
    qtbot.waitUntil(lambda: s.applier.passes > passes, timeout=WAIT)
    qtbot.waitUntil(lambda: any(x.code == "KZ108" and x.path == "inventory/reports.py" for x in rows(w)),
                    timeout=WAIT)
    assert reports.read_text().startswith("import json")  # paused: nothing applied
    # Resuming lets the waiting change apply itself, with an unobtrusive Undo notification.
    with qtbot.waitSignal(s.auto_applied, timeout=120_000) as blocker:
        w.pause_btn.click()
    assert blocker.args[0].code == "KZ108"
    assert not reports.read_text().startswith("import json")
    assert w.toast.isVisible() and w.toast.action.text() == "Undo"
    with qtbot.waitSignal(s.undone, timeout=WAIT):
        w.toast.action.click()
    assert reports.read_text().startswith("import json")


def test_data_returning_none_keeps_none_alive(qtbot) -> None:
    """PySide6 6.12 loses a reference to None per ``data()`` that returns it (fatal on 3.11)."""
    import sys

    from PySide6.QtCore import QSortFilterProxyModel

    from suggestions.model import Applicability, Span

    model = m.SuggestionTableModel()
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    model.apply([Suggestion("f" * 40, "KZ101", "t", "r", "a.py", Span(1, 0, 1, 1), None,
                            Applicability.SAFE, 0.9)], [], [])
    idx = proxy.index(0, 0)
    proxy.data(idx, Qt.ItemDataRole.UserRole + 77)  # the probe runs on first use
    before = sys.getrefcount(None)
    for _ in range(20_000):
        proxy.data(idx, Qt.ItemDataRole.UserRole + 77)
        proxy.headerData(0, Qt.Orientation.Vertical)
    assert abs(sys.getrefcount(None) - before) < 100


def test_many_signals_do_not_abort_the_interpreter() -> None:
    """PySide6 6.12 loses a reference to True per ``emit()`` (fatal on 3.11 after ~2,000)."""
    import subprocess
    import sys

    code = (
        "from PySide6.QtCore import QObject, Signal\n"
        "from ui import models as m\n"
        "model = m.SuggestionTableModel()\n"
        "class Probe(QObject):\n"
        "    fired = Signal()\n"
        "p = Probe()\n"
        "p.fired.connect(lambda: None)\n"
        "for _ in range(20_000):\n"
        "    p.fired.emit()\n"
        "print('alive')\n"
    )
    root = Path(__file__).resolve().parent.parent
    r = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120,
                       env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 0 and "alive" in r.stdout, r.stderr[-2000:]


def test_open_in_editor_runs_the_configured_command(window: MainWindow, demo: Path, tmp_path: Path,
                                                    qtbot) -> None:
    import sys

    from ui.settings import SettingsDialog

    out = tmp_path / "opened.txt"
    cmd = (f"{sys.executable} -c \"import sys; open(sys.argv[3], 'w').write(sys.argv[1] + ':' + sys.argv[2])\""
           f" {{file}} {{line}} {out}")
    dlg = SettingsDialog(window.session, window)
    dlg.widgets[("editor", "command")][1].setText(cmd)
    dlg.save()
    window.session.reload_config()
    s = select(window, "KZ103")
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    qtbot.waitUntil(out.exists, timeout=WAIT)
    qtbot.waitUntil(lambda: out.read_text() != "", timeout=WAIT)
    assert out.read_text() == f"{demo.resolve() / s.path}:{s.line}"


@pytest.mark.slow
def test_trace_then_llm_suggestion_is_validated_and_listed(qtbot, tmp_path: Path, monkeypatch) -> None:
    from tests.llm_server import Reply, ScriptedServer
    from tests.test_llm_e2e import CALC, GOOD_FIX, make

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for k in [k for k in __import__("os").environ if k.startswith(("OPENAI_", "KAIZEN_LLM"))]:
        monkeypatch.delenv(k)
    project = tmp_path / "proj"
    project.mkdir()
    with ScriptedServer() as server:
        make(project, server.base_url)
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        w = MainWindow(settings)
        qtbot.addWidget(w)
        w.show()
        s = w.open_project(project, watch=False)
        with qtbot.waitSignal(s.opened, timeout=WAIT):
            pass
        # The trace runs the project's (failing) tests with progress, then fills the hotspots view.
        with qtbot.waitSignal(s.trace_changed, timeout=180_000):
            w.hotspots.run_trace()
        qtbot.waitUntil(lambda: w.hotspots.table.topLevelItemCount() > 0, timeout=WAIT)
        failures = [w.hotspots.failures.topLevelItem(i).text(0)
                    for i in range(w.hotspots.failures.topLevelItemCount())]
        assert any("test_total" in f for f in failures)
        server.push(Reply(GOOD_FIX))
        with qtbot.waitSignal(s.llm_answered, timeout=240_000):
            s.ask_llm()
        assert w.status_bar.llm_funnel.isVisible()  # the run's funnel, shown when the LLM answered
        assert w.status_bar.llm_funnel.text().startswith("LLM 1 → 1 → 1 → 1 → 1")
        qtbot.waitUntil(lambda: any(x.source.value == "llm" for x in w.model.suggestions()), timeout=240_000)
        (fix,) = [x for x in w.model.suggestions() if x.source.value == "llm"]
        assert fix.validation.status.value == "passed"
        assert (project / "pkg/calc.py").read_text() == CALC  # listed, not applied
        w.close()
    QThreadPool.globalInstance().waitForDone(20_000)


def test_hotspots_mark_estimated_times(qtbot) -> None:
    from ui.hotspots import HotspotsView

    view = HotspotsView()
    qtbot.addWidget(view)
    rows = [
        {"function": "hot", "path": "a.py", "line": 3, "calls": 9000, "own_s": 0.2, "total_s": 0.3,
         "own_share": 0.5, "total_share": 0.6, "exceptions": 0, "time_exact": False},
        {"function": "cold", "path": "a.py", "line": 9, "calls": 2, "own_s": 0.001, "total_s": 0.001,
         "own_share": 0.01, "total_share": 0.01, "exceptions": 0, "time_exact": True},
    ]
    view._show(({"command": "pytest", "started": 0, "duration": 1.0}, rows, []))
    shown = {view.table.topLevelItem(i).text(0): view.table.topLevelItem(i) for i in range(2)}
    # Own time is column 5 (4 is CPU time: not measured in these rows, so "-").
    assert shown["hot"].text(5) == "~200.0 ms" and shown["hot"].toolTip(5)
    assert shown["cold"].text(5) == "1.0 ms" and not shown["cold"].toolTip(5)
    assert shown["hot"].text(4) == shown["cold"].text(4) == "-"


def test_first_look_shows_a_diff_and_keeps_the_automatic_change_in_view(window: MainWindow, qtbot) -> None:
    w = window
    first = rows(w)[0]
    assert first.patch is None  # the demo's top suggestion is advice: an empty diff pane ...
    shown = w.current_suggestion()
    assert shown is not None and shown.patch is not None and shown.patch.edits  # ... so not it
    assert shown.fingerprint == next(s for s in rows(w) if s.patch is not None).fingerprint
    # Once the user picks a row, the window no longer picks for them.
    assert w.select_fingerprint(first.fingerprint)
    with qtbot.waitSignal(w.session.refreshed, timeout=WAIT):
        w.session.refresh()
    assert w.current_suggestion().fingerprint == first.fingerprint
    # An automatic change stays in view (with Undo) until it is closed or undone.
    w._auto_applied(shown)
    assert w.toast.isVisible() and w.toast.action.text() == "Undo" and not w.toast._timer.isActive()
    w.toast.close_btn.click()
    assert not w.toast.isVisible()


# --- validation strength (issue #19): the list, the details pane, "Validate my changes" ----------


def _strong(status: str = "passed", grade: str = "proven") -> Suggestion:
    from suggestions.model import Applicability, Grade, Span, Strength, Validation, ValidationStatus

    st = Strength(grade=Grade(grade), changed_lines=(3, 4, 5), changed_lines_run=(3, 4, 5),
                  covering_tests=("tests/test_a.py::t1", "tests/test_a.py::t2"), mutants=8, mutants_killed=6,
                  survivors=("line 12 `<` → `>=`", "line 14 `+` → `-`"), replayed=5, mismatches=0,
                  speedup_pairs=5, speedup_median=1.42, speedup_low=1.30, speedup_high=1.55,
                  touches_tests=("edits tests/test_a.py",))
    v = Validation(ValidationStatus(status), tests_run=("tests/test_a.py::t1", "tests/test_a.py::t2"),
                   duration_s=2.5, at=1.0, strength=st)
    return Suggestion("f" * 40, "KZ999", "a title", "a rationale", "a.py", Span(3, 0, 3, 0), None,
                      Applicability.SAFE, 0.9, validation=v)


def test_details_pane_says_the_evidence_in_words(qtbot) -> None:
    import html

    from ui.details import details_html

    text = details_html(_strong(), "")
    expected = ("3 of 3 changed lines ran in 2 tests; the tests killed 6 of 8 mutants (survived: line 12 `<` → "
                "`>=`, line 14 `+` → `-`); 5 recorded calls replayed, 0 differences; speed-up \u00d71.42 (95% "
                "interval \u00d71.30\u2013\u00d71.55, 5 pairs); touches the tests: edits tests/test_a.py")
    assert html.escape(expected[:1].upper() + expected[1:]) + "." in text
    assert ">proven</b>" in text and "Proven: every changed line ran" in text
    assert "changed_lines" not in text and "{" not in text.split("<h4>Validation</h4>")[1]  # words, not JSON


def test_the_list_shows_proven_and_unverified_apart_from_passed(qtbot) -> None:
    from suggestions.model import Validation, ValidationStatus

    model = m.SuggestionTableModel()
    proven = _strong()
    passed = _strong(grade="passed").replace(fingerprint="e" * 40)
    unverified = proven.replace(fingerprint="d" * 40, validation=Validation(ValidationStatus.UNVERIFIED, at=1.0))
    model.apply([proven, passed, unverified], [], [])
    cells = [model.cell(r, m.VALIDATION) for r in range(3)]
    assert [text for text, _a, _c in cells] == ["proven", "passed", "unverified"]
    assert len({c.name() for _t, _a, c in cells if c is not None}) == 3  # three colours
    assert model.index(0, m.VALIDATION).data(Qt.ItemDataRole.ForegroundRole).name() == cells[0][2].name()


def test_validate_my_changes_on_a_folder_without_git_says_so(window: MainWindow, qtbot) -> None:
    w = window
    w.validate_changes_act.trigger()
    assert w.changes.dialog.isVisible() and w.changes.dialog.state == "running"
    with qtbot.waitSignal(w.changes.finished, timeout=WAIT) as blocker:
        pass
    assert "is not in a git repository" in str(blocker.args[0])
    assert w.changes.dialog.state == "problem"
    assert "is not in a git repository" in w.changes.dialog.view.toPlainText()


@pytest.mark.slow
def test_validate_my_changes_shows_the_grade_and_evidence(qtbot, tmp_path: Path, monkeypatch) -> None:
    import subprocess

    from tests.conftest import write

    root = tmp_path / "calc"
    write(root, {"calc/__init__.py": "", "calc/ops.py": "def add(a, b):\n    return a + b\n",
                 "tests/__init__.py": "",
                 "tests/test_ops.py": "from calc.ops import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"})
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.email=a@b", "-c", "user.name=a", "-c", "commit.gpgsign=false", "commit", "-qm", "base"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    w = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.show()
    try:
        s = w.open_project(root, watch=False)
        with qtbot.waitSignal(s.opened, timeout=WAIT):
            pass
        # A clean working tree: nothing to validate, said in a sentence.
        w.validate_my_changes()
        with qtbot.waitSignal(w.changes.finished, timeout=WAIT) as blocker:
            pass
        assert "nothing to validate" in str(blocker.args[0]) and w.changes.dialog.state == "problem"
        (root / "calc" / "ops.py").write_text("def add(a, b):\n    return b + a\n")
        before = (root / "calc" / "ops.py").stat().st_mtime_ns
        w.validate_my_changes()
        with qtbot.waitSignal(w.changes.finished, timeout=240_000) as blocker:
            pass
        result = blocker.args[0]
        assert result.validation.status.value == "passed", result.validation.log
        text = w.changes.dialog.view.toPlainText()
        assert w.changes.dialog.state == "done"
        assert "calc/ops.py (modify, +1 -1)" in text
        assert "1 of 1 changed line ran in 1 test" in text
        assert (root / "calc" / "ops.py").stat().st_mtime_ns == before
    finally:
        w.close()
        QThreadPool.globalInstance().waitForDone(20_000)


# --- a stable list (issue #21) -------------------------------------------------------------


def test_a_rerank_keeps_the_row_under_the_cursor_in_place(qtbot) -> None:
    from ui.suggestion_table import SuggestionTable

    model = m.SuggestionTableModel()
    proxy = m.SuggestionFilter()
    proxy.setSourceModel(model)
    table = SuggestionTable(proxy)
    qtbot.addWidget(table)
    table.resize(600, 24 * 12)
    table.show()
    qtbot.waitExposed(table)
    items = _many(60)
    fps = [s.fingerprint for s in items]
    model.apply(items, [], [])
    model.set_ranks(fps)
    table.scrollTo(proxy.index(20, 0))
    chosen = proxy.index(25, 0)
    table.setCurrentIndex(chosen)
    table.scrollTo(chosen)
    current = chosen.data(m.SUGGESTION_ROLE).fingerprint
    row_before = table.currentIndex().row()
    at = table.rowViewportPosition(row_before)
    assert 0 <= at < table.viewport().height()
    # A re-rank that moves it far down (and reorders the rest).
    new_order = [fp for fp in reversed(fps) if fp != current]
    new_order.insert(50, current)
    model.set_ranks(new_order)
    idx = table.currentIndex()
    assert idx.data(m.SUGGESTION_ROLE).fingerprint == current  # the same suggestion...
    assert idx.row() == 50  # ...in its new place in rank order...
    assert table.rowViewportPosition(idx.row()) == at  # ...still under the cursor on screen
    assert int(proxy.index(idx.row(), m.RANK).data()) == 51


def test_accept_selects_the_next_row_in_place_and_the_details_show_the_current_rank(window: MainWindow,
                                                                                  qtbot) -> None:
    w = window
    listed = rows(w)
    i = next(k for k, s in enumerate(listed) if s.patch is not None and s.validation.status.value != "failed")
    w.select_row(i)
    first, following = listed[i], listed[i + 1]
    at = w.table.rowViewportPosition(i)
    w.table.setFocus()
    # The applied change, then the re-rank after the decision.
    with qtbot.waitSignal(w.session.refreshed, timeout=WAIT), qtbot.waitSignal(w.session.applied, timeout=WAIT):
        qtbot.keyClick(w.table, "a")
    qtbot.waitUntil(lambda: w.model.row_of(first.fingerprint) < 0, timeout=WAIT)
    current = w.current_suggestion()
    assert current is not None and current.fingerprint == following.fingerprint
    assert w.table.rowViewportPosition(w.table.currentIndex().row()) == at
    rank = w.model._rank[current.fingerprint]
    assert int(w.proxy.index(w.table.currentIndex().row(), m.RANK).data()) == rank
    assert f"ranked {_ordinal(rank)}," in w.details.shown


def _ordinal(n: int) -> str:
    from suggestions.rank.ranking import ordinal

    return ordinal(n)


def test_apply_all_safe_fixes_from_the_window_is_one_undo(window: MainWindow, demo: Path, qtbot) -> None:
    w = window
    before = {p: p.read_bytes() for p in demo.rglob("*.py")}
    safe = [s for s in rows(w) if s.applicability.value == "safe" and s.patch is not None]
    assert safe
    with qtbot.waitSignal(w.session.applied, timeout=WAIT) as applied:
        w.apply_safe_act.trigger()
    assert len(applied.args[0]) >= len({(s.path, s.line) for s in safe}) // 2
    assert {p: p.read_bytes() for p in demo.rglob("*.py")} != before
    with qtbot.waitSignal(w.session.undone, timeout=WAIT):
        w.undo_last()
    assert {p: p.read_bytes() for p in demo.rglob("*.py")} == before
