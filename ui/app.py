"""Kaizen's desktop app: entry point and project opening."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from suggestions.project.memory import gc_tuned, tune_gc

__all__ = ["demo_source", "gc_tuned", "resolve_project", "run_gui", "tune_gc", "user_data_dir"]

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def demo_source() -> Path:
    return RESOURCES / "demo"


def user_data_dir() -> Path:
    """A per-user writable folder (Kaizen never writes into its install)."""
    import os

    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "kaizen"


def demo_project() -> Path:
    """The bundled demo, copied on first use into the user's data folder."""
    target = user_data_dir() / "demo"
    if not (target / "inventory").is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(
            demo_source(), target, dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(".kaizen", "__pycache__", ".pytest_cache"),
        )
    return target


def resolve_project(path: str | None, last: str | None) -> Path:
    """The argument, else the last project, else the demo copy."""
    if path:
        return Path(path).expanduser().resolve()
    if last and Path(last).is_dir():
        return Path(last)
    return demo_project()


def run_gui(path: str | None = None) -> int:
    """Open the desktop app on ``path`` (None: last project, else the demo)."""
    if path and not Path(path).is_dir():
        print(f"kaizen: error: not a folder: {path}", file=sys.stderr)
        return 2
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from ui.mainwindow import MainWindow
    from ui.theme import apply_theme

    tune_gc(gui=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("Kaizen")
    app.setApplicationName("Kaizen")
    apply_theme(app)
    settings = QSettings()
    last = settings.value("project/last", None)
    root = resolve_project(path, last if isinstance(last, str) else None)
    window = MainWindow(settings)
    window.show()
    window.open_project(root)
    return int(app.exec())
