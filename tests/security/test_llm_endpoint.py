"""Issue 17: a cloned project's kaizen.toml picked where the user's key went.

With ``[llm] base-url`` set by the project, every request carried ``OPENAI_API_KEY`` from the
environment. Now the environment's key goes only to the endpoint the user chose outside the
project (``OPENAI_BASE_URL``, a keyring entry for that exact URL, OpenAI itself) or to one the
user confirmed for this project and this host (``--trust-endpoint``; the window asks),
remembered outside the project. Every test runs against a real HTTP server on this machine
and reads the headers it received.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analysis.config import load_config
from suggestions.llm import LLMEngine
from suggestions.llm.trust import TrustStore, origin_of, trust_path
from suggestions.store import Store
from tests.conftest import write
from tests.llm_server import Redirect, Reply, ScriptedServer, non_loopback_host
from tests.llm_targets import finding_target

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-user-env-key-0123456789abcdefXYZ"
CALC = "def total(values):\n    result = 0\n    for v in values:\n        result = result + v\n    return result - 1\n"
FIX = ("pkg/calc.py\n<<<<<<< SEARCH\n    return result - 1\n=======\n    return result\n>>>>>>> REPLACE\n")
TARGET = finding_target("pkg/calc.py", 1, 5)


@pytest.fixture(autouse=True)
def user_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user with OPENAI_API_KEY set and an empty Kaizen folder of their own."""
    home = tmp_path / "user-kaizen"
    monkeypatch.setenv("KAIZEN_HOME", str(home))
    for k in [k for k in os.environ if k.startswith(("OPENAI_", "KAIZEN_LLM"))]:
        monkeypatch.delenv(k)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    import keyring

    from tests.test_llm import MemoryKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield home
    keyring.set_keyring(previous)


@pytest.fixture
def remote() -> Iterator[ScriptedServer]:
    """A real server that Kaizen cannot tell from a remote host (this machine's own name)."""
    where = non_loopback_host()
    if where is None:
        pytest.skip("no host name or interface on this machine that is not loopback")
    with ScriptedServer(bind=where[0], host=where[1]) as srv:
        yield srv


@pytest.fixture
def local() -> Iterator[ScriptedServer]:
    with ScriptedServer() as srv:
        yield srv


LONG = "def long_one(a, b, c):\n    x = a + b + c\n" + "".join(f"    x += {i}\n" for i in range(8)) + "    return x\n"


def cloned(root: Path, base_url: str) -> Path:
    """A project as cloned from someone else: its kaizen.toml names the endpoint (and it has
    one long function, a structural finding that `suggest --llm` asks about)."""
    write(root, {
        "kaizen.toml": f'[llm]\nbase-url = "{base_url}"\nmodel = "scripted"\ncandidates = 1\nattempts = 1\nmax-retries = 0\n'
                       'timeout = 20.0\n\n[thresholds]\nfunction-lines = 5\nparameters = 2\n',
        "pkg/__init__.py": "",
        "pkg/calc.py": CALC,
        "pkg/long.py": LONG,
    })
    return root


def engine(root: Path) -> LLMEngine:
    return LLMEngine(root, load_config(root), Store(root))


def keys_sent(server: ScriptedServer) -> list[str]:
    return [r.headers.get("authorization", "") for r in server.requests]


def assert_key_never_sent(server: ScriptedServer) -> None:
    for r in server.requests:
        assert KEY not in json.dumps(r.headers) and KEY.encode() not in r.raw, r.headers


# --- the attack: the project names the endpoint ---------------------------------------------------


def test_project_endpoint_never_gets_the_environment_key(project: Path, remote: ScriptedServer) -> None:
    cloned(project, remote.base_url)
    remote.push(Reply(FIX))
    e = engine(project)
    try:
        assert e.generate([TARGET]) == []
        ok, why = e.available()
    finally:
        e.close()
        e.store.close()
    assert remote.requests == []  # not even asked without a key: it is not the user's server
    assert not ok and "--trust-endpoint" in why and origin_of(remote.base_url) in why
    assert e.confirmation is not None and e.confirmation.origin == origin_of(remote.base_url)


def test_project_loopback_endpoint_is_asked_without_the_key(project: Path, local: ScriptedServer) -> None:
    """Loopback: asked (a local model server needs no key), but the user's key stays home."""
    cloned(project, local.base_url)
    local.push(Reply(FIX))
    e = engine(project)
    try:
        assert len(e.generate([TARGET])) == 1
        ok, why = e.available()
    finally:
        e.close()
        e.store.close()
    assert keys_sent(local) == ["Bearer sk-no-key-required"]
    assert_key_never_sent(local)
    assert ok and "OPENAI_API_KEY is not sent" in why and "--trust-endpoint" in why


def test_cli_refuses_in_one_line_then_the_flag_allows_this_host(project: Path, remote: ScriptedServer,
                                                                user_env: Path, tmp_path: Path) -> None:
    cloned(project, remote.base_url)
    refused = kaizen("suggest", str(project), "--llm", "--json")
    assert refused.returncode == 2, refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "--trust-endpoint" in lines[0] and "Traceback" not in refused.stderr, lines
    assert remote.requests == []
    # The user allows it: the key goes there, and the yes is stored outside the project.
    remote.push(Reply(FIX), Reply(FIX))
    allowed = kaizen("suggest", str(project), "--llm", "--json", "--trust-endpoint")
    assert allowed.returncode == 0, allowed.stderr
    assert keys_sent(remote) == [f"Bearer {KEY}"]
    stored = json.loads((user_env / "trusted-endpoints.json").read_text())
    assert stored["trusted"][0]["project"] == os.path.realpath(project)
    assert stored["trusted"][0]["origin"] == origin_of(remote.base_url)
    assert not any(KEY in p.read_text(errors="replace") for p in project.rglob("*.toml"))
    assert (user_env / "trusted-endpoints.json").stat().st_mode & 0o077 == 0
    # Remembered: no flag needed the next time.
    again = kaizen("suggest", str(project), "--llm", "--json")
    assert again.returncode == 0 and "asking the LLM" in again.stderr, again.stderr  # (the reply is cached)
    assert keys_sent(remote) == [f"Bearer {KEY}"]


def test_trust_is_per_project_and_per_host(project: Path, remote: ScriptedServer, tmp_path: Path) -> None:
    cloned(project, remote.base_url)
    TrustStore().trust(project, remote.base_url)
    other = cloned(tmp_path / "other", remote.base_url)  # another clone, same host
    moved_port = remote.base_url.replace(f":{remote.httpd.server_address[1]}/", ":9/")
    cloned(tmp_path / "same-project-other-port", moved_port)
    for root in (other,):
        e = engine(root)
        assert e.endpoint is None and e.confirmation is not None
        e.close()
        e.store.close()
    assert not TrustStore().trusted(project, moved_port)
    assert TrustStore().trusted(project, remote.base_url)
    assert TrustStore().trusted(project, remote.base_url.replace("/v1", "/other"))  # same host:port
    # The trust store is not in the project, whatever the project contains.
    assert not str(trust_path()).startswith(str(project))


def test_project_cannot_plant_trust(project: Path, remote: ScriptedServer) -> None:
    """Files the project ships (a trust list of its own, .kaizen/) decide nothing."""
    cloned(project, remote.base_url)
    planted = {"version": 1, "trusted": [{"project": os.path.realpath(project),
                                          "origin": origin_of(remote.base_url)}]}
    write(project, {"trusted-endpoints.json": json.dumps(planted),
                    ".kaizen/trusted-endpoints.json": json.dumps(planted),
                    ".config/kaizen/trusted-endpoints.json": json.dumps(planted)})
    e = engine(project)
    assert e.endpoint is None and e.confirmation is not None
    e.close()
    e.store.close()


def test_damaged_trust_file_trusts_nothing(project: Path, remote: ScriptedServer, user_env: Path) -> None:
    cloned(project, remote.base_url)
    user_env.mkdir(parents=True, exist_ok=True)
    (user_env / "trusted-endpoints.json").write_text("{not json")
    e = engine(project)
    assert e.endpoint is None and e.confirmation is not None
    e.close()
    e.store.close()


def test_a_redirect_does_not_carry_the_prompt_elsewhere(project: Path, local: ScriptedServer) -> None:
    """The project's loopback endpoint answers 307 to a remote host: nothing is sent there."""
    where = non_loopback_host()
    if where is None:
        pytest.skip("no host name or interface on this machine that is not loopback")
    with ScriptedServer(bind=where[0], host=where[1]) as elsewhere:
        cloned(project, local.base_url)
        local.push(Redirect(elsewhere.base_url + "/chat/completions"))
        elsewhere.push(Reply(FIX))
        e = engine(project)
        try:
            assert e.generate([TARGET]) == []
        finally:
            e.close()
            e.store.close()
        assert elsewhere.requests == []
    assert len(local.chat_requests) == 1
    assert_key_never_sent(local)


# --- what the user said still works ---------------------------------------------------------------


def test_key_goes_where_the_user_pointed_it(project: Path, remote: ScriptedServer,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """OPENAI_BASE_URL is the user's word: the key goes there, also when kaizen.toml repeats it."""
    cloned(project, remote.base_url)
    monkeypatch.setenv("OPENAI_BASE_URL", remote.base_url)
    remote.push(Reply(FIX))
    e = engine(project)
    assert len(e.generate([TARGET])) == 1
    e.close()
    e.store.close()
    assert keys_sent(remote) == [f"Bearer {KEY}"]


def test_keyring_entry_for_that_exact_url_is_the_users_word(project: Path, remote: ScriptedServer) -> None:
    import keyring

    cloned(project, remote.base_url)
    keyring.set_password("kaizen", remote.base_url, "sk-ring-for-this-url-0123456789")
    remote.push(Reply(FIX))
    e = engine(project)
    assert len(e.generate([TARGET])) == 1
    e.close()
    e.store.close()
    assert keys_sent(remote) == ["Bearer sk-ring-for-this-url-0123456789"]
    assert_key_never_sent(remote)


# --- the window asks -------------------------------------------------------------------------------


@pytest.mark.gui
@pytest.mark.parametrize("answer", [False, True])
def test_window_asks_before_the_key_goes_to_the_projects_host(qtbot: Any, project: Path, remote: ScriptedServer,
                                                              monkeypatch: pytest.MonkeyPatch, answer: bool) -> None:
    from ui import endpoint_trust
    from ui.session import Session

    cloned(project, remote.base_url)
    asked: list[str] = []

    def ask(confirmation: Any, parent: Any = None) -> bool:
        asked.append(confirmation.origin)
        return answer

    monkeypatch.setattr(endpoint_trust, "ask", ask)
    remote.push(Reply(FIX))
    session = Session(project)
    messages: list[str] = []
    session.reported.connect(messages.append)
    answered: list[object] = []
    session.llm_answered.connect(answered.append)
    try:
        with qtbot.waitSignal(session.opened, timeout=120_000):
            session.open(watch=False)  # the analysis finds the long function: an LLM target
        session.ask_llm()
        qtbot.waitUntil(lambda: bool(asked) and (bool(remote.requests) if answer else bool(messages)),
                        timeout=60_000)
        if answer:
            qtbot.waitUntil(lambda: bool(answered), timeout=120_000)
            assert any(m.startswith("The LLM proposed") for m in messages)
    finally:
        session.close()
    assert asked == [origin_of(remote.base_url)]
    assert keys_sent(remote) == ([f"Bearer {KEY}"] if answer else [])
    assert TrustStore().trusted(project, remote.base_url) is answer


def kaizen(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          env=env, timeout=300, cwd=ROOT)
