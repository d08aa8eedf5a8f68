"""Issue 17: SSE keep-alive comments hung the LLM call forever despite ``[llm] timeout``.

The server (real, on loopback) opens the stream and then sends only ``: keep-alive`` comment
lines: bytes keep arriving, so a per-read timeout never fires, and the client's SSE reader
skips comments without yielding, so a check between chunks never runs. ``[llm] timeout`` is
now a total deadline per request. The assertions are structural (the call returns a timeout
error); pytest-timeout is only the guard against a hang.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.config import load_config
from suggestions.llm import LLMEngine, LLMError
from suggestions.llm.provider import Endpoint, Provider
from suggestions.store import Store
from tests.conftest import write
from tests.llm_server import Flood, KeepAlive, Reply, ScriptedServer, TrickleHeaders
from tests.llm_targets import finding_target

MESSAGES = [{"role": "user", "content": "hello"}]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("behaviour", [KeepAlive(interval=0.05), TrickleHeaders(interval=0.05)],
                         ids=["sse-keep-alive", "trickled-headers"])
def test_a_trickling_server_is_cut_off_at_the_timeout(behaviour: KeepAlive | TrickleHeaders) -> None:
    with ScriptedServer() as server:
        server.push(behaviour)
        provider = Provider(Endpoint(server.base_url, "scripted", "config", "placeholder", "x"),
                            timeout=2.0, max_retries=0)
        try:
            with pytest.raises(LLMError) as caught:
                provider.complete(MESSAGES)
        finally:
            provider.close()
        assert caught.value.kind == "timeout", caught.value
        assert "[llm] timeout" in str(caught.value)
        if isinstance(behaviour, KeepAlive):
            assert server.keepalives > 0  # the stream was open and sending


@pytest.mark.timeout(90)
def test_engine_gives_up_on_keep_alives_and_says_why(project: Path) -> None:
    with ScriptedServer() as server:
        write(project, {
            "kaizen.toml": f'[llm]\nbase-url = "{server.base_url}"\nmodel = "scripted"\ncandidates = 1\n'
                           "timeout = 2\nmax-retries = 0\n",
            "pkg/calc.py": "def total(values):\n    return sum(values) - 1\n",
        })
        server.push(KeepAlive())
        engine = LLMEngine(project, load_config(project), Store(project), environ={})
        try:
            assert engine.generate([finding_target("pkg/calc.py", 1, 2)]) == []
        finally:
            engine.close()
            engine.store.close()
    assert any("within the timeout" in n for n in engine.notes), engine.notes


@pytest.mark.timeout(60)
def test_a_normal_reply_is_not_cut_off() -> None:
    with ScriptedServer() as server:
        server.push(Reply("all good " * 50, chunk=8), Reply("again"))
        provider = Provider(Endpoint(server.base_url, "scripted", "config", "placeholder", "x"),
                            timeout=20.0, max_retries=0)
        try:
            assert provider.complete(MESSAGES).text == "all good " * 50
            assert provider.complete(MESSAGES).text == "again"  # a fresh connection, a fresh deadline
        finally:
            provider.close()


@pytest.mark.timeout(60)
def test_an_endless_comment_line_is_cut_off_by_size() -> None:
    """One SSE comment that never ends: the reader would buffer it whole until the deadline."""
    with ScriptedServer() as server:
        server.push(Flood())
        provider = Provider(Endpoint(server.base_url, "scripted", "config", "placeholder", "x"),
                            timeout=600.0, max_retries=0, max_raw_bytes=4 << 20)
        try:
            with pytest.raises(LLMError) as caught:
                provider.complete(MESSAGES)
        finally:
            provider.close()
    assert caught.value.kind == "too-large", caught.value


def test_replies_are_asked_for_uncompressed() -> None:
    """So the byte cap bounds what is decoded: no gzip bomb."""
    with ScriptedServer() as server:
        server.push(Reply("ok"))
        provider = Provider(Endpoint(server.base_url, "scripted", "config", "placeholder", "x"),
                            timeout=20.0, max_retries=0)
        try:
            provider.complete(MESSAGES)
        finally:
            provider.close()
        (req,) = server.chat_requests
    assert req.headers.get("accept-encoding") == "identity"
