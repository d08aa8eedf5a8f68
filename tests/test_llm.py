"""The LLM engine against a real HTTP server speaking chat-completions, via the real openai client."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import pytest

from analysis.config import load_config
from suggestions.analyze.scan import scan_project
from suggestions.llm import LLMEngine, LLMProgress, Target, best_validated, keep_best, redact
from suggestions.llm.prompts import build_prompt
from suggestions.llm.provider import Endpoint, Provider
from suggestions.llm.replies import ReplyRejected, locate, make_patch, parse_reply
from suggestions.llm.secrets import Redactor, is_secret_file
from suggestions.model import Applicability, Source, Validation, ValidationStatus
from suggestions.store import Store
from tests.conftest import write
from tests.llm_server import Fail, Hang, Raw, Reply, ScriptedServer
from tests.llm_targets import finding_target

CALC = '''"""Small maths helpers."""


def helper(x):
    return x * 2


def total(values):
    result = 0
    for v in values:
        result = result + v
    return result - 1


def mean(values):
    return total(values) / len(values)
'''

GOOD_DIFF = """The loop is fine but the result is off by one: `total` subtracts 1 at the end.

```diff
--- a/pkg/calc.py
+++ b/pkg/calc.py
@@ -9,4 +9,4 @@ def total(values):
     result = 0
     for v in values:
         result = result + v
-    return result - 1
+    return result
```
"""

GOOD_BLOCKS = """`total` should use the built-in `sum`, which is both correct and faster.

pkg/calc.py
```python
<<<<<<< SEARCH
def total(values):
    result = 0
    for v in values:
        result = result + v
    return result - 1
=======
def total(values):
    return sum(values)
>>>>>>> REPLACE
```
"""

FIXED_SUM = CALC.replace(
    "def total(values):\n    result = 0\n    for v in values:\n        result = result + v\n    return result - 1\n",
    "def total(values):\n    return sum(values)\n",
)


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend that keeps passwords in memory (for tests)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "user-config"))  # the trust store
    monkeypatch.delenv("KAIZEN_HOME", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("KAIZEN_LLM_MODEL", raising=False)
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture
def server() -> Any:
    with ScriptedServer() as srv:
        yield srv


def make_project(root: Path, base_url: str, **llm: Any) -> Path:
    settings = {"base-url": base_url, "model": "scripted", "timeout": 5.0, "max-retries": 2,
                "candidates": 1, "attempts": 1, "concurrency": 1, **llm}
    def toml(v: Any) -> str:
        return f'"{v}"' if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)

    lines = ["[llm]"] + [f"{k} = {toml(v)}" for k, v in settings.items()]
    write(root, {
        "kaizen.toml": "\n".join(lines) + "\n",
        "pkg/__init__.py": "",
        "pkg/calc.py": CALC,
        "tests/test_calc.py": "from pkg.calc import total\n\n\ndef test_total():\n    assert total([1, 2]) == 3\n",
    })
    return root


def engine_for(root: Path) -> LLMEngine:
    return LLMEngine(root, load_config(root), Store(root), environ={})


TARGET = finding_target("pkg/calc.py", 8, 12, finding="KZ702: Function is too complex")


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and ".kaizen" not in p.parts}


# --- the scripted replies, end to end through the openai client --------------------------------


def test_good_diff_becomes_an_unvalidated_llm_suggestion(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url)
    before = snapshot(project)
    server.push(Reply(GOOD_DIFF, prompt_tokens=300, completion_tokens=60))
    engine = engine_for(project)
    seen: list[LLMProgress] = []
    out = engine.generate([TARGET], progress=seen.append)
    assert len(out) == 1, engine.notes
    s = out[0]
    assert s.source is Source.LLM and s.code == "KZ904" and s.applicability is Applicability.UNSAFE
    assert s.code.startswith("KZ9")
    assert s.validation.status is ValidationStatus.PENDING
    assert "off by one" in s.rationale
    assert "-    return result - 1" in s.diff and "+    return result" in s.diff
    assert s.patch is not None and s.path == "pkg/calc.py" and s.line == 12
    data = (project / "pkg/calc.py").read_bytes()
    assert s.patch.apply(data).decode() == CALC.replace("return result - 1", "return result")
    assert snapshot(project) == before  # nothing written to the project
    assert engine.store.suggestion(s.id) is not None  # recorded for the caller
    (req,) = server.chat_requests
    assert req.body["stream"] is True and req.body["model"] == "scripted"
    assert "def total(values):" in req.prompt and "- finding: KZ702: Function is too complex" in req.prompt
    assert "A structural check flagged this code" in req.prompt  # the KZ904 template
    stages = [p.stage for p in seen]
    assert stages[0] == "asking" and "streaming" in stages and stages[-1] == "done"
    usage = engine.usage_today()
    assert (usage.prompt_tokens, usage.completion_tokens, usage.requests) == (300, 60, 1)


def test_search_replace_reply(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url)
    before = snapshot(project)
    server.push(Reply(GOOD_BLOCKS))
    engine = engine_for(project)
    (s,) = engine.generate([TARGET])
    assert s.patch is not None
    assert s.patch.apply((project / "pkg/calc.py").read_bytes()).decode() == FIXED_SUM
    assert s.rationale.startswith("`total` should use the built-in `sum`")
    assert "<<<<<<<" not in s.rationale and "pkg/calc.py" not in s.rationale
    assert snapshot(project) == before


def test_prose_without_edit_gives_no_candidate(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url)
    before = snapshot(project)
    server.push(Reply("I think this function looks fine. Maybe add a docstring?"))
    engine = engine_for(project)
    assert engine.generate([TARGET]) == []
    assert any("no edit, only prose" in n for n in engine.notes), engine.notes
    assert snapshot(project) == before


def test_diff_with_wrong_context_is_rejected(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url)
    before = snapshot(project)
    wrong = GOOD_DIFF.replace("         result = result + v", "         result += v * 3")
    server.push(Reply(wrong))
    engine = engine_for(project)
    assert engine.generate([TARGET]) == []
    assert any("was not found in pkg/calc.py" in n for n in engine.notes), engine.notes
    assert snapshot(project) == before


def test_diff_outside_the_project_is_rejected(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url)
    outside = project.parent / "outside.py"
    outside.write_text("def total(values):\n    return 0\n")
    before = snapshot(project)
    server.push(Reply(
        "Fixing it elsewhere.\n\n--- a/../outside.py\n+++ b/../outside.py\n@@ -1,2 +1,2 @@\n"
        " def total(values):\n-    return 0\n+    return 1\n"
    ))
    engine = engine_for(project)
    assert engine.generate([TARGET]) == []
    assert any("outside the project" in n for n in engine.notes), engine.notes
    assert outside.read_text() == "def total(values):\n    return 0\n"
    assert snapshot(project) == before


def test_huge_reply_is_abandoned(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url)
    before = snapshot(project)
    server.push(Reply("lorem ipsum " * 25_000, chunk=8192))
    engine = engine_for(project)
    assert engine.generate([TARGET]) == []
    assert any("longer than" in n for n in engine.notes), engine.notes
    assert snapshot(project) == before


def test_slow_reply_past_the_timeout(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url, timeout=0.3)
    before = snapshot(project)
    server.push(Hang(3.0, then=Reply(GOOD_DIFF)))
    engine = engine_for(project)
    assert engine.generate([TARGET]) == []
    assert any("within the timeout" in n for n in engine.notes), engine.notes
    assert len(server.chat_requests) == 1  # a timeout is not retried
    assert snapshot(project) == before


def test_rate_limit_then_success(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url)
    before = snapshot(project)
    server.push(Fail(429, "slow down", retry_after="0"), Reply(GOOD_DIFF))
    engine = engine_for(project)
    out = engine.generate([TARGET])
    assert len(out) == 1
    assert snapshot(project) == before
    assert len(server.chat_requests) == 2
    assert any("rate limited" in n and "retry 1/2" in n for n in engine.notes), engine.notes


def test_server_errors_exhaust_retries(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url, **{"max-retries": 2})
    before = snapshot(project)
    server.push(Fail(500, retry_after="0"), Fail(502, retry_after="0"), Fail(503, retry_after="0"), Reply(GOOD_DIFF))
    engine = engine_for(project)
    assert engine.generate([TARGET]) == []
    assert len(server.chat_requests) == 3  # the first try and two retries
    assert any("failed (HTTP 503)" in n for n in engine.notes), engine.notes
    assert snapshot(project) == before


def test_server_error_then_success(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url)
    before = snapshot(project)
    server.push(Fail(500, retry_after="0"), Reply(GOOD_BLOCKS))
    assert len(engine_for(project).generate([TARGET])) == 1
    assert snapshot(project) == before


def test_retry_after_is_honoured() -> None:
    with ScriptedServer() as srv:
        srv.push(Fail(429, retry_after="7"), Fail(503, retry_after="2"), Reply("hi"))
        waits: list[float] = []
        provider = Provider(Endpoint(srv.base_url, "scripted", "config", "placeholder", "k"),
                            timeout=5, max_retries=3, sleep=waits.append)
        done = provider.complete([{"role": "user", "content": "hello"}])
        assert done.text == "hi"
        assert waits == [7.0, 2.0]


def test_unreachable_endpoint_degrades(project: Path) -> None:
    with ScriptedServer() as srv:
        url = srv.base_url
    make_project(project, url)  # the server is gone: connection refused
    engine = engine_for(project)
    assert engine.available()[0] is True
    assert engine.generate([TARGET, finding_target("pkg/calc.py", 15, 16)]) == []
    assert any("cannot reach the LLM endpoint" in n for n in engine.notes), engine.notes


def test_no_endpoint_configured(project: Path) -> None:
    write(project, {"pkg/calc.py": CALC})
    engine = engine_for(project)
    ok, why = engine.available()
    assert ok is False and "no LLM endpoint configured" in why and "works fully without it" in why
    assert engine.generate([TARGET]) == []
    assert engine.targets() == []


def test_unavailable_is_said_once(project: Path, monkeypatch: pytest.MonkeyPatch,
                                  caplog: pytest.LogCaptureFixture) -> None:
    import logging

    import suggestions.llm.engine as engine_module

    monkeypatch.setattr(engine_module, "_told_unavailable", False)
    write(project, {"pkg/calc.py": CALC})
    with caplog.at_level(logging.INFO, logger="kaizen.llm"):
        for _ in range(3):
            engine_for(project).available()
    said = [r for r in caplog.records if "no LLM endpoint configured" in r.getMessage()]
    assert len(said) == 1


def test_disabled_in_config(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url, enabled=False)
    ok, why = engine_for(project).available()
    assert not ok and "disabled" in why


# --- keys: environment and keyring, never stored ------------------------------------------------


def test_openai_env_vars_work_when_config_is_silent(project: Path, server: ScriptedServer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    write(project, {"pkg/calc.py": CALC})
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-envkey-1234567890abcdefghij")
    monkeypatch.setenv("KAIZEN_LLM_MODEL", "env-model")
    server.push(Reply(GOOD_DIFF), Reply(GOOD_BLOCKS))  # two candidates by default
    engine = LLMEngine(project, load_config(project), Store(project))
    ok, why = engine.available()
    assert ok and "env-model" in why
    assert len(engine.generate([TARGET])) == 2
    req = server.chat_requests[0]
    assert req.headers["authorization"] == "Bearer sk-envkey-1234567890abcdefghij"
    assert req.body["model"] == "env-model"
    engine.store.close()
    assert b"sk-envkey" not in (project / ".kaizen" / "kaizen.db").read_bytes()


def test_key_comes_from_the_keyring_and_is_never_stored(project: Path, server: ScriptedServer,
                                                        memory_keyring: MemoryKeyring) -> None:
    make_project(project, server.base_url)
    secret = "sk-keyring-SECRET-0123456789abcdef"
    memory_keyring.set_password("kaizen", server.base_url, secret)
    server.push(Reply(GOOD_DIFF), Fail(401, "bad key"))
    engine = engine_for(project)
    assert len(engine.generate([TARGET])) == 1
    assert server.chat_requests[0].headers["authorization"] == f"Bearer {secret}"
    assert secret not in repr(engine.endpoint) and secret not in str(engine.available())
    assert engine.generate([finding_target("pkg/calc.py", 15, 16)]) == []
    assert any("refused the API key" in n for n in engine.notes)
    assert all(secret not in n for n in engine.notes)
    engine.store.close()
    for f in (project / ".kaizen").iterdir():
        if f.is_file():
            assert secret.encode() not in f.read_bytes(), f
    assert secret not in (project / "kaizen.toml").read_text()


def test_remote_endpoint_without_key_is_unavailable(project: Path) -> None:
    make_project(project, "https://llm.example.com/v1")
    ok, why = engine_for(project).available()
    assert not ok and "no API key" in why and "keyring set kaizen https://llm.example.com/v1" in why


# --- cache, budget, usage, concurrency, cancel ---------------------------------------------------


def test_cached_reply_makes_no_request(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url)
    server.push(Reply(GOOD_DIFF))
    first = engine_for(project).generate([TARGET])
    engine = engine_for(project)
    second = engine.generate([TARGET])
    assert len(server.chat_requests) == 1
    assert [s.fingerprint for s in first] == [s.fingerprint for s in second]
    assert second[0].evidence["llm"]["cached"] is True
    usage = engine.usage_today()
    assert usage.requests == 2 and usage.cached == 1


def test_daily_token_budget_stops_requests(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url, **{"daily-token-budget": 500})
    server.push(Reply(GOOD_DIFF, prompt_tokens=450, completion_tokens=100), Reply(GOOD_BLOCKS))
    engine = engine_for(project)
    out = engine.generate([TARGET, finding_target("pkg/calc.py", 15, 16)])
    assert len(out) == 1
    assert len(server.chat_requests) == 1
    assert any("daily token budget reached (550 of 500" in n for n in engine.notes), engine.notes
    assert engine.usage_today().remaining == 0


def test_budget_counts_requests_in_flight(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url)
    tokens = engine_for(project).prompt_for(TARGET).tokens
    make_project(project, server.base_url, candidates=2, concurrency=2, **{"daily-token-budget": tokens + 10})
    server.push(Reply(GOOD_DIFF, delay=0.05, chunk=8), Reply(GOOD_BLOCKS, delay=0.05, chunk=8))
    engine = engine_for(project)
    assert len(engine.generate([TARGET])) == 1
    assert len(server.chat_requests) == 1  # the second candidate did not fit beside the first
    assert any("daily token budget reached" in n for n in engine.notes)


def test_usage_cost_with_prices(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url, **{"price-input": 2.0, "price-output": 10.0})
    server.push(Reply(GOOD_DIFF, prompt_tokens=1000, completion_tokens=500))
    engine = engine_for(project)
    engine.generate([TARGET])
    usage = engine.usage_today()
    assert usage.cost == pytest.approx((1000 * 2.0 + 500 * 10.0) / 1e6)
    assert "$0.0070" in usage.describe() and "1,500 of 200,000 tokens" in usage.describe()


def test_several_candidates_each_become_a_suggestion(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url, candidates=2, concurrency=2)
    server.push(Reply(GOOD_DIFF, delay=0.01, chunk=16), Reply(GOOD_BLOCKS, delay=0.01, chunk=16))
    out = engine_for(project).generate([TARGET])
    assert len(out) == 2 and len({s.fingerprint for s in out}) == 2
    temps = sorted(r.body["temperature"] for r in server.chat_requests)
    assert temps == [0.2, 0.8]


def test_concurrency_limit(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url, candidates=3, concurrency=1)
    server.push(*(Reply(GOOD_DIFF.replace("return result\n", f"return result  # {i}\n"), delay=0.01, chunk=32)
                  for i in range(3)))
    out = engine_for(project).generate([TARGET])
    assert len(out) == 3
    assert server.max_inflight == 1


def test_cancel_closes_the_stream(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url)
    before = snapshot(project)
    server.push(Reply(GOOD_DIFF * 20, chunk=8, delay=0.01))
    cancel = threading.Event()
    seen: list[LLMProgress] = []

    def progress(p: LLMProgress) -> None:
        seen.append(p)
        if p.stage == "streaming" and p.tokens >= 4:
            cancel.set()

    engine = engine_for(project)
    assert engine.generate([TARGET], progress=progress, cancel=cancel) == []
    assert seen[-1].stage == "cancelled"
    # nothing cached from a cancelled reply: asking again makes a new request
    assert engine.store.execute("SELECT COUNT(*) FROM llm_cache")[0][0] == 0
    engine2 = engine_for(project)
    server.push(Reply(GOOD_DIFF))
    assert len(engine2.generate([TARGET])) == 1
    assert len(server.chat_requests) == 2
    assert snapshot(project) == before


# --- targets and prompts ---------------------------------------------------------------------------


def test_prompt_has_symbol_map_and_fits_the_budget(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url)
    write(project, {"pkg/big.py": "\n".join(f"def f{i}(a, b):\n    return a + b + {i}\n" for i in range(400))})
    store = Store(project)
    res = scan_project(project, load_config(project), jobs=1)
    store.update_files([f.record for f in res.files if f.record],
                       symbols={f.path: f.symbols for f in res.files if f.record})
    prompt = build_prompt(project, finding_target("pkg/calc.py", 15, 16), context_tokens=1500,
                          symbols=store.symbols)
    assert "`total` (function) pkg/calc.py:8: `def total(values):`" in prompt.text
    assert "def mean(values):" in prompt.text
    assert prompt.tokens <= 1500
    # the surroundings shrink to fit; the target stays whole
    big = build_prompt(project, finding_target("pkg/big.py", 598, 599), context_tokens=600)
    assert "pkg/big.py (lines 598-599)\n```python\ndef f199(a, b):" in big.text and big.tokens <= 600
    assert "def f0(a, b)" not in big.text


def test_target_too_large_for_the_budget_is_skipped(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url, **{"context-tokens": 256})
    write(project, {"pkg/long.py": "def long():\n" + "    x = 1\n" * 600})
    engine = engine_for(project)
    assert engine.generate([finding_target("pkg/long.py", 1, 601)]) == []
    assert any("too large for [llm] context-tokens" in n for n in engine.notes)
    assert server.chat_requests == []


def test_a_target_at_a_line_grows_to_its_function(project: Path) -> None:
    write(project, {"pkg/calc.py": CALC})
    t = Target.for_function(project, "exception", "pkg/calc.py", 10)
    assert (t.start_line, t.end_line, t.name, t.code) == (8, 12, "total", "KZ902")
    assert t.title == "Fix for repeated exception in `total`"
    assert Target.for_function(project, "hotspot", "pkg/calc.py", 1).title == "Faster `pkg/calc.py:1`"  # no function


def test_target_by_absolute_path_and_outside(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url)
    (project.parent / "elsewhere.py").write_text("x = 1\n")
    server.push(Reply(GOOD_DIFF))
    with engine_for(project) as engine:
        (s,) = engine.generate([finding_target(str(project / "pkg" / "calc.py"), 8, 12)])
        assert s.path == "pkg/calc.py"
        assert engine.generate([finding_target(str(project.parent / "elsewhere.py"), 1, 1)]) == []
        assert any("outside the project" in n for n in engine.notes)
    assert len(server.chat_requests) == 1


def test_structural_findings_without_fix_are_targets(project: Path, server: ScriptedServer) -> None:
    """The real structural analyzers flag a long function with many parameters at its name;
    the LLM target is the whole function, once, with both findings as evidence."""
    make_project(project, server.base_url, **{})
    with open(project / "kaizen.toml", "a") as fh:
        fh.write("\n[thresholds]\nfunction-lines = 5\nparameters = 2\n")
    body = "".join(f"    x += {i}\n" for i in range(8))
    write(project, {"pkg/long.py": f"def long_one(a, b, c):\n    x = a + b + c\n{body}    return x\n"})
    store = Store(project)
    res = scan_project(project, load_config(project), jobs=1)
    store.update_files([f.record for f in res.files if f.record],
                       symbols={f.path: f.symbols for f in res.files if f.record})
    store.replace_suggestions({f.path for f in res.files}, res.suggestions)
    engine = LLMEngine(project, load_config(project), store, environ={})
    targets = [t for t in engine.targets() if t.path == "pkg/long.py"]
    assert [(t.kind, t.start_line, t.end_line, t.name) for t in targets] == [("finding", 1, 11, "long_one")]
    assert "KZ701" in targets[0].evidence["finding"] and "KZ702" in targets[0].evidence["finding"]
    server.push(Reply(
        "Sum in one go.\n\npkg/long.py\n<<<<<<< SEARCH\n"
        + "".join(f"    x += {i}\n" for i in range(8))
        + "=======\n    x += sum(range(8))\n>>>>>>> REPLACE\n"))
    (s,) = engine.generate(targets)
    assert s.code == "KZ904" and "KZ701" in server.chat_requests[0].prompt


def test_failure_target_from_traceback_text(project: Path) -> None:
    from suggestions.llm.targets import failure_target

    write(project, {"pkg/calc.py": CALC, "tests/test_calc.py":
                    "from pkg.calc import mean\n\n\ndef test_mean():\n    assert mean([2, 4]) == 3\n"})
    record = {
        "test": "tests/test_calc.py::test_mean",
        "message": "ZeroDivisionError: division by zero",
        "traceback": (
            'Traceback (most recent call last):\n'
            f'  File "{project}/tests/test_calc.py", line 5, in test_mean\n'
            f'  File "{project}/pkg/calc.py", line 16, in mean\n'
            'ZeroDivisionError: division by zero\n'
        ),
    }
    t = failure_target(project, record)
    assert t is not None
    assert (t.kind, t.path, t.start_line, t.end_line, t.name) == ("failure", "pkg/calc.py", 15, 16, "mean")
    assert t.editable == ("pkg/calc.py",)
    assert ("tests/test_calc.py", 4, 5) in t.related
    prompt = build_prompt(project, t)
    assert "ZeroDivisionError" in prompt.text and "def test_mean" in prompt.text


def test_failed_assertion_looks_at_what_the_test_calls(project: Path) -> None:
    from suggestions.llm.targets import failure_target

    write(project, {"pkg/__init__.py": "", "pkg/calc.py": CALC, "tests/test_calc.py":
                    "from pkg.calc import total\n\n\ndef test_total():\n    assert total([1, 2]) == 3\n"})
    res = scan_project(project, load_config(project), jobs=1)
    store = Store(project)
    store.update_files([f.record for f in res.files if f.record],
                       symbols={f.path: f.symbols for f in res.files if f.record})
    record = {"test": "tests/test_calc.py::test_total", "message": "assert 2 == 3",
              "traceback": "tests/test_calc.py:5: in test_total\n    assert total([1, 2]) == 3\nE   assert 2 == 3"}
    t = failure_target(project, record, store.symbols)
    assert t is not None and (t.path, t.start_line, t.end_line) == ("pkg/calc.py", 8, 12)
    assert "tests/test_calc.py" not in t.editable
    # without a symbol index, the test module's imports lead to the same function
    bare = failure_target(project, record)
    assert bare is not None and (bare.path, bare.start_line, bare.end_line) == ("pkg/calc.py", 8, 12)


# --- edits outside what the target concerns ---------------------------------------------------------


def test_edit_to_another_file_or_never_path_is_rejected(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url)
    with open(project / "kaizen.toml", "a") as fh:
        fh.write('\n[policy.never]\npaths = ["pkg/calc.py"]\n')
    write(project, {"pkg/other.py": "x = 1\n"})
    server.push(Reply("Change other.\n\npkg/other.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n"),
                Reply(GOOD_BLOCKS))
    engine = engine_for(project)
    assert engine.generate([TARGET]) == []
    assert any("not a file this target concerns" in n for n in engine.notes), engine.notes
    assert engine.generate([finding_target("pkg/calc.py", 15, 16)]) == []
    assert any("never list" in n for n in engine.notes), engine.notes


# --- secrets ---------------------------------------------------------------------------------------

SECRETS = {
    "aws": "AKIAIOSFODNN7EXAMPLE",
    "openai": "sk-proj-abcdefghijklmnop1234567890",
    "github": "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
    "password": "hunter2-correct-horse",
    "token": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "pem": "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
}

CONFIG_PY = f'''import os

AWS_ACCESS_KEY_ID = "{SECRETS["aws"]}"
OPENAI_KEY = "{SECRETS["openai"]}"
GH = "{SECRETS["github"]}"
DB = {{"password": "{SECRETS["password"]}"}}
api_token = "{SECRETS["token"]}"
PRIVATE = """-----BEGIN RSA PRIVATE KEY-----
{SECRETS["pem"]}
-----END RSA PRIVATE KEY-----"""


def connect(retries):
    password = "{SECRETS["password"]}"
    for i in range(retries):
        pass
    return password
'''


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_redact_patterns(name: str) -> None:
    out = redact(CONFIG_PY)
    assert SECRETS[name] not in out
    assert "def connect(retries):" in out and "AWS_ACCESS_KEY_ID =" in out


def test_redaction_keeps_ordinary_code() -> None:
    code = 'key = "name"\nsorted(items, key=len)\nmonkey_patch = "abc"\nhash_hex = compute()\n'
    assert redact(code) == code


@pytest.mark.parametrize("path,secret", [
    (".env", True), ("config/.env.local", True), ("deploy/server.pem", True), ("tls.key", True),
    ("home/id_rsa", True), ("id_ed25519.pub", True), ("aws/credentials", True), ("credentials.json", True),
    ("pkg/keys.py", False), ("src/env.py", False), ("README.md", False),
])
def test_secret_files(path: str, secret: bool) -> None:
    assert is_secret_file(path) is secret


def test_no_secret_goes_out_and_the_file_keeps_them(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url)
    write(project, {"pkg/settings.py": CONFIG_PY, ".env": f"OPENAI_API_KEY={SECRETS['openai']}\n",
                    "deploy/server.pem": "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n"})
    res = scan_project(project, load_config(project), jobs=1)
    store = Store(project)
    store.update_files([f.record for f in res.files if f.record],
                       symbols={f.path: f.symbols for f in res.files if f.record})
    engine = LLMEngine(project, load_config(project), store, environ={})
    target = finding_target("pkg/settings.py", 1, 17)
    ph = engine.prompt_for(target).redactor.placeholder_for(SECRETS["password"])
    assert ph is not None
    # The model sees a placeholder and quotes it back in its edit: the reply is refused, since
    # putting the secret back would run it in whatever code the model wrote around it.
    server.push(Reply(
        "Use a range loop that does something.\n\npkg/settings.py\n<<<<<<< SEARCH\n"
        f'    password = "{ph}"\n    for i in range(retries):\n        pass\n'
        "=======\n"
        f'    password = "{ph}"\n    for _ in range(retries):\n        continue\n'
        ">>>>>>> REPLACE\n"
    ))
    out = engine.generate([target])
    (req,) = server.chat_requests
    for value in SECRETS.values():
        assert value not in req.raw.decode(), value
    assert "KAIZEN_REDACTED_" in req.prompt
    assert out == []
    assert any("redaction placeholder" in n and "never restores" in n for n in engine.notes), engine.notes
    # secrets files are never a target nor an edit
    assert engine.generate([finding_target(".env", 1, 1)]) == []
    assert any("secrets file" in n for n in engine.notes)
    with pytest.raises(ReplyRejected, match="secrets file"):
        make_patch(project, parse_reply(".env\n<<<<<<< SEARCH\nA\n=======\nB\n>>>>>>> REPLACE\n").blocks,
                   allowed=[".env"])


def test_reply_inventing_a_placeholder_is_rejected(project: Path) -> None:
    write(project, {"a.py": "x = 1\n"})
    blocks = parse_reply("a.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 'KAIZEN_REDACTED_9'\n>>>>>>> REPLACE\n").blocks
    with pytest.raises(ReplyRejected, match="redaction placeholder"):
        make_patch(project, blocks, allowed=["a.py"], redactor=Redactor())
    with pytest.raises(ReplyRejected, match="redaction placeholder"):
        make_patch(project, blocks, allowed=["a.py"])


# --- reply parsing and tolerant anchors -------------------------------------------------------------


def test_anchor_matching_is_tolerant() -> None:
    text = "class A:\n    def f(self):\n        a = 1\n        return a\n"
    # exact
    loc = locate(text, "        a = 1\n", "        a = 2\n")
    assert loc is not None and loc.method == "exact"
    # indentation shifted: the model dropped the class indentation
    loc = locate(text, "def f(self):\n    a = 1\n    return a\n", "def f(self):\n    return 1\n")
    assert loc is not None and loc.method == "indentation"
    assert text[: loc.start] + loc.replacement + text[loc.end :] == "class A:\n    def f(self):\n        return 1\n"
    # whitespace inside lines differs
    loc = locate(text, "    def f( self ):\n        a=1\n", "    def f(self):\n        a = 3\n")
    assert loc is not None and loc.method == "whitespace"
    assert locate(text, "    b = 2\n    return b\n", "x") is None


def test_diff_line_numbers_are_only_a_hint(project: Path) -> None:
    write(project, {"pkg/calc.py": CALC})
    reply = GOOD_DIFF.replace("@@ -9,4 +9,4 @@", "@@ -90,4 +90,4 @@")
    p = make_patch(project, parse_reply(reply).blocks, allowed=["pkg/calc.py"])
    assert p.patch.apply(CALC.encode()).decode() == CALC.replace("return result - 1", "return result")


def test_shortened_path_is_understood(project: Path) -> None:
    write(project, {"pkg/calc.py": CALC})
    blocks = parse_reply("calc.py\n<<<<<<< SEARCH\n    return result - 1\n=======\n    return result\n>>>>>>> REPLACE\n").blocks
    p = make_patch(project, blocks, allowed=["pkg/calc.py"])
    assert p.patch.path == "pkg/calc.py"
    with pytest.raises(ReplyRejected, match="not a file this target concerns"):
        make_patch(project, blocks, allowed=["other/x.py"])


def test_crlf_file_keeps_its_line_endings(project: Path) -> None:
    write(project, {"w.py": b"def f():\r\n    return 1\r\n"})
    blocks = parse_reply("w.py\n<<<<<<< SEARCH\n    return 1\n=======\n    value = 2\n    return value\n>>>>>>> REPLACE\n").blocks
    p = make_patch(project, blocks, allowed=["w.py"])
    assert p.patch.apply(p.data) == b"def f():\r\n    value = 2\r\n    return value\r\n"


def test_parse_reply_multiple_blocks_and_unclosed() -> None:
    reply = parse_reply("Two edits.\n\n`a.py`\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n"
                        "<<<<<<< SEARCH\nz\n=======\nw\n>>>>>>> REPLACE\nDone.")
    assert [(b.path, b.search, b.replace) for b in reply.blocks] == [("a.py", "x", "y"), ("a.py", "z", "w")]
    assert reply.explanation == "Two edits.\n\nDone."
    broken = parse_reply("a.py\n<<<<<<< SEARCH\nx\n=======\ny\n")
    assert broken.blocks == [] and broken.problems


# --- validation helpers ----------------------------------------------------------------------------


def test_keep_best_prefers_a_passing_candidate(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url, candidates=2)
    server.push(Reply(GOOD_DIFF), Reply(GOOD_BLOCKS))
    a, b = engine_for(project).generate([TARGET])
    failed = a.replace(validation=Validation(ValidationStatus.FAILED, failed_tests=("t",)))
    passed = b.replace(validation=Validation(ValidationStatus.PASSED))
    assert best_validated([failed, passed]) is passed
    assert keep_best([failed, passed]) == [passed]
    assert keep_best([failed]) == [failed]
    assert best_validated([failed]) is None


@pytest.mark.slow
def test_generate_with_the_real_validator_keeps_the_best(project: Path, server: ScriptedServer) -> None:
    """Both candidates are validated in sandboxes; the one that breaks a test is dropped."""
    from suggestions.validate.validator import Validator

    make_project(project, server.base_url, candidates=2)
    write(project, {"tests/__init__.py": "", "tests/test_calc.py": (
        "from pkg.calc import helper, total\n\n\ndef test_total():\n    assert total([1, 2]) == 3\n\n\n"
        "def test_helper():\n    assert helper(2) == 4\n")})
    before = snapshot(project)
    breaking = ("Fix total and 'simplify' helper.\n\npkg/calc.py\n<<<<<<< SEARCH\n    return x * 2\n=======\n"
                "    return x + 2 + 1\n>>>>>>> REPLACE\n<<<<<<< SEARCH\n    return result - 1\n=======\n"
                "    return result\n>>>>>>> REPLACE\n")
    server.push(Reply(breaking), Reply(GOOD_BLOCKS))
    store = Store(project)
    engine = LLMEngine(project, load_config(project), store, environ={})
    validator = Validator(project, load_config(project), store)
    try:
        out = engine.generate([TARGET], validator=validator)
    finally:
        validator.close()
    assert len(out) == 1, [(s.validation.status, s.validation.log[-300:]) for s in out]
    (s,) = out
    assert s.validation.status is ValidationStatus.PASSED and "sum(values)" in s.diff
    assert [x.fingerprint for x in store.suggestions() if x.source is Source.LLM] == [s.fingerprint]
    assert snapshot(project) == before


def test_malformed_stream_is_a_clear_error(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url, **{"max-retries": 0})
    before = snapshot(project)
    server.push(Raw(b'data: {"id": "x", "choices": [{"delta": {"content": "hi"\n\ndata: [DONE]\n\n'),
                Raw(b"<html>proxy error</html>", status=502, content_type="text/html"))
    engine = engine_for(project)
    assert engine.generate([TARGET, finding_target("pkg/calc.py", 15, 16)]) == []
    assert any("malformed or interrupted reply" in n for n in engine.notes), engine.notes
    assert any("failed (HTTP 502)" in n for n in engine.notes), engine.notes
    assert snapshot(project) == before


def test_small_context_window_is_asked_again_without_max_tokens(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url)
    server.push(Fail(400, "This model's maximum context length is 4096 tokens. However, you requested 5000"),
                Reply(GOOD_DIFF))
    assert len(engine_for(project).generate([TARGET])) == 1
    first, second = server.chat_requests
    assert first.body["max_tokens"] == 4096 and "max_tokens" not in second.body


def test_bad_request_is_reported_not_retried(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url)
    server.push(Fail(400, "unknown model 'scripted'"))
    engine = engine_for(project)
    assert engine.generate([TARGET]) == []
    assert len(server.chat_requests) == 1
    assert any("rejected the request (HTTP 400): unknown model 'scripted'" in n for n in engine.notes), engine.notes


def test_server_that_ignores_stream_is_asked_again_without(project: Path, server: ScriptedServer) -> None:
    import json

    make_project(project, server.base_url)
    body = {"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "ignored"}, "finish_reason": "stop"}]}
    server.push(Raw(json.dumps(body).encode(), content_type="application/json"), Reply(GOOD_BLOCKS))
    engine = engine_for(project)
    (s,) = engine.generate([TARGET])
    first, second = server.chat_requests
    assert first.body["stream"] is True and "stream" not in second.body
    assert "sum(values)" in s.diff


@pytest.mark.parametrize("config_url,env,ring,expected", [
    ("", {}, None, None),
    ("", {"OPENAI_API_KEY": "sk-env"}, None, ("https://api.openai.com/v1", "env")),
    ("", {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}, None, ("http://127.0.0.1:9/v1", "placeholder")),
    ("http://gpu.lan:8000/v1", {"OPENAI_API_KEY": "sk-env"}, "sk-ring", ("http://gpu.lan:8000/v1", "keyring")),
    # The project chose gpu.lan: the environment's key is not sent there unconfirmed.
    ("http://gpu.lan:8000/v1", {"OPENAI_API_KEY": "sk-env"}, None, None),
    ("http://gpu.lan:8000/v1", {"OPENAI_API_KEY": "sk-env", "OPENAI_BASE_URL": "http://gpu.lan:8000/v1"}, None,
     ("http://gpu.lan:8000/v1", "env")),
    ("https://api.openai.com/v1", {"OPENAI_API_KEY": "sk-env"}, None, ("https://api.openai.com/v1", "env")),
    ("http://localhost:8080/v1", {"OPENAI_API_KEY": "sk-env"}, None, ("http://localhost:8080/v1", "placeholder")),
    ("http://gpu.lan:8000/v1", {}, None, None),
    ("http://localhost:11434/v1", {}, None, ("http://localhost:11434/v1", "placeholder")),
    ("ftp://nope", {}, None, None),
    ("", {}, "sk-ring", ("https://api.openai.com/v1", "keyring")),  # a key saved for OpenAI in the app
])
def test_endpoint_resolution(project: Path, memory_keyring: MemoryKeyring, config_url: str,
                             env: dict[str, str], ring: str | None, expected: tuple[str, str] | None) -> None:
    from suggestions.llm import resolve_endpoint

    if config_url:
        write(project, {"kaizen.toml": f'[llm]\nbase-url = "{config_url}"\n'})
    if ring:
        memory_keyring.set_password("kaizen", config_url or "https://api.openai.com/v1", ring)
    endpoint, why = resolve_endpoint(load_config(project), env)
    if expected is None:
        assert endpoint is None and why
    else:
        assert endpoint is not None and (endpoint.base_url, endpoint.key_source) == expected
        assert endpoint.api_key and endpoint.api_key not in repr(endpoint)


def test_broken_keyring_backend_is_not_fatal(project: Path) -> None:
    import keyring.errors

    class Broken(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            raise keyring.errors.KeyringLocked("locked")

    keyring.set_keyring(Broken())
    make_project(project, "http://127.0.0.1:9/v1")
    ok, _ = engine_for(project).available()
    assert ok  # loopback: placeholder key


# --- targets from a real trace ------------------------------------------------------------------

WORK = '''def slow_unique(items):
    seen = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return seen


def lookup_all(table, keys):
    out = []
    for k in keys:
        try:
            out.append(table[k])
        except KeyError:
            out.append(None)
    return out


def parse(text):
    return int(text)
'''

PROG = '''from pkg.work import lookup_all, parse, slow_unique

slow_unique(list(range(2500)) * 2)
lookup_all({"a": 1}, ["a", "b"] * 20)
parse("not a number")
'''

HOT_FIX = """A list makes each membership test linear; a set makes it constant.

pkg/work.py
<<<<<<< SEARCH
    seen = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return seen
=======
    seen = []
    known = set()
    for x in items:
        if x not in known:
            known.add(x)
            seen.append(x)
    return seen
>>>>>>> REPLACE
"""


def test_targets_from_a_real_trace(project: Path, server: ScriptedServer) -> None:
    import sys

    from analysis.trace_store import TraceStore
    from analysis.tracing import run_traced

    make_project(project, server.base_url)
    write(project, {"pkg/work.py": WORK, "prog.py": PROG})
    store = Store(project)
    result = run_traced(project, [sys.executable, "prog.py"], timeout=120)
    TraceStore(store).add(result)
    engine = LLMEngine(project, load_config(project), store, environ={})
    targets = engine.targets()
    # self-healing: the run ended with an uncaught ValueError in parse(); it comes first
    crash = targets[0]
    assert crash.title.startswith("Fix for uncaught ValueError") and (crash.path, crash.name) == ("pkg/work.py", "parse")
    assert engine.self_healing_targets()[0].key == crash.key
    off = load_config(project)
    off.values["llm"]["enabled"] = False  # no endpoint: no self-healing targets
    quiet = LLMEngine(project, off, store, environ={})
    assert quiet.self_healing_targets() == []
    assert [t.kind for t in quiet.targets()] == ["exception", "hotspot"]
    # the KeyError raised 20 times in lookup_all is a repeated exception site
    repeated = engine.exception_targets()
    assert [(t.name, t.evidence["raised"]) for t in repeated] == [("lookup_all", 20)]
    assert [t.kind for t in targets] == ["exception", "exception", "hotspot"], [(t.title, t.evidence) for t in targets]
    hot = targets[2]
    assert (hot.path, hot.start_line, hot.end_line, hot.name) == ("pkg/work.py", 1, 6, "slow_unique")
    assert hot.evidence["calls"] == 1 and hot.evidence["total_share"] > 0  # its share depends on the machine's load
    assert "items: list" in hot.evidence["argument types (sampled)"]
    server.push(Reply(HOT_FIX))
    (s,) = engine.generate([hot])
    assert s.code == "KZ903" and s.category == "performance" and s.evidence["calls"] == 1
    assert "total_share" in server.chat_requests[0].prompt
    new = s.patch.apply((project / "pkg/work.py").read_bytes()).decode()  # type: ignore[union-attr]
    assert "known = set()" in new


def test_self_healing_needs_an_endpoint(project: Path) -> None:
    write(project, {"pkg/calc.py": CALC})
    engine = engine_for(project)
    assert engine.self_healing_targets() == []
    assert all(t.kind != "failure" for t in engine.targets())


def test_non_utf8_file_offsets(project: Path) -> None:
    write(project, {"legacy.py": "# -*- coding: latin-1 -*-\nname = 'caf\xe9'\nx = 1\n".encode("latin-1")})
    blocks = parse_reply("legacy.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n").blocks
    p = make_patch(project, blocks, allowed=["legacy.py"])
    assert p.patch.apply(p.data).decode("utf-8") == "# -*- coding: latin-1 -*-\nname = 'café'\nx = 2\n"


def test_tolerant_anchors_on_real_code() -> None:
    """Every function of some real stdlib modules is found again after a model's typical damage:
    its indentation removed, and its inner spacing changed."""
    import ast
    import json.decoder
    import textwrap as textwrap_module

    checked = 0
    for module in (json.decoder, textwrap_module, threading):
        text = Path(module.__file__ or "").read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.FunctionDef) or node.end_lineno is None:
                continue
            src = "".join(lines[node.lineno - 1 : node.end_lineno])
            if text.count(src) != 1:
                continue
            start = sum(len(x) for x in lines[: node.lineno - 1])
            for damaged, method in (
                (textwrap_module.dedent(src), "indentation" if src != textwrap_module.dedent(src) else "exact"),
                (src.replace(", ", ",  ").replace(" = ", "="), None),
            ):
                loc = locate(text, damaged, damaged, near_line=node.lineno)
                assert loc is not None, (module.__name__, node.name)
                assert (loc.start, loc.end) == (start, start + len(src)), (module.__name__, node.name)
                if method:
                    assert loc.method == method
            checked += 1
    assert checked > 80


def test_reply_with_only_the_new_function_replaces_the_target(project: Path, server: ScriptedServer) -> None:
    make_project(project, server.base_url)
    write(project, {"pkg/shapes.py": "class Box:\n    def area(self):\n        a = self.w\n        return a * self.h\n"})
    server.push(
        Reply("Simpler:\n\n```python\ndef total(values):\n    return sum(values)\n```\nThat is all."),
        Reply("```python\ndef area(self):\n    return self.w * self.h\n```"),
        Reply("```python\nimport os\n\ndef area(self):\n    return 0\n```"),
    )
    engine = engine_for(project)
    (s,) = engine.generate([finding_target("pkg/calc.py", 9, root=project)])
    assert s.patch is not None and s.patch.apply((project / "pkg/calc.py").read_bytes()).decode() == FIXED_SUM
    assert s.rationale == "Simpler:\n\nThat is all."
    method = finding_target("pkg/shapes.py", 3, root=project)
    (m,) = engine.generate([method])
    assert m.patch is not None
    assert m.patch.apply((project / "pkg/shapes.py").read_bytes()).decode() == (
        "class Box:\n    def area(self):\n        return self.w * self.h\n")
    # a code block that does not open with the function is not taken as a rewrite
    other = finding_target("pkg/shapes.py", 4, root=project, finding="KZ703: Nesting is too deep")  # a new prompt
    assert (other.start_line, other.end_line) == (method.start_line, method.end_line) == (2, 4)
    assert engine.generate([other]) == []
    assert any("no edit, only prose" in n for n in engine.notes)


def test_git_style_diff_with_dropped_context_spaces(project: Path) -> None:
    write(project, {"pkg/calc.py": CALC})
    reply = (
        "Fix:\n\n```diff\ndiff --git a/pkg/calc.py b/pkg/calc.py\nindex 1a2b3c4..5d6e7f8 100644\n"
        "--- a/pkg/calc.py\n+++ b/pkg/calc.py\n@@ -9,4 +9,4 @@\n    result = 0\n    for v in values:\n"
        "        result = result + v\n-    return result - 1\n+    return result\n```\nDone."
    )
    parsed = parse_reply(reply)
    assert parsed.explanation == "Fix:\n\nDone."
    p = make_patch(project, parsed.blocks, allowed=["pkg/calc.py"])
    assert p.patch.apply(CALC.encode()).decode() == CALC.replace("return result - 1", "return result")


def test_diff_deleting_or_creating_files_gives_no_edit() -> None:
    gone = parse_reply("--- a/pkg/calc.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-x = 1\n-y = 2\n")
    assert gone.blocks == [] and "deleting files is not supported" in gone.problems[0]
    new = parse_reply("--- /dev/null\n+++ b/pkg/new.py\n@@ -0,0 +1 @@\n+x = 1\n")
    assert new.blocks == [] and "creating files is not supported" in new.problems[0]
