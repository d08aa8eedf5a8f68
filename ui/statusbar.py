"""The window's status bar: watching, the last message, the work in progress, the pause switch."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar

from ui.theme import colors, icon

__all__ = ["StatusBar", "WatchIndicator"]


class WatchIndicator(QLabel):
    """A dot (green: watching) and a few words."""

    def show_watch(self, on: bool, text: str, tooltip: str = "") -> None:
        dot = colors()["ok"] if on else colors()["muted"]
        self.setText(f"<span style='color:{dot}'>●</span> {text}")
        if tooltip:
            self.setToolTip(tooltip)


class StatusBar(QStatusBar):
    """Its widgets say; the window decides (the pause switch's toggles go to the window)."""

    def __init__(self) -> None:
        super().__init__()
        self.status_watch = WatchIndicator()
        self.status_msg = QLabel()
        self.status_msg.setObjectName("muted")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.busy_label = QLabel()
        self.llm_funnel = QLabel()  # the latest LLM run's funnel (hidden until there is one)
        self.llm_funnel.setObjectName("muted")
        self.llm_funnel.hide()
        self.pause_btn = QPushButton("Automatic changes: on")
        self.pause_btn.setObjectName("pauseSwitch")
        self.pause_btn.setCheckable(True)
        self.pause_btn.setToolTip("Stop every automatic change at once")
        self.addWidget(self.status_watch)
        self.addWidget(self.status_msg, 1)
        self.addPermanentWidget(self.llm_funnel)
        self.addPermanentWidget(self.busy_label)
        self.addPermanentWidget(self.progress)
        self.addPermanentWidget(self.pause_btn)

    def show_busy(self, task: str, done: int, total: int) -> None:
        """``task`` at ``done`` of ``total`` (0: indeterminate); no task: nothing is running."""
        if not task:
            self.progress.hide()
            self.busy_label.setText("")
            return
        self.busy_label.setText(task + (f" {done}/{total}" if total else "…"))
        self.progress.show()
        self.progress.setRange(0, total if total else 0)
        if total:
            self.progress.setValue(done)

    def show_llm_funnel(self, funnel: Any) -> None:
        """The latest LLM run, stage by stage (``suggestions.llm.funnel.Funnel``); None: none yet."""
        if funnel is None:
            self.llm_funnel.hide()
            return
        stages = funnel.stages()
        self.llm_funnel.setText("LLM " + " → ".join(str(n) for _k, _w, n in stages))
        self.llm_funnel.setToolTip("The latest LLM run: " + " → ".join(f"{n} {w}" for _k, w, n in stages)
                                   + " (kaizen llm-stats PATH)")
        self.llm_funnel.show()

    def show_message(self, text: str) -> None:
        self.status_msg.setText(text)
        self.status_msg.setToolTip(text)

    def show_error(self, text: str) -> None:
        first = text.splitlines()[0] if text else ""
        self.status_msg.setText(f"<span style='color:{colors()['bad']}'>{html.escape(first)}</span>")
        self.status_msg.setToolTip(text)

    def show_pause(self, paused: bool, rules: int) -> None:
        """The switch says whether automatic changes may happen, and whether any rule asks for one."""
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
