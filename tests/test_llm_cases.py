"""The LLM benchmark corpus, bench/llm_cases/: every case is a real one-line bug.

For each case folder:

* ``case.toml`` is valid and complete, and names files that exist;
* the buggy module and ``fixed/<module>`` differ in exactly one line, ``bug_line``, which
  lies inside ``function``;
* the case imports nothing outside the standard library, pytest and its own package, and
  is a project of its own (a ``pytest.ini`` makes the folder pytest's rootdir; no
  ``conftest.py`` anywhere);
* its tests, run by a real ``python -m pytest`` in a temporary copy of the folder (without
  ``fixed/``), fail on the buggy code -- with assertion messages, not crashes -- while
  other tests pass, and all pass once the fixed module is copied in.

The pytest runs are marked slow: two per case, a second or more each on a shared machine.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "bench" / "llm_cases"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "case.toml").is_file())
FIELDS = {"kind": str, "module": str, "function": str, "bug_line": int, "description": str}
MIN_CASES = 24


def load(name: str) -> dict[str, object]:
    with open(CORPUS / name / "case.toml", "rb") as f:
        return tomllib.load(f)


def test_corpus_has_enough_cases_and_nothing_else() -> None:
    assert len(CASES) >= MIN_CASES, f"only {len(CASES)} cases in {CORPUS}"
    stray = sorted(
        p.name
        for p in CORPUS.iterdir()
        if p.is_dir() and p.name not in CASES and not p.name.startswith((".", "__"))
    )
    assert not stray, f"folders without a case.toml: {stray}"
    assert not (CORPUS / "conftest.py").exists(), "a corpus-level conftest.py joins the cases"
    assert not (CORPUS.parent / "conftest.py").exists()


def test_readme_lists_every_case() -> None:
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    missing = [name for name in CASES if f"`{name}`" not in readme]
    assert not missing, f"README.md does not list {missing}"


def test_kinds_are_varied() -> None:
    kinds = [load(name)["kind"] for name in CASES]
    assert len(set(kinds)) == len(kinds), f"kinds repeat: {sorted(kinds)}"


def function_span(tree: ast.Module, qualname: str) -> tuple[int, int] | None:
    """The (first, last) line of the function ``qualname`` ("f" or "Class.method")."""
    scope: list[ast.stmt] = tree.body
    *outer, last = qualname.split(".")
    for part in outer:
        classes = [n for n in scope if isinstance(n, ast.ClassDef) and n.name == part]
        if not classes:
            return None
        scope = classes[0].body
    for node in scope:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == last:
            assert node.end_lineno is not None
            return node.lineno, node.end_lineno
    return None


def outside_imports(path: Path, local: str) -> set[str]:
    """Top-level names imported by ``path`` that are neither stdlib, pytest nor ``local``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"pytest", local}


@pytest.mark.parametrize("name", CASES)
def test_case_is_well_formed(name: str) -> None:
    case_dir = CORPUS / name
    case = load(name)
    for field, typ in FIELDS.items():
        assert isinstance(case.get(field), typ), f"{name}: case.toml needs {field} ({typ.__name__})"
        assert case[field], f"{name}: case.toml's {field} is empty"
    module = str(case["module"])
    assert module.endswith(".py") and module.count("/") == 1, f"{name}: module is pkg/file.py"
    package = module.split("/")[0]
    buggy_path, fixed_path = case_dir / module, case_dir / "fixed" / module
    assert buggy_path.is_file(), f"{name}: no {module}"
    assert fixed_path.is_file(), f"{name}: no fixed/{module}"
    assert (case_dir / package / "__init__.py").is_file(), f"{name}: {package} is no package"
    assert (case_dir / "pytest.ini").is_file(), f"{name}: no pytest.ini to make it the rootdir"
    test_files = sorted((case_dir / "tests").glob("test_*.py"))
    assert test_files, f"{name}: no tests/test_*.py"
    if "tests" in case:
        assert (case_dir / str(case["tests"])) in test_files
    assert not list(case_dir.rglob("conftest.py")), f"{name}: has a conftest.py"

    buggy = buggy_path.read_text(encoding="utf-8").splitlines()
    fixed = fixed_path.read_text(encoding="utf-8").splitlines()
    assert len(buggy) == len(fixed), f"{name}: the fixed module has a different line count"
    differ = [i + 1 for i, (a, b) in enumerate(zip(buggy, fixed, strict=True)) if a != b]
    assert differ == [case["bug_line"]], (
        f"{name}: lines {differ} differ, bug_line is {case['bug_line']}"
    )
    assert 5 <= len(buggy) <= 40, f"{name}: the module has {len(buggy)} lines"

    tree = ast.parse("\n".join(buggy))
    assert ast.get_docstring(tree), f"{name}: the module has no docstring"
    ast.parse("\n".join(fixed))
    span = function_span(tree, str(case["function"]))
    assert span, f"{name}: no function {case['function']} in {module}"
    assert span[0] <= int(case["bug_line"]) <= span[1], (
        f"{name}: bug_line {case['bug_line']} is outside {case['function']} (lines {span})"
    )
    for path in [buggy_path, *test_files]:
        extra = outside_imports(path, package)
        assert not extra, f"{name}: {path.name} imports {sorted(extra)}"


def run_pytest(project: Path, report: Path) -> dict[str, list[str]]:
    """Run the project's tests the way the benchmark does; return its outcomes by test name."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTHONPATH"}
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # The cases use no plugin; not loading the installed ones (Qt, ...) saves seconds a run.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode in (0, 1), f"pytest exited {proc.returncode} in {project}:\n{output}"
    outcomes: dict[str, list[str]] = {"passed": [], "failed": [], "error": [], "skipped": []}
    messages = []
    for case in ET.parse(report).getroot().iter("testcase"):
        test = f"{case.get('classname')}.{case.get('name')}"
        for tag, outcome in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
            element = case.find(tag)
            if element is not None:
                outcomes[outcome].append(test)
                if outcome == "failed":
                    messages.append((test, element.get("message", "")))
                break
        else:
            outcomes["passed"].append(test)
    outcomes["messages"] = [f"{test}: {message}" for test, message in messages]
    outcomes["output"] = [output]
    return outcomes


@pytest.mark.slow
@pytest.mark.parametrize("name", CASES)
def test_case_tests_fail_on_the_bug_and_pass_on_the_fix(name: str, tmp_path: Path) -> None:
    case = load(name)
    module = str(case["module"])
    project = tmp_path / name
    shutil.copytree(CORPUS / name, project, ignore=shutil.ignore_patterns("fixed", "__pycache__"))

    buggy = run_pytest(project, tmp_path / "buggy.xml")
    log = buggy["output"][0]
    assert buggy["failed"], f"{name}: no test fails on the buggy code:\n{log}"
    assert not buggy["error"], f"{name}: tests error out on the buggy code:\n{log}"
    assert not buggy["skipped"], f"{name}: tests are skipped:\n{log}"
    assert buggy["passed"], f"{name}: no test passes on the buggy code, as in a real suite:\n{log}"
    for message in buggy["messages"]:
        # An assertion with a message ("AssertionError: ...") or pytest.fail ("Failed: ..."),
        # not a bare "assert x == y" nor a crash (TypeError, ...).
        kind, _, text = message.partition(": ")[2].partition(": ")
        explained = text.strip() and not text.startswith("assert ")
        assert kind in ("AssertionError", "Failed") and explained, (
            f"{name}: the failure does not explain itself: {message}"
        )

    shutil.copyfile(CORPUS / name / "fixed" / module, project / module)
    fixed = run_pytest(project, tmp_path / "fixed.xml")
    log = fixed["output"][0]
    assert not fixed["failed"] and not fixed["error"], f"{name}: the fix does not pass:\n{log}"
    assert sorted(fixed["passed"]) == sorted(buggy["passed"] + buggy["failed"]), (
        f"{name}: the fixed run ran other tests:\n{log}"
    )
