"""Render the app's views of the demo project into PNG files (``make screenshots``).

Runs under Xvfb (started here when there is no display) so fonts and widgets render as on a
desktop; falls back to Qt's offscreen platform when Xvfb is missing.

    python -m ui.screenshots docs/screenshots
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SHOTS = ("main", "diff", "hotspots", "rules", "audit", "settings", "main-dark")


def _start_xvfb() -> subprocess.Popen[bytes] | None:
    if os.environ.get("DISPLAY") or not shutil.which("Xvfb"):
        return None
    for n in range(90, 120):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(50):
                if Path(f"/tmp/.X11-unix/X{n}").exists():
                    break
                time.sleep(0.1)
            os.environ["DISPLAY"] = f":{n}"
            os.environ["QT_QPA_PLATFORM"] = "xcb"
            return proc
    return None


def wait_until(cond: Callable[[], bool], timeout: float = 30.0) -> bool:
    from PySide6.QtCore import QCoreApplication, QEventLoop, QThreadPool

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if cond():
            return True
        time.sleep(0.02)
    QThreadPool.globalInstance()
    return False


def settle(window: Any, seconds: float = 0.6) -> None:
    from PySide6.QtCore import QThreadPool

    wait_until(lambda: QThreadPool.globalInstance().activeThreadCount() == 0, 60)
    end = time.monotonic() + seconds
    wait_until(lambda: time.monotonic() > end, seconds + 1)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0] if argv else "docs/screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    xvfb = _start_xvfb()
    if not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    work = Path(tempfile.mkdtemp(prefix="kaizen-shots-"))
    try:
        return _render(out, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(5)


def _render(out: Path, work: Path) -> int:
    os.environ["XDG_CONFIG_HOME"] = str(work / "config")  # keep the user's QSettings untouched
    os.environ["XDG_DATA_HOME"] = str(work / "data")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from ui.app import demo_source, tune_gc
    from ui.theme import apply_theme

    tune_gc(gui=True)

    app: Any = QApplication.instance() or QApplication(["kaizen"])
    app.setOrganizationName("Kaizen")
    app.setApplicationName("Kaizen-screenshots")
    apply_theme(app)
    project = work / "demo"
    shutil.copytree(demo_source(), project, ignore=shutil.ignore_patterns(".kaizen", "__pycache__", ".pytest_cache"))
    settings = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
    shots = _Shots(out)
    w, s = _open_window(settings, project)
    _trace_and_validate(w, s)
    _shoot_views(w, s, shots)
    _shoot_dark(app, settings, project, shots)
    print(f"{len(shots.written)} screenshots in {out}")
    return 0


class _Shots:
    """Grabs a window (or a widget of it) into ``out/<name>.png``."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.written: list[str] = []

    def take(self, name: str, window: Any, widget: Any = None) -> None:
        settle(window, 0.4)
        pix = (widget or window).grab()
        path = self.out / f"{name}.png"
        pix.save(str(path))
        self.written.append(str(path))
        print(f"wrote {path} ({pix.width()}x{pix.height()})")


def _open_window(settings: Any, project: Path) -> tuple[Any, Any]:
    from ui.mainwindow import MainWindow

    w = MainWindow(settings)
    w.resize(1440, 900)
    w.show()
    s = w.open_project(project, watch=True)
    wait_until(lambda: s.service is not None or s.config_error != "", 60)
    wait_until(lambda: w.model.rowCount() > 0, 60)
    settle(w)
    return w, s


def _trace_and_validate(w: Any, s: Any) -> None:
    """Trace first, so the list shows runtime evidence and the hotspots view has data; then
    validate the top few so the list shows real statuses."""
    w.tabs.setCurrentWidget(w.hotspots)
    w.hotspots.run_trace()
    wait_until(lambda: w.hotspots._worker is None, 180)
    settle(w, 1.0)
    w.tabs.setCurrentIndex(0)
    from ui import models as m

    # Advice has nothing to validate (it stays "pending"), and auto-apply may take a fix
    # away meanwhile (it is then no longer listed): wait for the others only.
    listed = [w.proxy.index(r, 0).data(m.SUGGESTION_ROLE) for r in range(w.proxy.rowCount())]
    firsts = [x for x in listed if x.patch is not None and x.patch.edits][:4]
    s.revalidate(firsts)

    def validated() -> bool:
        now = [s.suggestion(x.fingerprint) for x in firsts]
        return all(x is None or x.validation.done for x in now)

    wait_until(validated, 240)
    settle(w, 1.0)


def _shoot_views(w: Any, s: Any, shots: _Shots) -> None:
    from ui import models as m

    # The window's own first pick: the top suggestion with a validated diff.
    w.table.setFocus()
    shots.take("main", w)  # with the notification of the demo's automatic change, if it came
    w.toast.hide()  # the other views without it

    # The diff view: a suggestion with a multi-line fix, side by side.
    preferred = ("KZ502", "KZ205", "KZ402", "KZ401")
    found: dict[str, int] = {}
    for r in range(w.proxy.rowCount()):
        sug = w.proxy.index(r, 0).data(m.SUGGESTION_ROLE)
        if sug.patch is not None and sug.code in preferred:
            found.setdefault(sug.code, r)
    w.select_row(next((found[code] for code in preferred if code in found), 0))
    w.diff.set_mode("split")
    w.main_split.setSizes([260, 640])
    w.details_split.setSizes([900, 500])
    shots.take("diff", w)
    w.diff.set_mode("unified")

    w.tabs.setCurrentWidget(w.hotspots)
    shots.take("hotspots", w)

    w.tabs.setCurrentWidget(w.rules)
    w.rules.add_rule()
    w.rules.fields["codes"][1].setText("KZ1*, KZ5*")
    w.rules.fields["require-validation"][1].setCurrentText("none")
    w.rules.fields["max-changed-lines"][1].setValue(6)
    w.rules.fields["name"][1].setText("bug-fixes")
    w.rules.update_preview()
    shots.take("rules", w)

    _shoot_audit(w, s, shots)

    from ui.settings import SettingsDialog

    dlg = SettingsDialog(s, w)
    dlg.resize(760, 600)
    dlg.show()
    settle(w)
    shots.take("settings", w, dlg)
    dlg.close()
    w.close()


def _shoot_audit(w: Any, s: Any, shots: _Shots) -> None:
    """Accept two changes, undo one, verify the chain."""
    from ui import models as m

    w.tabs.setCurrentIndex(0)
    fixable = [w.proxy.index(r, 0).data(m.SUGGESTION_ROLE) for r in range(w.proxy.rowCount())]
    fixable = [x for x in fixable if x.patch is not None][:3]
    for x in fixable:
        if w.select_fingerprint(x.fingerprint):
            w.accept_selected()
            settle(w, 0.3)
    if fixable:
        s.undo()
        settle(w, 0.5)
    w.tabs.setCurrentWidget(w.audit)
    w.audit.reload()
    settle(w)
    w.audit.verify()
    settle(w)
    shots.take("audit", w)


def _shoot_dark(app: Any, settings: Any, project: Path, shots: _Shots) -> None:
    """Dark theme: a fresh window, as when the app starts on a dark desktop."""
    from PySide6.QtCore import QThreadPool

    import ui.theme as theme
    from ui import models as m
    from ui.mainwindow import MainWindow
    from ui.theme import apply_theme

    QThreadPool.globalInstance().waitForDone(60_000)
    theme.is_dark = lambda: True
    apply_theme(app)
    dark = MainWindow(settings)
    dark.resize(1440, 900)
    dark.show()
    s2 = dark.open_project(project, watch=True)
    wait_until(lambda: s2.service is not None, 60)
    wait_until(lambda: dark.model.rowCount() > 0, 60)
    settle(dark, 1.0)
    for r in range(dark.proxy.rowCount()):
        if dark.proxy.index(r, 0).data(m.SUGGESTION_ROLE).code in ("KZ502", "KZ205", "KZ103"):
            dark.select_row(r)
            break
    shots.take("main-dark", dark)
    dark.close()
    QThreadPool.globalInstance().waitForDone(60_000)
    dark.deleteLater()
    app.processEvents()


if __name__ == "__main__":
    sys.exit(main())
