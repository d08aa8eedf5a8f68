"""Small builders for the window's menus: an action with its shortcut, the recent-projects lists."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from ui.theme import icon

__all__ = ["add_action", "apply_all_safe", "fill_recent"]


def add_action(menu: QMenu, text: str, slot: Callable[[], Any], shortcut: Any = None, icon_name: str = "") -> QAction:
    """Add ``text`` to ``menu``, calling ``slot``; ``shortcut``: a key string or a standard key."""
    act = QAction(icon(icon_name), text, menu) if icon_name else QAction(text, menu)
    if shortcut is not None:
        act.setShortcut(shortcut if isinstance(shortcut, QKeySequence.StandardKey) else QKeySequence(shortcut))
    act.triggered.connect(slot)
    menu.addAction(act)
    return act


def fill_recent(recent_menu: QMenu, project_menu: QMenu, paths: Sequence[str], open_path: Callable[[Path], Any],
                choose: Callable[[], Any], demo: Callable[[], Any]) -> None:
    """The recent projects in both menus; the project button's menu ends with open and demo."""
    for menu in (recent_menu, project_menu):
        menu.clear()
    for p in paths:
        for menu in (recent_menu, project_menu):
            act = menu.addAction(icon("folder"), p)
            act.triggered.connect(lambda _=False, p=p: open_path(Path(p)))
    project_menu.addSeparator()
    project_menu.addAction("Open folder…", choose)
    project_menu.addAction("Open the demo project", demo)


def apply_all_safe(session: Any) -> None:
    """Project → Apply all safe fixes: what `kaizen apply PATH --all-safe` does, on a worker.

    Rounds until no safe fix is left, one audit batch: the toast's Undo (or ``u``) takes the
    whole run back, as one ``kaizen undo`` does.
    """
    if session is None:
        return

    def job(_w: Any) -> Any:
        return session.project.apply_all_safe()

    def done(result: Any) -> None:
        applied = list(result.applied)
        session.applied.emit(applied)
        session.audit_changed.emit()
        n = len(applied)
        if not n:
            msg = "No safe fix to apply"
        else:
            msg = (f"Applied {n} safe fix{'es' if n != 1 else ''} in {result.rounds} "
                   f"round{'s' if result.rounds != 1 else ''} (one Undo takes them all back)")
        if result.bound_hit:
            msg += f"; stopped after {result.rounds} rounds with safe fixes left: run it again"
        if result.refused:
            session.failed.emit(msg + "; not applied: " + "; ".join(f"{r.path}: {r.reason}" for r in result.refused[:3]))
        else:
            session.reported.emit(msg)
        session.refresh()  # decisions: the ranking learned from them

    session._run("Applying all safe fixes", job, done)  # the session's worker plumbing, as its actions
