"""The window's question before a project-chosen LLM endpoint gets the user's API key.

A project's ``kaizen.toml`` may name an ``[llm] base-url``; the user's key goes there only
after a yes, remembered for this project and this host (``suggestions.llm.trust``, in the
user's config dir, never in the project). Everything shown is plain text: the project wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from suggestions.llm.trust import Confirmation, TrustStore

__all__ = ["TrustNeeded", "ask", "confirm"]


@dataclass(frozen=True)
class TrustNeeded:
    """What an LLM job returns instead of asking, when the endpoint needs the user's yes."""

    confirmation: Confirmation


def ask(confirmation: Confirmation, parent: QWidget | None = None) -> bool:
    """Show the question; True when the user trusts the endpoint for this project."""
    box = QMessageBox(parent or QApplication.activeWindow())
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Send your API key to this endpoint?")
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(f"This project's {confirmation.config_file} asks Kaizen to send LLM requests to "
                f"{confirmation.origin}.")
    box.setInformativeText(
        "Kaizen would send your OPENAI_API_KEY there, with this project's code (secrets redacted). "
        "Allow it only if you know this server: whoever wrote the project chose it.\n\n"
        f"Your answer is remembered for this project and this host only, in {TrustStore().path}.")
    trust = box.addButton("Trust for this project", QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is trust


def confirm(confirmation: Confirmation, parent: QWidget | None = None) -> bool:
    """Ask, and remember a yes; True when the endpoint may now be used."""
    if not ask(confirmation, parent):
        return False
    TrustStore().trust(confirmation.project, confirmation.base_url)
    return True
