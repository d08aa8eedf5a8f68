"""`kaizen rules`, run the way a user runs it: `python main.py rules` in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from suggestions.analyze.framework import all_rules

ROOT = Path(__file__).resolve().parent.parent


def kaizen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_rules_lists_every_code_with_category_fix_safety_and_summary() -> None:
    done = kaizen("rules")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [r.code for r in all_rules()]
    by_code = {line.split()[0]: line for line in lines}
    assert by_code["KZ102"].split()[1:3] == ["correctness", "unsafe"]
    assert "Bare `except:` clause" in by_code["KZ102"]
    assert "(runtime)" in by_code["KZ801"] and "(llm)" in by_code["KZ903"]
    assert "display-only" in by_code["KZ804"]


def test_rules_json_is_a_list_of_objects() -> None:
    done = kaizen("rules", "--json")
    assert done.returncode == 0, done.stderr
    rules = json.loads(done.stdout)
    codes = [r["code"] for r in rules]
    assert codes == sorted(codes) and len(codes) == len(set(codes)) == len(all_rules())
    for r in rules:
        assert {"code", "name", "category", "fix_safety", "summary"} <= set(r)
        assert r["fix_safety"] in ("safe", "unsafe", "display-only") and r["summary"]
    kz = {r["code"]: r for r in rules}
    assert kz["KZ801"]["source"] == "runtime" and kz["KZ801"]["name"] == "memoize_hot_function"
    assert kz["KZ901"]["source"] == "llm" and kz["KZ901"]["category"] == "correctness"
    assert {f"KZ8{n:02}" for n in range(1, 5)} | {f"KZ9{n:02}" for n in range(1, 5)} <= set(kz)
