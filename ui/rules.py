"""The auto-apply rules editor: a form per [[policy.rules]] entry with a live preview."""

from __future__ import annotations

import fnmatch
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from analysis.atomic import write_atomic
from analysis.config import SCHEMA, ConfigError, validate
from analysis.settings_edit import replace_rules
from suggestions.decide.policy import grade_of
from suggestions.model import Grade, Suggestion
from ui.session import Session, optional
from ui.settings import editor_for, read_widget
from ui.theme import colors, icon

__all__ = ["RulesEditor", "rule_matches"]

RULE_SECTION = next(s for s in SCHEMA if s.name == "policy.rules")
NEVER_SECTION = next(s for s in SCHEMA if s.name == "policy.never")


def _glob(path: str, pattern: str) -> bool:
    if pattern in ("**", "*"):
        return True
    if fnmatch.fnmatchcase(path, pattern):
        return True
    if pattern.endswith("/**"):
        return path.startswith(pattern[:-3] + "/")
    return False


def _changed_lines(s: Suggestion) -> int:
    n = 0
    for line in s.diff.splitlines():
        if line[:1] in "+-" and not line.startswith(("+++", "---")):
            n += 1
    return n


def rule_matches(rule: dict[str, Any], s: Suggestion, never: dict[str, Any] | None = None) -> str:
    """'' when ``rule`` would apply ``s``; otherwise the first reason it would not.

    Used only when ``suggestions.decide.policy`` has no preview of its own.
    """
    never = never or {"paths": [], "codes": []}
    if any(_glob(s.path, p) for p in never["paths"]) or any(fnmatch.fnmatchcase(s.code, c) for c in never["codes"]):
        return "never-list"
    if s.patch is None:
        return "no fix"
    if not any(fnmatch.fnmatchcase(s.code, c) for c in rule["codes"]):
        return "code"
    if s.source.value not in rule["source"]:
        return "source"
    if s.applicability.value not in rule["applicability"]:
        return "applicability"
    if s.confidence < rule["min-confidence"]:
        return "confidence"
    if _changed_lines(s) > rule["max-changed-lines"]:
        return "size"
    if not any(_glob(s.path, p) for p in rule["paths"]) or any(_glob(s.path, p) for p in rule["exclude"]):
        return "path"
    needed = rule["require-validation"]
    grade = grade_of(s.validation)
    if needed == "proven" and grade is not Grade.PROVEN:
        return "not proven"
    if needed == "passed" and grade not in (Grade.PROVEN, Grade.PASSED):
        return "not validated"
    return ""


def _only_validation(why: str) -> bool:
    return all(part.strip().startswith("validation pending") for part in why.split(";"))


class RulesEditor(QWidget):
    """Edit the rules; the preview shows which current suggestions each rule would apply."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: Session | None = None
        self.rules: list[dict[str, Any]] = []
        self.current = -1
        self.valid = True
        lw = self._build_list()
        formw = self._build_form()
        prevw = self._build_preview()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(lw)
        split.addWidget(formw)
        split.addWidget(prevw)
        split.setSizes([160, 360, 680])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(split)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.update_preview)
        self._loading = False

    def _build_list(self) -> QWidget:
        """The list of rules, with Add and Remove."""
        self.rule_list = QListWidget()
        self.rule_list.setObjectName("ruleList")
        self.rule_list.currentRowChanged.connect(self._select)
        add = QPushButton(icon("add"), "Add rule")
        add.clicked.connect(self.add_rule)
        remove = QPushButton(icon("remove"), "Remove")
        remove.clicked.connect(self.remove_rule)
        left = QVBoxLayout()
        head = QLabel("<b>Rules</b>")
        left.addWidget(head)
        left.addWidget(self.rule_list, 1)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        left.addLayout(row)
        lw = QWidget()
        lw.setLayout(left)
        return lw

    def _build_form(self) -> QWidget:
        """One editor per rule option, each with its error line; Save and Revert."""
        self.form = QFormLayout()
        self.fields: dict[str, Any] = {}
        self.errors: dict[str, QLabel] = {}
        for opt in RULE_SECTION.options:
            w = editor_for(opt, opt.default)
            w.setObjectName(f"rule-{opt.name}")
            self.fields[opt.name] = (opt, w)
            err = QLabel()
            err.setObjectName("error")
            err.setWordWrap(True)
            err.hide()
            self.errors[opt.name] = err
            holder = QVBoxLayout()
            holder.setSpacing(1)
            holder.addWidget(w)
            holder.addWidget(err)
            cw = QWidget()
            holder.setContentsMargins(0, 0, 0, 0)
            cw.setLayout(holder)
            label = QLabel(opt.name)
            label.setToolTip(opt.description)
            self.form.addRow(label, cw)
            for sig in ("textChanged", "valueChanged", "currentTextChanged", "toggled"):
                if hasattr(w, sig):
                    getattr(w, sig).connect(self._edited)
                    break
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.save_btn = QPushButton(icon("save"), "Save rules")
        self.save_btn.setObjectName("primary")
        self.save_btn.clicked.connect(self.save)
        self.revert_btn = QPushButton("Revert")
        self.revert_btn.clicked.connect(self.reload)
        fw = QVBoxLayout()
        title = QLabel("<b>Rule</b> — which suggestions may apply themselves")
        fw.addWidget(title)
        fw.addLayout(self.form)
        br = QHBoxLayout()
        br.addWidget(self.status, 1)
        br.addWidget(self.revert_btn)
        br.addWidget(self.save_btn)
        fw.addLayout(br)
        fw.addStretch(1)
        formw = QWidget()
        formw.setLayout(fw)
        return formw

    def _build_preview(self) -> QWidget:
        """The live preview: what each rule would apply now."""
        self.preview = QTreeWidget()
        self.preview.setObjectName("preview")
        self.preview.setHeaderLabels(["Would apply", "Location", "Why / why not"])
        self.preview.setRootIsDecorated(True)
        self.preview.setColumnWidth(0, 250)
        self.preview.setColumnWidth(1, 160)
        self.preview_label = QLabel()
        pw = QVBoxLayout()
        pw.addWidget(QLabel("<b>Live preview</b> — on the current suggestions, before anything is saved"))
        pw.addWidget(self.preview_label)
        pw.addWidget(self.preview, 1)
        prevw = QWidget()
        prevw.setLayout(pw)
        return prevw

    # --- data ------------------------------------------------------------------------------

    def set_session(self, session: Session) -> None:
        self.session = session
        session.changed.connect(lambda *_: self._timer.start())
        session.paused_changed.connect(lambda *_: self._timer.start())
        self.reload()

    def reload(self) -> None:
        if self.session is None:
            return
        self.rules = [dict(r) for r in self.session.config.section("policy.rules")]
        self.never = dict(self.session.config.section("policy.never"))
        self.rule_list.clear()
        for r in self.rules:
            self.rule_list.addItem(QListWidgetItem(icon("rules"), r["name"]))
        self.current = -1
        if self.rules:
            self.rule_list.setCurrentRow(0)
        else:
            self._set_form_enabled(False)
        self.status.setText("")
        self.update_preview()

    def _set_form_enabled(self, on: bool) -> None:
        for _opt, w in self.fields.values():
            w.setEnabled(on)

    def add_rule(self) -> None:
        names = {r["name"] for r in self.rules}
        n = 1
        while f"rule-{n}" in names:
            n += 1
        rule = {o.name: (list(o.default) if isinstance(o.default, list) else o.default) for o in RULE_SECTION.options}
        rule["name"] = f"rule-{n}"
        self.rules.append(rule)
        self.rule_list.addItem(QListWidgetItem(icon("rules"), str(rule["name"])))
        self.rule_list.setCurrentRow(len(self.rules) - 1)
        self._edited()

    def remove_rule(self) -> None:
        row = self.rule_list.currentRow()
        if 0 <= row < len(self.rules):
            del self.rules[row]
            self.current = -1
            self.rule_list.takeItem(row)
            if self.rules:
                self.rule_list.setCurrentRow(min(row, len(self.rules) - 1))
            self._edited()

    def _select(self, row: int) -> None:
        if not 0 <= row < len(self.rules):
            self._set_form_enabled(False)
            return
        self._set_form_enabled(True)
        self.current = row
        self._loading = True
        rule = self.rules[row]
        for name, (opt, w) in self.fields.items():
            v = rule.get(name, opt.default)
            if hasattr(w, "setChecked"):
                w.setChecked(bool(v))
            elif hasattr(w, "setValue"):
                w.setValue(v)
            elif hasattr(w, "setCurrentText"):
                w.setCurrentText(str(v))
            else:
                w.setText(", ".join(v) if isinstance(v, list) else str(v))
        self._loading = False
        self._check()

    def _edited(self, *_: Any) -> None:
        if self._loading:
            return
        if 0 <= self.current < len(self.rules):
            rule = self.rules[self.current]
            for name, (opt, w) in self.fields.items():
                rule[name] = read_widget(opt, w)
            item = self.rule_list.item(self.current)
            if item is not None:
                item.setText(rule["name"] or "(unnamed)")
        self._check()
        self._timer.start()

    def _check(self) -> bool:
        """Validate against SCHEMA; errors show beside the field, and saving is blocked."""
        for e in self.errors.values():
            e.hide()
        for _opt, w in self.fields.values():
            w.setProperty("invalid", False)
            w.style().unpolish(w)
            w.style().polish(w)
        problems = self.problems()
        for field, msg in problems:
            target = field if field in self.errors else "name"
            self.errors[target].setText(msg)
            self.errors[target].show()
            w = self.fields[target][1]
            w.setProperty("invalid", True)
            w.style().unpolish(w)
            w.style().polish(w)
        self.valid = not problems
        self.save_btn.setEnabled(self.valid)
        c = colors()
        self.status.setText("" if self.valid else f"<span style='color:{c['bad']}'>Fix the highlighted field; "
                            "invalid rules are never saved.</span>")
        return self.valid

    def problems(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for i, rule in enumerate(self.rules):
            if i != self.current and self.current >= 0:
                continue
            for name in ("codes", "source", "applicability"):
                allowed = {"source": {"static", "runtime", "llm"},
                           "applicability": {"safe", "unsafe", "display-only"}}.get(name)
                if not rule.get(name):
                    out.append((name, f"'{name}' needs at least one value"))
                elif allowed and set(rule[name]) - allowed:
                    bad = sorted(set(rule[name]) - allowed)[0]
                    out.append((name, f"unknown {name} '{bad}' (use {', '.join(sorted(allowed))})"))
            if rule.get("min-confidence", 0) > 1:
                out.append(("min-confidence", "confidence is a fraction between 0 and 1"))
        try:
            validate({"policy": {"rules": self.rules}}, None)
        except ConfigError as exc:
            msg = str(exc)
            key = exc.key if exc.key in self.fields else "name"
            out.append((key, msg))
        return out

    # --- preview ---------------------------------------------------------------------------

    def preview_for(self, rules: list[dict[str, Any]], items: list[Suggestion]) -> dict[str, list[tuple[Suggestion, str]]]:
        """Rule name -> [(suggestion, '' when the rule applies it, else why not)], matches first.

        Each rule is judged on its own (the real policy tries them in order); "validation
        pending" means it would apply once validation passes.
        """
        policy = optional("suggestions.decide.policy")
        out: dict[str, list[tuple[Suggestion, str]]] = {}
        if policy is None or self.session is None:  # the core is still loading
            for rule in rules:
                rows = [(s, rule_matches(rule, s, self.never)) for s in items]
                rows.sort(key=lambda r: (r[1] != "", r[1]))
                out[rule["name"]] = rows
            return out
        data: dict[str, bytes | None] = {}
        root = self.session.root

        def changed(s: Suggestion) -> int | None:
            if s.patch is None:
                return None
            if s.path not in data:
                try:
                    data[s.path] = (root / s.path).read_bytes()
                except OSError:
                    data[s.path] = None
            raw = data[s.path]
            try:
                return s.patch.changed_lines(raw) if raw is not None else None
            except ValueError:
                return None

        for cfg in rules:
            rule = policy.PolicyRule.from_config(cfg)
            rows = []
            for s in items:
                if s.patch is None or not s.patch.edits or s.applicability.value == "display-only":
                    continue
                why = list(rule.failures(s, changed(s)))
                if policy.path_matches(s.path, self.never.get("paths", ())):
                    why.append(f"{s.path} is in [policy.never] paths")
                if policy.code_matches(s.code, self.never.get("codes", ())):
                    why.append(f"{s.code} is in [policy.never] codes")
                rows.append((s, "; ".join(why)))
            rows.sort(key=lambda r: (r[1] != "", "pending" not in r[1], r[1]))
            out[rule.name] = rows
        return out

    def update_preview(self) -> None:
        self.preview.clear()
        if self.session is None:
            return
        items = list(self.session._known.values())
        if not self._check_all_quiet():
            self.preview_label.setText("The rules have errors; the preview shows the last valid state.")
            return
        rules = validate({"policy": {"rules": self.rules}}, None)["policy.rules"]
        data = self.preview_for(rules, items)
        c = colors()
        total = 0
        for name, rows in data.items():
            hits = [s for s, why in rows if not why]
            total += len(hits)
            top = QTreeWidgetItem([f"{name}: {len(hits)} would apply", "", ""])
            top.setIcon(0, icon("rules"))
            self.preview.addTopLevelItem(top)
            pending = [(s, why) for s, why in rows if why and _only_validation(why)]
            near = [(s, why) for s, why in rows if why and not _only_validation(why) and why.count(";") == 0]
            head = f"{name}: {len(hits)} would apply"
            if pending:
                head += f", {len(pending)} once validated"
            top.setText(0, head)
            for s, why in [(s, w) for s, w in rows if not w] + pending + near[:12]:
                label = "applies" if not why else ("applies once validation passes" if _only_validation(why)
                                                   else f"left out: {why}")
                child = QTreeWidgetItem([f"{s.code} · {s.title}", f"{s.path}:{s.line}", label])
                child.setToolTip(2, label)
                color = c["ok"] if not why else (c["warn"] if _only_validation(why) else c["muted"])
                child.setForeground(2, QColor(color))
                child.setData(0, Qt.ItemDataRole.UserRole, s.fingerprint)
                top.addChild(child)
            top.setExpanded(True)
        paused = self.session.paused()
        note = (f"<b style='color:{c['bad']}'>Automatic changes are paused: nothing applies until you resume."
                "</b><br>") if paused else ""
        self.preview_label.setText(
            f"{note}<span style='color:{c['muted']}'>{total} of {len(items)} current suggestions would apply "
            "automatically now; each rule is shown on its own.</span>")

    def _check_all_quiet(self) -> bool:
        try:
            validate({"policy": {"rules": self.rules}}, None)
            return True
        except ConfigError:
            return False

    def save(self) -> None:
        if self.session is None or not self._check():
            return
        path, prefix = self.session.settings_file()
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        defaults = {o.name: o.default for o in RULE_SECTION.options}
        clean = [{k: v for k, v in r.items() if k == "name" or v != defaults[k]} for r in self.rules]
        write_atomic(path, replace_rules(text, clean, prefix))
        self.status.setText(f"Saved to {path.name}.")
        self.session.reload_config()
        self.session.run_auto_apply()
