"""What the window remembers between runs, in its QSettings: recent projects, geometry, splitters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QHeaderView, QMainWindow, QSplitter

__all__ = ["MAX_RECENT", "RecentProjects", "restore_layout", "save_layout"]

MAX_RECENT = 8


class RecentProjects:
    """Most recent first, at most :data:`MAX_RECENT`; the last one is also ``project/last``."""

    def __init__(self, settings: QSettings) -> None:
        self.settings = settings

    def paths(self) -> list[str]:
        raw: Any = self.settings.value("project/recent", [])
        if isinstance(raw, str):
            raw = [raw]
        return [p for p in (raw or []) if isinstance(p, str)]

    def remember(self, root: Path) -> None:
        recent = [str(root)] + [p for p in self.paths() if p != str(root)]
        self.settings.setValue("project/recent", recent[:MAX_RECENT])
        self.settings.setValue("project/last", str(root))


def restore_layout(settings: QSettings, window: QMainWindow, splitters: dict[str, QSplitter],
                   header: QHeaderView) -> None:
    """The geometry, splitter positions and list columns saved by :func:`save_layout`."""
    geo = settings.value("window/geometry")
    if isinstance(geo, QByteArray | bytes):
        window.restoreGeometry(geo)
    for name, split in splitters.items():
        state = settings.value(f"splitters/{name}")
        if isinstance(state, QByteArray | bytes):
            split.restoreState(state)
    state = settings.value("table/header")
    if isinstance(state, QByteArray | bytes):
        header.restoreState(state)


def save_layout(settings: QSettings, window: QMainWindow, splitters: dict[str, QSplitter],
                header: QHeaderView) -> None:
    settings.setValue("window/geometry", window.saveGeometry())
    for name, split in splitters.items():
        settings.setValue(f"splitters/{name}", split.saveState())
    settings.setValue("table/header", header.saveState())
    settings.sync()
