"""The settings dialog, built from the declarations in ``analysis/config.py`` (SCHEMA)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from analysis.atomic import write_atomic
from analysis.config import SCHEMA, ConfigError, Option, validate
from analysis.settings_edit import set_value
from ui.session import EDITOR_PRESETS, Session

__all__ = ["SettingsDialog", "editor_for", "read_widget"]

KEYRING_SERVICE = "kaizen"
# [[policy.rules]] has its own editor (the Auto-apply rules tab).
SECTIONS = [s for s in SCHEMA if not s.repeated]
TITLES = {"": "Analysis", "thresholds": "Thresholds", "validation": "Tests", "trace": "Trace",
          "llm": "LLM", "editor": "Editor", "git": "Git", "policy": "Policy", "policy.never": "Never touch"}


def editor_for(opt: Option, value: Any) -> Any:
    """A widget for one option, holding ``value``."""
    w: Any
    if opt.type == "bool":
        w = QCheckBox()
        w.setChecked(bool(value))
    elif opt.type == "int":
        w = QSpinBox()
        w.setRange(int(opt.minimum or 0), 1_000_000_000)
        w.setValue(int(value))
    elif opt.type == "float":
        w = QDoubleSpinBox()
        w.setDecimals(2)
        w.setRange(float(opt.minimum or 0), 1e9)
        w.setValue(float(value))
    elif opt.type == "str" and opt.choices:
        w = QComboBox()
        w.addItems(list(opt.choices))
        w.setCurrentText(str(value))
    elif opt.type == "str":
        w = QLineEdit(str(value))
    elif opt.type == "list[str]":
        w = QLineEdit(", ".join(value))
        w.setPlaceholderText("comma-separated")
    else:
        w = QPlainTextEdit("\n".join(f"{k}: {', '.join(v)}" for k, v in dict(value).items()))
        w.setPlaceholderText("one per line:  glob: CODE, CODE")
        w.setMaximumHeight(90)
    w.setToolTip(opt.description)
    return w


def read_widget(opt: Option, w: QWidget) -> Any:
    if isinstance(w, QCheckBox):
        return w.isChecked()
    if isinstance(w, QSpinBox):
        return w.value()
    if isinstance(w, QDoubleSpinBox):
        return round(w.value(), 6)
    if isinstance(w, QComboBox):
        return w.currentText()
    if isinstance(w, QLineEdit):
        text = w.text()
        if opt.type == "list[str]":
            return [p.strip() for p in text.split(",") if p.strip()]
        return text
    assert isinstance(w, QPlainTextEdit)
    out: dict[str, list[str]] = {}
    for line in w.toPlainText().splitlines():
        if ":" in line:
            k, _, v = line.partition(":")
            out[k.strip()] = [c.strip() for c in v.split(",") if c.strip()]
    return out


class SettingsDialog(QDialog):
    """Every option of every section; saving writes only what changed into the settings file."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Kaizen settings")
        self.resize(720, 560)
        self.widgets: dict[tuple[str, str], tuple[Option, QWidget]] = {}
        values = session.config.values
        tabs = QTabWidget()
        for section in SECTIONS:
            page = QWidget()
            form = QFormLayout(page)
            desc = QLabel(section.description)
            desc.setWordWrap(True)
            desc.setObjectName("muted")
            form.addRow(desc)
            for opt in section.options:
                w = editor_for(opt, values[section.name][opt.name])
                self.widgets[(section.name, opt.name)] = (opt, w)
                label = QLabel(opt.name)
                label.setToolTip(opt.description)
                if section.name == "editor" and opt.name == "command":
                    presets = QComboBox()
                    presets.addItem("Presets…")
                    presets.addItems(list(EDITOR_PRESETS))
                    presets.activated.connect(
                        lambda i, w=w, p=presets: i > 0 and w.setText(EDITOR_PRESETS[p.itemText(i)]))
                    row = QHBoxLayout()
                    row.addWidget(w, 1)
                    row.addWidget(presets)
                    holder = QWidget()
                    holder.setLayout(row)
                    row.setContentsMargins(0, 0, 0, 0)
                    form.addRow(label, holder)
                else:
                    form.addRow(label, w)
                hint = QLabel(opt.description)
                hint.setObjectName("hint")
                hint.setWordWrap(True)
                form.addRow("", hint)
            if section.name == "llm":
                self.key_edit = QLineEdit()
                self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
                self.key_edit.setPlaceholderText("stored in the system keyring, never in a file")
                form.addRow(QLabel("API key"), self.key_edit)
                self.key_status = QLabel(self._key_status())
                self.key_status.setObjectName("hint")
                form.addRow("", self.key_status)
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setWidget(page)
            tabs.addTab(scroll, TITLES.get(section.name, section.name))
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        where = session.settings_file()[0]
        self.where = QLabel(f"Saved to {where}")
        self.where.setObjectName("muted")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(tabs, 1)
        lay.addWidget(self.error)
        lay.addWidget(self.where)
        lay.addWidget(buttons)

    def _base_url(self) -> str:
        return str(self.widgets[("llm", "base-url")][1].text()) or "https://api.openai.com/v1"  # type: ignore[attr-defined]

    def _key_status(self) -> str:
        try:
            import keyring

            has = keyring.get_password(KEYRING_SERVICE, self._base_url()) is not None
            return "A key is stored for this endpoint." if has else "No key stored for this endpoint."
        except Exception as exc:  # no keyring backend on this machine
            return f"Keyring unavailable ({type(exc).__name__}); use OPENAI_API_KEY instead."

    def changed_values(self) -> dict[tuple[str, str], Any]:
        values = self.session.config.values
        out = {}
        for (sec, name), (opt, w) in self.widgets.items():
            v = read_widget(opt, w)
            if v != values[sec][name]:
                out[(sec, name)] = v
        return out

    def save(self) -> None:
        changes = self.changed_values()
        path, prefix = self.session.settings_file()
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        for (sec, name), v in changes.items():
            section = (prefix + sec) if sec else prefix.rstrip(".")
            text = set_value(text, section, name, v)
        import tomllib

        try:
            raw = tomllib.loads(text)
            if prefix:
                raw = raw.get("tool", {}).get("kaizen", {})
            validate(raw, None)
        except (ConfigError, tomllib.TOMLDecodeError) as exc:
            self.error.setText(f"Not saved: {exc}")
            return
        key = self.key_edit.text()
        if key:
            try:
                import keyring

                keyring.set_password(KEYRING_SERVICE, self._base_url(), key)
            except Exception as exc:
                self.error.setText(f"Not saved: cannot store the key in the keyring ({exc})")
                return
        if changes:
            write_atomic(path, text)
        self.accept()
