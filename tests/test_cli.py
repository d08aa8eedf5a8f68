"""The command line, run the way a user runs it: `python main.py ...` in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.e2e


def kaizen(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True, text=True, cwd=cwd or ROOT, timeout=120,
    )


@pytest.fixture
def sample(project: Path) -> Path:
    return write(project, {
        "pkg/__init__.py": "",
        "pkg/core.py": "def add(item, items=[]):\n    items.append(item)\n    return items\n",
        "pkg/clean.py": "def ok(x):\n    return x\n",
        "pkg/broken.py": "def f(:\n    pass\n",
        "web/app.ts": "export function f(a: number): number { return a + 1; }\n",
        "notes.txt": "not source\n",
    })


def test_help_lists_every_command() -> None:
    out = kaizen("--help")
    assert out.returncode == 0
    for command in ("scan", "gui"):
        assert command in out.stdout


def test_scan_text_reports_findings_and_exits_1(sample: Path) -> None:
    out = kaizen("scan", str(sample))
    assert out.returncode == 1, out.stderr
    assert "pkg/core.py:1:" in out.stdout and "KZ101" in out.stdout
    assert "pkg/broken.py:1:" in out.stdout and "KZ001" in out.stdout
    assert "finding(s)" in out.stderr
    assert (sample / ".kaizen" / "kaizen.db").exists()


def test_scan_json_fields(sample: Path) -> None:
    out = kaizen("scan", str(sample), "--format", "json")
    assert out.returncode == 1
    items = json.loads(out.stdout)
    assert {i["code"] for i in items} >= {"KZ101", "KZ001"}
    required = {"id", "fingerprint", "code", "title", "path", "line", "applicability",
                "confidence", "source", "score", "validation", "diff"}
    for item in items:
        assert required <= set(item)
        assert item["validation"]["status"] == "pending"


def test_scan_clean_project_exits_0(project: Path) -> None:
    write(project, {"a.py": "def f(x):\n    return x\n"})
    out = kaizen("scan", str(project), "--format", "json")
    assert out.returncode == 0
    assert json.loads(out.stdout) == []


def test_scan_select_and_ignore(sample: Path) -> None:
    items = json.loads(kaizen("scan", str(sample), "--format", "json", "--ignore", "KZ001").stdout)
    assert {i["code"] for i in items} == {"KZ101"}
    items = json.loads(kaizen("scan", str(sample), "--format", "json", "--select", "KZ001").stdout)
    assert {i["code"] for i in items} == {"KZ001"}


def test_sarif_is_2_1_0_shaped(sample: Path) -> None:
    out = kaizen("scan", str(sample), "--format", "sarif")
    doc = json.loads(out.stdout)
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    for result in run["results"]:
        assert result["ruleId"] in ids
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("none", "note", "warning", "error")
        loc = result["locations"][0]["physicalLocation"]
        assert not loc["artifactLocation"]["uri"].startswith("/")
        assert loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1
        assert result["message"]["text"]


def test_usage_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    out = kaizen("scan", str(tmp_path / "missing"))
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "no such folder" in out.stderr
    bad = write(tmp_path / "bad", {"kaizen.toml": "[validation]\ntimeout = 'x'\n"})
    out = kaizen("scan", str(bad))
    assert out.returncode == 2
    assert "kaizen.toml:2" in out.stderr and "validation.timeout" in out.stderr
    out = kaizen("scan")
    assert out.returncode == 2


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).parent / "kaizen"
    assert exe.exists()
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("kaizen ")


def test_config_command_checks_and_documents(project: Path) -> None:
    write(project, {"kaizen.toml": "[thresholds]\ncomplexity = 7\n"})
    out = kaizen("config", str(project), "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["thresholds"]["complexity"] == 7
    write(project, {"kaizen.toml": "[thresholds]\ncomplexty = 7\n"})
    out = kaizen("config", str(project))
    assert out.returncode == 2 and "kaizen.toml:2: unknown key 'thresholds.complexty'" in out.stderr
    assert "`complexity`" in kaizen("config", "--doc").stdout


DUPLICATED = """
def total(order, tax):
    subtotal = 0
    for line in order.lines:
        if line.quantity > 0 and not line.cancelled:
            subtotal += line.price * line.quantity
        elif line.quantity < 0:
            raise ValueError(f"negative quantity on {line.sku}")
    discount = order.discount or 0
    return round((subtotal - discount) * (1 + tax), 2)
"""


@pytest.mark.parametrize("files", [6, 230], ids=["in-process", "workers"])
def test_scan_stores_what_it_reports_while_it_runs(project: Path, files: int) -> None:
    """The CLI writes results batch by batch; the store ends equal to a fresh scan's results,
    cross-file duplicates (added after the batches) and removed files included."""
    from analysis.config import load_config
    from suggestions.analyze.scan import PARALLEL_THRESHOLD, scan_project
    from suggestions.store import Store

    assert (files >= PARALLEL_THRESHOLD) == (files == 230)  # and more than one batch of writes
    write(project, {f"pkg/m{i}.py": f"import os\n\ndef f{i}(x=[]):\n    return x == None\n" for i in range(files)})
    write(project, {"pkg/a.py": DUPLICATED, "pkg/b.py": DUPLICATED.replace("total", "grand_total"),
                    "pkg/big.bin": b"\0" * 64})

    def stored() -> tuple[dict[str, dict[str, object]], int, dict[str, str]]:
        with Store(project) as store:
            return ({s.fingerprint: s.to_dict() for s in store.suggestions()}, len(store.symbols()),
                    store.file_hashes())

    def expected() -> tuple[dict[str, dict[str, object]], int]:
        result = scan_project(project, load_config(project), jobs=1)
        return ({s.fingerprint: s.to_dict() for s in result.suggestions},
                sum(len(f.symbols) + sum(r[7].count("[") - 1 for r in f.symbols if r[7]) for f in result.files))

    for i in range(2):  # a cold scan, then a scan over the stored state
        assert kaizen("scan", str(project)).returncode == 1
        got, symbols, hashes = stored()
        want, want_symbols = expected()
        assert got == want and symbols == want_symbols
        assert len(hashes) == files + 2
        assert any(s["code"] == "KZ705" and s["path"] == "pkg/b.py" for s in got.values())
        (project / f"pkg/m{i}.py").unlink()
        files -= 1
    with Store(project) as store:
        plan = " ".join(str(tuple(r)) for r in store.execute("EXPLAIN QUERY PLAN SELECT * FROM symbols WHERE name='f1'"))
        assert "symbols_name" in plan


@pytest.mark.slow
def test_a_second_scan_reuses_the_first(project: Path) -> None:
    """A scan over a complete stored one analyses only what changed and reports exactly what
    a fresh scan would; other rules or settings make it start over."""
    write(project, {f"pkg/m{i}.py": f"import os\n\ndef f{i}(x=[]):\n    return x == None\n" for i in range(8)})
    write(project, {"pkg/a.py": DUPLICATED, "pkg/b.py": DUPLICATED.replace("total", "grand_total")})

    def scan(*extra: str) -> tuple[str, str]:
        r = kaizen("scan", "--diff", *extra, str(project))
        assert r.returncode == 1, r.stderr
        return r.stdout, r.stderr

    cold, note = scan()
    assert "unchanged since the last scan" not in note
    warm, note = scan()
    assert warm == cold and "(10 unchanged since the last scan)" in note
    (project / "pkg/m3.py").write_text("import sys\n")
    (project / "pkg/b.py").write_text(DUPLICATED.replace("total", "sum_"))
    (project / "pkg/m4.py").unlink()
    warm, note = scan()
    assert "(7 unchanged since the last scan)" in note
    assert warm == scan("--no-store")[0]
    for _ in range(2):  # another selection: a full scan, each time
        selected, note = scan("--select", "KZ1")
        assert "unchanged since the last scan" not in note and "KZ705" not in selected
    assert "(7 unchanged since the last scan)" not in scan()[1]  # the store was the selection's


def test_service_starts_warm_from_a_scan(project: Path) -> None:
    """`kaizen suggest`, `watch` and the window reuse a complete scan instead of redoing it;
    a scan that stopped half-way leaves nothing they would trust."""
    from suggestions.analyze.scan import SIGNATURE_KEY
    from suggestions.project.service import ProjectService
    from suggestions.store import Store

    write(project, {f"pkg/m{i}.py": f"import os\n\ndef f{i}(x=[]):\n    return x == None\n" for i in range(30)})
    write(project, {"pkg/a.py": DUPLICATED, "pkg/b.py": DUPLICATED.replace("total", "grand_total")})
    assert kaizen("scan", str(project)).returncode == 1
    with Store(project) as store:
        scanned = {s.fingerprint for s in store.suggestions()}
    service = ProjectService(project, jobs=1)
    try:
        stats = service.open()
        assert (stats.cold, stats.analysed, stats.reused) == (False, 0, 32)
        assert {s.fingerprint for s in service.suggestions(include_rejected=True)} == scanned
    finally:
        service.close()
    with Store(project) as store:
        store.set_meta(SIGNATURE_KEY, "")  # what an interrupted scan leaves
    service = ProjectService(project, jobs=1)
    try:
        assert service.open().cold
    finally:
        service.close()


def test_apply_of_advice_only_is_an_input_error(sample: Path) -> None:
    items = json.loads(kaizen("scan", str(sample), "--format", "json").stdout)
    advice = next(i for i in items if not i["diff"])  # KZ001, a syntax error: nothing to apply
    before = (sample / advice["path"]).read_bytes()
    out = kaizen("apply", str(sample), advice["id"])
    assert out.returncode == 2 and out.stdout == ""
    assert len(out.stderr.splitlines()) == 1 and "advice only" in out.stderr, out.stderr
    assert (sample / advice["path"]).read_bytes() == before
