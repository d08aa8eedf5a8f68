"""One benchmark case (bench/llm_cases/<case>) through Kaizen's whole LLM path, as a user runs it.

Copy the case without its answer (``fixed/``, ``case.toml``), point ``kaizen.toml`` at an
endpoint, scan (the symbol index), trace the failing tests, then ``Project.ask_llm``: targets
from the trace, prompts, replies, parsing, validation in sandboxes, repairs. Used by
tests/test_llm_real.py and bench/llm_bench.py.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "bench" / "llm_cases"


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "case.toml").is_file())


def case_info(name: str) -> dict[str, Any]:
    with open(CASES / name / "case.toml", "rb") as f:
        return tomllib.load(f)


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".kaizen" not in p.parts and "__pycache__" not in p.parts}


def prepare(name: str, dest: Path, base_url: str, model: str, *, attempts: int = 1, candidates: int = 1,
            timeout: float = 300.0, context_tokens: int = 3000, concurrency: int = 1) -> Path:
    """A copy of the case at ``dest`` without its answer, with ``kaizen.toml`` for the endpoint."""
    shutil.copytree(CASES / name, dest, ignore=shutil.ignore_patterns("fixed", "case.toml", "__pycache__"))
    (dest / "kaizen.toml").write_text(
        f'[llm]\nbase-url = "{base_url}"\nmodel = "{model}"\ncandidates = {candidates}\nattempts = {attempts}\n'
        f"timeout = {timeout}\nmax-retries = 1\nconcurrency = {concurrency}\ncontext-tokens = {context_tokens}\n"
        "daily-token-budget = 0\n\n[validation]\ntimeout = 120.0\n", encoding="utf-8")
    return dest


@dataclass
class CaseRun:
    name: str
    offered: list[Any]
    notes: list[str]
    funnel: Any
    attempts: list[Any]
    seconds: float
    changed_files: list[str]  # project files that differ from before the run (must be none)


def run_case(project: Path, name: str = "") -> CaseRun:
    """Scan, trace the tests, ask the LLM (validated, repaired); what came out."""
    from suggestions.llm.funnel import FunnelStore
    from suggestions.project.actions import Project

    for k in [k for k in os.environ if k.startswith(("OPENAI_", "KAIZEN_LLM"))]:
        os.environ.pop(k)  # the project's kaizen.toml names the endpoint: nothing else may
    before = snapshot(project)
    proj = Project(project, open_service=False)
    try:
        proj.scan(jobs=1)
        proj.trace([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], timeout=300)
        t0 = time.perf_counter()
        offered, notes = proj.ask_llm()
        seconds = time.perf_counter() - t0
        funnels = FunnelStore(proj.store)
        funnel = funnels.latest()
        attempts = funnels.attempts()
    finally:
        proj.close()
    after = snapshot(project)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return CaseRun(name, offered, notes, funnel, attempts, seconds, changed)


def fixed_text(name: str) -> str:
    info = case_info(name)
    return (CASES / name / "fixed" / str(info["module"])).read_text(encoding="utf-8")


def answer_reply(name: str) -> str:
    """The right answer as the JSON edit object (what a perfect model would send)."""
    import ast
    import json

    info = case_info(name)
    text = fixed_text(name)
    tree = ast.parse(text)
    *outer, last = str(info["function"]).split(".")
    scope: list[ast.stmt] = tree.body
    for part in outer:
        scope = next(n for n in scope if isinstance(n, ast.ClassDef) and n.name == part).body
    fn = next(n for n in scope if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == last)
    lines = text.splitlines()[fn.lineno - 1 : fn.end_lineno]
    return json.dumps({"explanation": str(info["description"]), "code": "\n".join(lines)})
