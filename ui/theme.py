"""Light and dark themes that follow the system palette."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette

from suggestions.terminal import printable

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
ICONS = RESOURCES / "icons"


def is_dark() -> bool:
    app = QGuiApplication.instance()
    if app is None:
        return False
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if scheme is not None:
        s = scheme()
        if s == Qt.ColorScheme.Dark:
            return True
        if s == Qt.ColorScheme.Light:
            return False
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


_ICONS: dict[str, QIcon] = {}


def icon(name: str) -> QIcon:
    """An SVG icon from resources/icons (sharp at any DPI); loaded once."""
    cached = _ICONS.get(name)
    if cached is None:
        path = ICONS / f"{name}.svg"
        cached = _ICONS[name] = QIcon(str(path)) if path.exists() else QIcon()
    return cached


def colors() -> dict[str, str]:
    if is_dark():
        return {"add": "#1c3325", "del": "#3a2226", "add_strong": "#2f6b45", "del_strong": "#7a3038",
                "muted": "#9aa4ae", "text": "#e6e6e6", "bg": "#1e2227", "accent": "#4da3ff",
                "hunk": "#2a3340", "bar": "#4da3ff", "ok": "#5cc98b", "bad": "#ff7b7b", "warn": "#e5c07b"}
    return {"add": "#e6ffec", "del": "#ffebe9", "add_strong": "#abf2bc", "del_strong": "#ffb3ad",
            "muted": "#57606a", "text": "#1f2328", "bg": "#ffffff", "accent": "#0969da",
            "hunk": "#ddf4ff", "bar": "#0969da", "ok": "#1a7f37", "bad": "#cf222e", "warn": "#9a6700"}


def apply_theme(app: Any) -> None:
    """Load the stylesheet matching the system palette."""
    dark = is_dark()
    if dark:
        pal = QPalette()
        for role, c in ((QPalette.ColorRole.Window, "#23272e"), (QPalette.ColorRole.Base, "#1e2227"),
                        (QPalette.ColorRole.AlternateBase, "#262b33"), (QPalette.ColorRole.Text, "#e6e6e6"),
                        (QPalette.ColorRole.WindowText, "#e6e6e6"), (QPalette.ColorRole.Button, "#2c313a"),
                        (QPalette.ColorRole.ButtonText, "#e6e6e6"), (QPalette.ColorRole.Highlight, "#2f5d8a"),
                        (QPalette.ColorRole.HighlightedText, "#ffffff"), (QPalette.ColorRole.ToolTipBase, "#2c313a"),
                        (QPalette.ColorRole.ToolTipText, "#e6e6e6"), (QPalette.ColorRole.PlaceholderText, "#8a929b")):
            pal.setColor(role, QColor(c))
        app.setPalette(pal)
    qss = RESOURCES / ("dark.qss" if dark else "light.qss")
    if qss.exists():
        app.setStyleSheet(qss.read_text(encoding="utf-8"))


def html_text(text: str) -> str:
    """Text from a file name, a model or a message, safe inside rich text: escaped as HTML,
    with control and bidi characters made visible."""
    import html

    return html.escape(printable(text))


def rich_text(text: str) -> str:
    """Plain rationale text as HTML, with ``code`` and `code` spans shown as code."""
    import re

    out = html_text(text)
    out = re.sub(r"``(.+?)``|`([^`]+)`", lambda m: f"<code>{m.group(1) or m.group(2)}</code>", out)
    return out.replace("\n\n", "<br><br>").replace("\n", " ")
