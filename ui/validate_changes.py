"""'Validate my changes': the working tree's uncommitted diff, validated off the GUI thread, in a dialog.

The same :meth:`suggestions.project.actions.Project.validate_diff` as `kaizen validate PATH`:
the grade, the evidence in words and the log, or the one sentence that says why there was
nothing to validate (not a git repository, a clean working tree, a diff that does not apply).
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from suggestions.project.actions import ActionError, DiffValidated
from ui.details import validation_html
from ui.models import status_word
from ui.theme import colors
from ui.workers import Worker

__all__ = ["ChangesValidation", "ValidateChangesDialog", "result_html"]


def result_html(result: DiffValidated) -> str:
    """What was validated (the files, lines added and removed), then the validation in words."""
    esc = html.escape
    files = "".join(f"<li>{esc(c.path)} <span style='color:{colors()['muted']}'>({esc(c.kind)}, "
                    f"+{c.added} -{c.removed})</span></li>" for c in result.files)
    return (f"<h3 style='margin-bottom:2px'>{esc(result.source[:1].upper() + result.source[1:])}</h3>"
            f"<ul>{files}</ul>" + validation_html(result.validation, status_word(result.validation)))


class ValidateChangesDialog(QDialog):
    """Shows one run of "Validate my changes": running, then the result or the problem."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("validateChanges")
        self.setWindowTitle("Validate my changes")
        self.resize(720, 560)
        self.view = QTextBrowser()
        self.view.setOpenExternalLinks(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.buttons)
        self.state = ""  # "running" | "done" | "problem"

    def show_running(self) -> None:
        self.state = "running"
        self.view.setHtml("<p>Validating the working tree's uncommitted changes to tracked files "
                          "(git diff HEAD) in a sandbox copy: the tests that cover them, mutants and "
                          "replayed calls. Your files are not touched.</p>")

    def show_result(self, result: DiffValidated) -> None:
        self.state = "done"
        self.view.setHtml(result_html(result))

    def show_problem(self, message: str) -> None:
        self.state = "problem"
        self.view.setHtml(f"<h3>Nothing was validated</h3><p>{html.escape(message)}</p>")


class ChangesValidation(QObject):
    """The window's action: one validation of the working tree at a time, in the background."""

    finished = Signal(object)  # the DiffValidated, or the sentence saying why there is none

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.dialog = ValidateChangesDialog(window)
        self.dialog.rejected.connect(self._closed)
        self.worker: Worker | None = None
        self.session: Any = None  # the project the running worker validates

    def start(self) -> None:
        session = self.window.session
        if session is None:
            return
        self.dialog.show()
        self.dialog.raise_()
        if self.worker is not None and self.session is session:  # one run at a time: it shows when it ends
            return
        self.session = session  # a closed project's run reports nowhere (Session drops it)
        self.dialog.show_running()
        project = session.project

        def job(w: Worker) -> Any:
            try:
                return project.validate_diff(None, cancel=lambda: w.cancelled)
            except ActionError as exc:
                return str(exc)

        self.worker = session.run_job("Validating my changes", job, self._done)
        self.worker.signals.failed.connect(self._failed)

    def _done(self, result: Any) -> None:
        self.worker = None
        if isinstance(result, DiffValidated):
            self.dialog.show_result(result)
        else:
            self.dialog.show_problem(str(result))
        self.finished.emit(result)

    def _failed(self, message: str) -> None:
        self.worker = None
        first = message.splitlines()[0] if message else "the validation failed"
        self.dialog.show_problem(first)
        self.finished.emit(first)

    def _closed(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
