"""The window's notification: a small frame in the corner, with an optional action (Undo)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QToolButton,
    QWidget,
)

__all__ = ["Toast"]


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
