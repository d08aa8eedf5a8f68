"""End to end: `kaizen watch PATH --auto-apply` on a real project with a real pytest suite.

The policy allows only validated SAFE fixes in one folder (``pkg/safe``). After edits that
create eligible and ineligible suggestions, exactly the eligible ones are applied (each
logged in the audit log under the rule's name), the rest are left alone, and the project's
own test suite still passes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from suggestions.apply.audit import AuditLog
from suggestions.model import ValidationStatus, content_hash
from suggestions.store import Store
from tests.conftest import ROOT, write

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

KAIZEN_TOML = """\
[validation]
test-command = "python -m pytest -q -p no:cacheprovider"
timeout = 120

[policy]
quiet-seconds = 1
rate-limit = 20

[[policy.rules]]
name = "safe-in-core"
codes = ["*"]
applicability = ["safe"]
min-confidence = 0.9
max-changed-lines = 5
paths = ["pkg/safe/**"]
require-validation = "passed"
"""

CORE_BEFORE = '''\
"""Core helpers."""


def total(items):
    result = 0
    for item in items:
        result += item
    return result
'''

UTIL_BEFORE = '''\
"""Other helpers."""


def first(items):
    for item in items:
        return item
    return None
'''

TESTS = '''\
from pkg.other.util import first, lookup
from pkg.safe.core import find, formats, is_empty, total


def test_total():
    assert total([1, 2, 3]) == 6


def test_first():
    assert first([4, 5]) == 4 and first([]) is None


def test_find():
    assert find({"a": 1}, "a") == 1
    assert find({}, "a") == "missing"


def test_is_empty():
    assert is_empty([]) == "empty" and is_empty([1]) == "full"


def test_formats():
    # Registered by importing pkg.safe.plugins, which core.py does and never names again.
    assert formats() == ["csv"]


def test_lookup():
    assert lookup({"k": None}, "k") == "none"
'''

# The edit the user makes while Kaizen watches.
CORE_AFTER = '''\
"""Core helpers."""
import os

from pkg.safe import REGISTRY, plugins


def total(items):
    result = 0
    for item in items:
        result += item
    return result


def find(items, key):
    found = items.get(key)
    if found == None:
        return f"missing"
    return found


def is_empty(items):
    if len(items) == 0:
        return "empty"
    return "full"


def formats():
    return sorted(REGISTRY)
'''

UTIL_AFTER = '''\
"""Other helpers."""


def first(items):
    for item in items:
        return item
    return None


def lookup(table, key):
    value = table.get(key)
    if value == None:
        return f"none"
    return "some"
'''

# What must happen: (path, code, the line's text before the fix).
ELIGIBLE = {
    ("pkg/safe/core.py", "KZ108"),  # `import os` unused: safe, validated
    ("pkg/safe/core.py", "KZ601"),  # `f"missing"` without placeholders: safe, validated
}


def _python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    write(root, {
        "kaizen.toml": KAIZEN_TOML,
        "pkg/__init__.py": "",
        "pkg/safe/__init__.py": "REGISTRY = []\n",
        "pkg/safe/plugins.py": "from pkg.safe import REGISTRY\n\nREGISTRY.append(\"csv\")\n",
        "pkg/other/__init__.py": "",
        "pkg/safe/core.py": CORE_BEFORE,
        "pkg/other/util.py": UTIL_BEFORE,
        "tests/__init__.py": "",
        "tests/test_pkg.py": "from pkg.safe.core import total\n\n\ndef test_total():\n    assert total([1]) == 1\n",
        "conftest.py": "",
    })
    return root


def _run_tests(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_python(), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=root, capture_output=True, text=True, timeout=120,
    )


class Watch:
    """`python main.py watch PATH --auto-apply --json` as a subprocess, its output collected."""

    def __init__(self, root: Path) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [_python(), str(ROOT / "main.py"), "watch", str(root), "--auto-apply", "--json"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def events(self) -> list[dict[str, object]]:
        out = []
        for line in list(self.lines):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def wait_for(self, predicate: object, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():  # type: ignore[operator]
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; watch output:\n" + "\n".join(self.lines[-80:]))

    def stop(self) -> int:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._reader.join(timeout=5)
        return self.proc.returncode


def _audit(root: Path) -> list[object]:
    with Store(root) as st:
        return [e for e in AuditLog(st).entries() if e.action == "apply"]


def _settled(root: Path) -> bool:
    """Every safe fix in pkg/safe has a validation for the file's current content."""
    data = (root / "pkg/safe/core.py").read_bytes()
    current = content_hash(data)
    with Store(root) as st:
        items = [s for s in st.suggestions("pkg/safe/core.py") if s.applicability.value == "safe"]
    if not items:
        return False
    return all(
        s.patch is not None and s.patch.base_hash == current
        and s.validation.status is not ValidationStatus.PENDING and s.validation.base_hash == current
        for s in items
    )


def test_watch_auto_apply_applies_exactly_the_eligible_fixes(project: Path) -> None:
    assert _run_tests(project).returncode == 0
    watch = Watch(project)
    try:
        watch.wait_for(
            lambda: any(e.get("event") == "status" and "watching" in str(e.get("message")) for e in watch.events()),
            60, "the watcher to start",
        )
        # The user edits two files (and the tests that go with them).
        write(project, {"tests/test_pkg.py": TESTS, "pkg/other/util.py": UTIL_AFTER, "pkg/safe/core.py": CORE_AFTER})
        watch.wait_for(lambda: len(_audit(project)) >= len(ELIGIBLE), 240, "the eligible fixes to be applied")
        # Let the applier finish with the final content: every remaining safe fix in the
        # folder has been validated against it (and refused, or there would be more entries).
        watch.wait_for(lambda: _settled(project), 240, "the remaining candidates to be validated")
    finally:
        code = watch.stop()
    assert code == 0, "\n".join(watch.lines[-40:])

    entries = _audit(project)
    assert {(e.path, e.code) for e in entries} == ELIGIBLE, [(e.path, e.code, e.title) for e in entries]
    assert len(entries) == len(ELIGIBLE)
    for e in entries:
        assert e.rule == "safe-in-core" and e.actor == "safe-in-core"
        assert e.validation["status"] == "passed"
    with Store(project) as st:
        assert AuditLog(st).verify().ok
        decisions = {(d.fingerprint, d.action.value, d.actor) for d in st.decisions()}
    assert {(e.fingerprint, "auto-applied", "safe-in-core") for e in entries} <= decisions

    # The ineligible candidates really were there, each for its own reason.
    with Store(project) as st:
        core_left = st.suggestions("pkg/safe/core.py")
        util_left = st.suggestions("pkg/other/util.py")
    assert any(s.code == "KZ601" and s.applicability.value == "safe" for s in util_left)  # wrong folder
    assert any(s.code == "KZ103" and s.applicability.value == "unsafe" for s in core_left)  # unsafe fix
    failed = [s for s in core_left if s.code == "KZ108"]
    assert [s.validation.status for s in failed] == [ValidationStatus.FAILED]  # breaks test_formats

    core = (project / "pkg/safe/core.py").read_text()
    util = (project / "pkg/other/util.py").read_text()
    assert "import os" not in core  # KZ108 applied
    assert 'return "missing"' in core  # KZ601 applied
    assert "import REGISTRY, plugins" in core  # KZ108 whose validation fails (an import for its effect)
    assert "if found == None:" in core  # KZ103 is unsafe: left alone
    assert "if len(items) == 0:" in core  # KZ401 is unsafe: left alone
    assert util == UTIL_AFTER  # outside the rule's folder: untouched
    for e in watch.events():
        if "auto-apply" in str(e.get("message", "")):
            print(e["message"])
    applied_lines = [e for e in watch.events() if "auto-apply: applied" in str(e.get("message", ""))]
    assert len(applied_lines) == len(ELIGIBLE), watch.lines[-40:]

    result = _run_tests(project)
    assert result.returncode == 0, result.stdout + result.stderr
