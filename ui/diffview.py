"""A diff view: unified and side-by-side, highlighted with pygments, intra-line changes marked."""

from __future__ import annotations

import difflib
import html
import itertools
import re
from dataclasses import dataclass
from typing import Any

from pygments.lexers import get_lexer_for_filename
from pygments.lexers.special import TextLexer
from pygments.styles import get_style_by_name
from pygments.token import Token
from pygments.util import ClassNotFound
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ui.theme import colors, is_dark

__all__ = ["DiffRow", "DiffView", "parse_unified", "render_html"]

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass
class DiffRow:
    kind: str  # "ctx", "del", "add", "change", "hunk"
    old_no: int | None
    old: str | None
    new_no: int | None
    new: str | None


def parse_unified(diff: str) -> list[DiffRow]:
    """Rows for a side-by-side view: deletions paired with the additions that replace them."""
    rows: list[DiffRow] = []
    dels: list[tuple[int, str]] = []
    adds: list[tuple[int, str]] = []
    old_no = new_no = 0

    def flush() -> None:
        for i in range(max(len(dels), len(adds))):
            d = dels[i] if i < len(dels) else None
            a = adds[i] if i < len(adds) else None
            kind = "change" if d and a else ("del" if d else "add")
            rows.append(DiffRow(kind, d[0] if d else None, d[1] if d else None,
                                a[0] if a else None, a[1] if a else None))
        dels.clear()
        adds.clear()

    for line in diff.splitlines():
        if line.startswith(("--- ", "+++ ")) or line.startswith("\\"):
            continue
        m = _HUNK.match(line)
        if m:
            flush()
            old_no, new_no = int(m.group(1)), int(m.group(3))
            rows.append(DiffRow("hunk", None, line, None, line))
            continue
        tag, text = line[:1], line[1:]
        if tag == "-":
            dels.append((old_no, text))
            old_no += 1
        elif tag == "+":
            adds.append((new_no, text))
            new_no += 1
        else:
            flush()
            rows.append(DiffRow("ctx", old_no, text, new_no, text))
            old_no += 1
            new_no += 1
    flush()
    return rows


_LEXERS: dict[str, Any] = {}


def _lexer(path: str) -> Any:
    """A cached lexer per file extension (pygments' lookup scans every plugin: slow)."""
    ext = path.rpartition(".")[2].lower() if "." in path else path
    lexer = _LEXERS.get(ext)
    if lexer is None:
        try:
            lexer = get_lexer_for_filename(path, stripnl=False, ensurenl=False)
        except ClassNotFound:
            lexer = TextLexer(stripnl=False, ensurenl=False)
        _LEXERS[ext] = lexer
    return lexer


def warm_up(extensions: tuple[str, ...] = ("py", "js", "ts", "go", "rs", "java", "c")) -> None:
    """Load pygments' lexers ahead of the first diff (call off the GUI thread)."""
    for ext in extensions:
        list(_lexer(f"x.{ext}").get_tokens("x = 1\n"))
    get_style_by_name("default")
    get_style_by_name("github-dark")


class _Highlighter:
    def __init__(self, path: str) -> None:
        self.lexer = _lexer(path)
        style = get_style_by_name("github-dark" if is_dark() else "default")
        self.colors: dict[object, str] = {}
        for ttype, st in style:
            if st["color"]:
                self.colors[ttype] = "#" + st["color"]

    def color(self, ttype: object) -> str | None:
        while ttype is not None:
            c = self.colors.get(ttype)
            if c:
                return c
            ttype = getattr(ttype, "parent", None)
            if ttype is Token:
                return self.colors.get(Token)
        return None

    def line(self, text: str, marks: list[tuple[int, int]], mark_color: str) -> str:
        """HTML for one line: token colours, with ``marks`` (char ranges) on a stronger background."""
        out: list[str] = []
        pos = 0
        for ttype, value in self.lexer.get_tokens(text):
            value = value.rstrip("\n") if pos + len(value) > len(text) else value
            if not value:
                continue
            color = self.color(ttype)
            # Split the token at mark boundaries.
            cuts = sorted({pos, pos + len(value), *[b for m in marks for b in m if pos < b < pos + len(value)]})
            for a, b in itertools.pairwise(cuts):
                chunk = html.escape(text[a:b]).replace(" ", "&nbsp;").replace("\t", "&nbsp;" * 4)
                style = f"color:{color};" if color else ""
                if any(ma <= a and b <= mb for ma, mb in marks):
                    style += f"background-color:{mark_color};"
                out.append(f'<span style="{style}">{chunk}</span>' if style else chunk)
            pos += len(value)
        return "".join(out) or "&nbsp;"


def _intraline(old: str, new: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
    om: list[tuple[int, int]] = []
    nm: list[tuple[int, int]] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag != "equal":
            if i2 > i1:
                om.append((i1, i2))
            if j2 > j1:
                nm.append((j1, j2))
    return om, nm


def render_html(diff: str, path: str, mode: str = "unified") -> str:
    """The diff as HTML for a QTextBrowser (``mode``: "unified" or "split")."""
    c = colors()
    hl = _Highlighter(path)
    rows = parse_unified(diff)
    if not rows:
        return f'<p style="color:{c["muted"]}">No changes: this suggestion is advice without a fix.</p>'
    font = "font-family:'DejaVu Sans Mono','Menlo','Consolas',monospace;font-size:10pt;"
    num = f'width="40" align="right" style="color:{c["muted"]};padding:0 6px;"'
    out = [f'<table cellspacing="0" cellpadding="1" width="100%" style="{font}">']
    for r in rows:
        if r.kind == "hunk":
            span = 3 if mode == "unified" else 4
            out.append(f'<tr><td colspan="{span}" style="background-color:{c["hunk"]};color:{c["muted"]};">'
                       f'{html.escape(r.old or "")}</td></tr>')
            continue
        om, nm = _intraline(r.old or "", r.new or "") if r.kind == "change" else ([], [])
        if mode == "unified":
            if r.kind == "ctx":
                out.append(f'<tr><td {num}>{r.old_no}</td><td {num}>{r.new_no}</td>'
                           f'<td nowrap>&nbsp;{hl.line(r.old or "", [], "")}</td></tr>')
                continue
            if r.old is not None:
                out.append(f'<tr style="background-color:{c["del"]};"><td {num}>{r.old_no}</td><td {num}></td>'
                           f'<td nowrap>-{hl.line(r.old, om, c["del_strong"])}</td></tr>')
            if r.new is not None:
                out.append(f'<tr style="background-color:{c["add"]};"><td {num}></td><td {num}>{r.new_no}</td>'
                           f'<td nowrap>+{hl.line(r.new, nm, c["add_strong"])}</td></tr>')
        else:
            left_bg = f'background-color:{c["del"]};' if r.kind in ("del", "change") else ""
            right_bg = f'background-color:{c["add"]};' if r.kind in ("add", "change") else ""
            left = hl.line(r.old, om, c["del_strong"]) if r.old is not None else ""
            right = hl.line(r.new, nm, c["add_strong"]) if r.new is not None else ""
            out.append(
                f'<tr><td {num}>{r.old_no or ""}</td><td nowrap width="50%" style="{left_bg}">{left}</td>'
                f'<td {num}>{r.new_no or ""}</td><td nowrap width="50%" style="{right_bg}">{right}</td></tr>'
            )
    out.append("</table>")
    return "".join(out)


class DiffView(QWidget):
    """The diff of the selected suggestion with a unified / side-by-side switch."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._diff = ""
        self._path = ""
        self.mode = "unified"
        self.title = QLabel("Select a suggestion to see its diff.")
        self.title.setObjectName("diffTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.unified_btn = QPushButton("Unified")
        self.split_btn = QPushButton("Side by side")
        group = QButtonGroup(self)
        for b in (self.unified_btn, self.split_btn):
            b.setCheckable(True)
            b.setObjectName("segment")
            group.addButton(b)
        self.unified_btn.setChecked(True)
        self.unified_btn.clicked.connect(lambda: self.set_mode("unified"))
        self.split_btn.clicked.connect(lambda: self.set_mode("split"))
        self.browser = QTextBrowser()
        self.browser.setObjectName("diff")
        self.browser.setOpenLinks(False)
        self.browser.setLineWrapMode(QTextBrowser.LineWrapMode.WidgetWidth)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.unified_btn)
        top.addWidget(self.split_btn)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.browser, 1)

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        (self.unified_btn if mode == "unified" else self.split_btn).setChecked(True)
        self._render()

    def show_diff(self, title: str, path: str, diff: str) -> None:
        self.title.setText(title)
        self._path, self._diff = path, diff
        self._render()

    def clear(self) -> None:
        self.title.setText("Select a suggestion to see its diff.")
        self._diff = ""
        self.browser.clear()

    def _render(self) -> None:
        if not self._path:
            return
        self.browser.setHtml(render_html(self._diff, self._path, self.mode))
