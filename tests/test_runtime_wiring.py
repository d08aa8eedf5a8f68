"""A trace feeds the list: runtime suggestions appear and static ones carry runtime evidence."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.e2e


def kaizen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          timeout=180)


@pytest.mark.slow
def test_trace_then_suggest_ranks_by_runtime_evidence(project: Path) -> None:
    write(project, {
        "calc/__init__.py": "",
        "calc/core.py": (
            "def fib(n):\n"
            "    if n < 2:\n"
            "        return n\n"
            "    return fib(n - 1) + fib(n - 2)\n"
            "\n\n"
            "def table(rows):\n"
            "    out = []\n"
            "    for i in range(len(rows)):\n"
            "        if rows[i] == None:\n"
            "            continue\n"
            "        out.append(fib(rows[i] % 18))\n"
            "    return out\n"
        ),
        "tests/test_core.py": (
            "from calc.core import fib, table\n\n"
            "def test_fib():\n"
            "    assert [fib(i) for i in range(15)][-1] == 377\n\n"
            "def test_table():\n"
            "    assert len(table(list(range(300)) + [None])) == 300\n"
        ),
    })
    out = kaizen("trace", str(project), "--", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert out.returncode == 0, out.stderr
    assert "runtime suggestion" in out.stderr
    items = json.loads(kaizen("suggest", str(project), "--json", "--limit", "0").stdout)
    by_code = {i["code"]: i for i in items}
    memo = by_code["KZ801"]
    assert memo["source"] == "runtime" and "fib" in memo["title"]
    assert "functools" in memo["diff"]
    none_cmp = by_code["KZ103"]
    runtime = none_cmp["evidence"]["runtime"]
    assert runtime["calls"] >= 1 and runtime["executed"] is True
    assert "called" in none_cmp["explanation"]


@pytest.mark.slow
def test_edit_keeps_runtime_suggestions_and_never_ran_notes_are_hidden(project: Path) -> None:
    write(project, {
        "calc/__init__.py": "",
        "calc/core.py": (
            "def fib(n):\n"
            "    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
            "\n\n"
            "def unused(x):\n"
            "    return x\n"
        ),
        "tests/test_core.py": "from calc.core import fib\n\ndef test_fib():\n    assert fib(15) == 610\n",
    })
    out = kaizen("trace", str(project), "--", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert out.returncode == 0, out.stderr
    listed = kaizen("suggest", str(project), "--limit", "0")
    assert "KZ804" not in listed.stdout
    assert "1 never-ran note(s) hidden (--never-ran shows them)" in listed.stderr
    before = {i["code"]: i for i in json.loads(kaizen("suggest", str(project), "--json", "--limit", "0",
                                                      "--never-ran").stdout) if i["source"] == "runtime"}
    assert {"KZ801", "KZ802", "KZ804"} <= set(before)
    core = project / "calc" / "core.py"
    core.write_text('"""Numbers."""\n\nLIMIT = 10\n\n\n' + core.read_text())  # 5 lines above
    after = {i["code"]: i for i in json.loads(kaizen("suggest", str(project), "--json", "--limit", "0",
                                                     "--never-ran").stdout) if i["source"] == "runtime"}
    assert set(after) == set(before)
    data = core.read_text()
    for code in ("KZ801", "KZ802", "KZ804"):
        assert after[code]["line"] == before[code]["line"] + 5, code
        assert after[code]["id"] == before[code]["id"]  # the same suggestion, moved
    assert "@functools.cache" in after["KZ801"]["diff"] and '+"""Numbers."""' not in after["KZ801"]["diff"]
    applied = kaizen("apply", str(project), after["KZ801"]["id"], "--force")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "@functools.cache\ndef fib(n):" in core.read_text() and core.read_text() != data
