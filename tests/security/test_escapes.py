"""Terminal escapes in file names, LLM text and messages are never printed raw."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from suggestions.apply.patcher import apply_suggestions
from suggestions.model import Source
from suggestions.store import Store
from suggestions.terminal import printable
from tests.conftest import write
from tests.security import audit_support
from tests.security.audit_support import kaizen
from tests.validation_project import suggestion

EVIL_NAME = "evil\x1b]0;pwned\x07\x1b[2J\u202e.py"
EVIL_TEXT = "\x1b[31mred\x1b[0m \x9b2J \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ \rhidden \u202egnp.exe"
home = audit_support.home  # fixture
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\r")


def assert_clean(*texts: str) -> None:
    for text in texts:
        for ch in RAW:
            assert ch not in text, (ch, text)


def test_printable_neutralises_controls_and_keeps_text() -> None:
    assert printable("plain text\n\ttab") == "plain text\n\ttab"
    assert printable("a\x1b[2Jb") == "a\\u001b[2Jb"
    assert printable("\x9b\u202e\x7f\x00") == "\\u009b\\u202e\\u007f\\u0000"
    assert printable("crlf\r\nline") == "crlf\nline"
    assert printable("\rprogress 3/4") == "\rprogress 3/4"  # redrawn in place: kept
    assert printable("name\rspoof") == "name\\u000dspoof"
    # The escape is a JSON escape too: sanitised JSON decodes to the original text.
    doc = json.dumps({"t": EVIL_TEXT}, ensure_ascii=False)
    assert json.loads(printable(doc)) == {"t": EVIL_TEXT}


def test_file_names_with_escapes(project: Path) -> None:
    write(project, {EVIL_NAME: "def f(x=[]):\n    return x\n"})
    r = kaizen("scan", str(project))
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert_clean(r.stdout, r.stderr)
    assert "evil\\u001b]0;pwned\\u0007" in r.stdout
    for fmt in ("json", "sarif"):
        r = kaizen("scan", str(project), "--format", fmt)
        assert_clean(r.stdout, r.stderr)
        doc = json.loads(r.stdout)
        paths = [d["path"] for d in doc] if fmt == "json" else [
            res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for res in doc["runs"][0]["results"]]
        assert EVIL_NAME in paths  # JSON keeps the exact name, escaped


def test_messages_with_escapes(tmp_path: Path) -> None:
    r = kaizen("scan", str(tmp_path / "no\x1b[2Jsuch"))
    assert r.returncode == 2 and "no such folder" in r.stderr
    assert_clean(r.stdout, r.stderr)
    r = kaizen("scan", "--format", "\x1b[31mred")
    assert r.returncode == 2
    assert_clean(r.stdout, r.stderr)


@pytest.fixture
def llm_applied(project: Path) -> Path:
    """An LLM suggestion whose title and rationale hold escapes, stored and applied."""
    write(project, {"m.py": "n = 1\n", "other.py": "m = 1\n"})
    s = suggestion(project, "m.py", "n = 1", "n = 2", title=EVIL_TEXT)
    s = s.replace(source=Source.LLM, rationale=EVIL_TEXT)
    t = suggestion(project, "other.py", "m = 1", "m = 2", title=EVIL_TEXT).replace(source=Source.LLM,
                                                                                 rationale=EVIL_TEXT)
    with Store(project) as store:
        store.put_suggestions([s, t])
        assert apply_suggestions(project, store, [s]).ok
    return project


def test_llm_text_in_the_audit_log(llm_applied: Path) -> None:
    for args in ((), ("--verify",), ("--export", "md"), ("--export", "json")):
        r = kaizen("audit", str(llm_applied), *args)
        assert r.returncode == 0, r.stderr
        assert_clean(r.stdout, r.stderr)
    doc = json.loads(kaizen("audit", str(llm_applied), "--export", "json").stdout)
    assert doc["entries"][0]["title"] == EVIL_TEXT
    for fmt in ("json", "md"):  # exported to a file: as safe to `cat`
        out = llm_applied.parent / f"audit.{fmt}"
        assert kaizen("audit", str(llm_applied), "--export", fmt, "-o", str(out)).returncode == 0
        assert_clean(out.read_text(encoding="utf-8"))
    assert json.loads((llm_applied.parent / "audit.json").read_text())["entries"][0]["title"] == EVIL_TEXT


def test_llm_text_in_suggestions(llm_applied: Path) -> None:
    r = kaizen("suggest", str(llm_applied))
    assert "Traceback" not in r.stderr
    assert_clean(r.stdout, r.stderr)
    assert "\\u001b[31mred" in r.stdout  # shown, neutralised
    r = kaizen("suggest", str(llm_applied), "--json")
    assert_clean(r.stdout, r.stderr)
    (item,) = json.loads(r.stdout)
    assert item["title"] == EVIL_TEXT
    r = kaizen("show", str(llm_applied), item["id"])
    assert r.returncode == 0 and "\\u202egnp.exe" in r.stdout, r.stderr
    assert_clean(r.stdout, r.stderr)


@pytest.mark.gui
def test_the_window_shows_escapes_neutralised(tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    from ui.models import COLUMNS, LOCATION, TITLE, SuggestionTableModel
    from ui.theme import html_text, rich_text

    write(tmp_path, {"evil.py": "x = 1\n"})
    s = suggestion(tmp_path, "evil.py", "x = 1", "x = 2", title=EVIL_TEXT)
    s = s.replace(path=EVIL_NAME)
    model = SuggestionTableModel()
    model.apply([s], [], [])
    shown = [model.data(model.index(0, col), Qt.ItemDataRole.DisplayRole) for col in range(len(COLUMNS))]
    tip = model.data(model.index(0, TITLE), Qt.ItemDataRole.ToolTipRole)
    painted = [model.cell(0, col)[0] for col in (TITLE, LOCATION)]
    assert_clean(*(t for t in shown if isinstance(t, str)), tip, *painted)
    assert "\\u001b[31mred" in shown[TITLE]
    # Rich text (the details and audit panes): HTML is escaped too, not rendered.
    assert html_text("<b>x</b>\x1b") == "&lt;b&gt;x&lt;/b&gt;\\u001b"
    assert_clean(rich_text(EVIL_TEXT))
