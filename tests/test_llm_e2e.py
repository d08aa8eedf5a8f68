"""End to end, the way a user runs it: trace a failing test suite, then `suggest --llm --validate`
against a scripted chat-completions server; the fix is validated in a sandbox and ranked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, write
from tests.llm_server import Reply, ScriptedServer

pytestmark = pytest.mark.e2e

CALC = '''"""Small maths helpers."""


def total(values):
    result = 0
    for v in values:
        result = result + v
    return result - 1


def scale(values, factor):
    return [v * factor for v in values]
'''

TESTS = '''from pkg.calc import scale, total


def test_total():
    assert total([1, 2, 3]) == 6


def test_scale():
    assert scale([1, 2], 3) == [3, 6]
'''

GOOD_FIX = """`total` subtracts one from the sum; the sum is the answer.

pkg/calc.py
<<<<<<< SEARCH
    return result - 1
=======
    return result
>>>>>>> REPLACE
"""

BREAKING_FIX = """Fix the sum, and (wrongly) tweak scale too.

pkg/calc.py
<<<<<<< SEARCH
    return result - 1


def scale(values, factor):
    return [v * factor for v in values]
=======
    return result


def scale(values, factor):
    return [v * factor + 1 for v in values]
>>>>>>> REPLACE
"""


def make(root: Path, base_url: str) -> Path:
    write(root, {
        "kaizen.toml": (
            f'[llm]\nbase-url = "{base_url}"\nmodel = "scripted"\ncandidates = 1\nattempts = 1\nmax-retries = 0\n'
            'timeout = 20.0\n\n[validation]\ntimeout = 120.0\n'
        ),
        "pkg/__init__.py": "",
        "pkg/calc.py": CALC,
        "tests/__init__.py": "",
        "tests/test_calc.py": TESTS,
    })
    return root


def kaizen(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "KAIZEN_LLM"))}
    env["XDG_CONFIG_HOME"] = str(Path(args[1]).parent / "user-config")  # the trust store: never the real one
    env.pop("KAIZEN_HOME", None)
    env.update(env_extra or {})
    env.pop("PYTHONPATH", None)
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          env=env, timeout=600, cwd=ROOT)


def trace_and_suggest(project: Path, server: ScriptedServer) -> tuple[list[dict[str, Any]], str]:
    traced = kaizen("trace", str(project), "--", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert "test_total" in traced.stdout + traced.stderr, traced.stdout + traced.stderr
    env = {"OPENAI_API_KEY": "sk-e2e-test-key-0123456789abcdef"}
    # The project's kaizen.toml chose the endpoint: the user's key goes there only when allowed.
    done = kaizen("suggest", str(project), "--llm", "--validate", "--json", "--all", "--limit", "0",
                  "--trust-endpoint", env_extra=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


@pytest.mark.slow
def test_llm_fix_for_failing_test_is_validated_and_ranked(project: Path) -> None:
    with ScriptedServer() as server:
        make(project, server.base_url)
        server.push(Reply(GOOD_FIX))
        items, log = trace_and_suggest(project, server)
        (req,) = server.chat_requests
        assert req.headers["authorization"] == "Bearer sk-e2e-test-key-0123456789abcdef"
        assert "test_total" in req.prompt and "return result - 1" in req.prompt
    llm = [d for d in items if d["source"] == "llm"]
    assert len(llm) == 1, log
    fix = llm[0]
    assert fix["code"] == "KZ901" and fix["path"] == "pkg/calc.py"
    assert fix["validation"]["status"] == "passed", fix["validation"]
    assert "tests/test_calc.py::test_total" in fix["validation"]["tests_run"]
    assert fix["rank"] >= 1 and fix["score"] > 0 and fix["score_breakdown"]
    assert "+    return result\n" in fix["diff"]
    assert "subtracts one" in fix["rationale"]
    assert (project / "pkg/calc.py").read_text() == CALC  # validated in a sandbox, not applied


@pytest.mark.slow
def test_llm_fix_that_breaks_another_test_ends_failed(project: Path) -> None:
    with ScriptedServer() as server:
        make(project, server.base_url)
        server.push(Reply(BREAKING_FIX))
        items, log = trace_and_suggest(project, server)
    llm = [d for d in items if d["source"] == "llm"]
    assert len(llm) == 1, log
    bad = llm[0]
    assert bad["validation"]["status"] == "failed", bad["validation"]
    assert any("test_scale" in t for t in bad["validation"]["failed_tests"]), bad["validation"]
    assert (project / "pkg/calc.py").read_text() == CALC
