"""A small real project with a real pytest suite, for the validation and patcher tests.

Also a minimal per-test line-coverage recorder (a pytest plugin using ``sys.settrace``),
used when the trace package's store cannot be written through its public API.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from analysis.inventory import read_source
from suggestions.model import Applicability, Edit, Patch, Span, Suggestion, fingerprint_of
from tests.conftest import write

OPS = '''\
"""Arithmetic the tests exercise."""

SCALE = 1


def add(a, b):
    return a + b


def mul(a, b):
    return a * b


def neg(a):
    return -a


def slow_total(n):
    import time

    time.sleep(0.4)
    return sum(range(n))


def spawn_and_work(x):
    return x + 1
'''

TESTS = {
    "tests/__init__.py": "",
    "tests/test_add.py": textwrap.dedent('''\
        from calc.ops import add


        def test_add():
            assert add(2, 3) == 5


        def test_add_negative():
            assert add(-2, -3) == -5
        '''),
    "tests/test_mul.py": textwrap.dedent('''\
        from calc.ops import mul, neg


        def test_mul():
            assert mul(2, 3) == 6


        def test_neg():
            assert neg(4) == -4
        '''),
    "tests/test_flaky.py": textwrap.dedent('''\
        import os
        from pathlib import Path

        from calc.ops import mul


        def test_flaky_mul():
            # Fails on every second run when KZ_FLAKY_COUNTER names a counter file (outside
            # the project, since the sandbox is re-synced before every run).
            counter = os.environ.get("KZ_FLAKY_COUNTER")
            if not counter:
                return
            counter = Path(counter)
            n = int(counter.read_text()) + 1 if counter.exists() else 1
            counter.write_text(str(n))
            assert mul(1, 1) == 1
            assert n % 2 == 1, f"flaky failure on run {n}"
        '''),
    "tests/test_files.py": textwrap.dedent('''\
        import os
        from pathlib import Path

        from calc.ops import neg, slow_total, spawn_and_work

        DATA = Path(__file__).parent.parent / "data" / "values.txt"


        def test_reads_then_deletes_data():
            assert DATA.read_text() == "1 2 3\\n"
            DATA.unlink()
            (DATA.parent / "junk.txt").write_text("written by a test")
            assert neg(0) == 0


        def test_slow_total():
            assert slow_total(10) == 45


        def test_spawn():
            assert spawn_and_work(1) == 2
        '''),
}


def make_project(root: Path) -> Path:
    write(root, {"calc/__init__.py": "", "calc/ops.py": OPS, "data/values.txt": "1 2 3\n", **TESTS})
    write(root, {"kaizen.toml": "[validation]\ntimeout = 20\nrepeats = 2\n"})
    return root


SUITE_SIZE = 8  # tests in TESTS


def suggestion(root: Path, rel: str, old: str, new: str, *, category: str = "", code: str = "KZ999",
               title: str = "", occurrence: int = 0) -> Suggestion:
    """A suggestion replacing the ``occurrence``-th ``old`` in ``rel`` with ``new``."""
    src = read_source(root / rel)  # offsets are into the UTF-8 text, whatever the file's encoding
    data = src.data
    start = -1
    for _ in range(occurrence + 1):
        start = data.index(old.encode("utf-8"), start + 1)
    end = start + len(old.encode("utf-8"))
    line = data.count(b"\n", 0, start) + 1
    patch = Patch(rel, src.raw_hash, (Edit(start, end, new),))
    fp = fingerprint_of(code, rel, old, occurrence)
    return Suggestion(
        fingerprint=fp, code=code, title=title or f"replace {old.strip()!r}", rationale="because tests",
        path=rel, span=Span(line, 0, line, 0, start, end), patch=patch,
        applicability=Applicability.SAFE, confidence=0.9, category=category,
    )


# --- per-test coverage -------------------------------------------------------------------------

PLUGIN = '''\
import json, os, sys

_root = os.path.realpath(os.environ["KZ_COVER_ROOT"])
_out = os.environ["KZ_COVER_OUT"]
_map = {}
_current = None


def _tracer(frame, event, arg):
    fn = frame.f_code.co_filename
    if not fn.startswith(_root):
        return None
    if event == "line" and _current is not None:
        rel = os.path.relpath(fn, _root).replace(os.sep, "/")
        _map.setdefault(rel, {}).setdefault(str(frame.f_lineno), set()).add(_current)
    return _tracer


def pytest_runtest_setup(item):
    global _current
    _current = item.nodeid
    sys.settrace(_tracer)


def pytest_runtest_teardown(item):
    global _current
    sys.settrace(None)
    _current = None


def pytest_sessionfinish(session):
    with open(_out, "w") as fh:
        json.dump({p: {l: sorted(t) for l, t in lines.items()} for p, lines in _map.items()}, fh)
'''


def record_coverage(root: Path, work: Path) -> dict[str, dict[int, set[str]]]:
    """Run the project's suite once with the recorder; ``{path: {line: {test ids}}}``."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "kz_cover.py").write_text(PLUGIN)
    out = work / "cover.json"
    env = dict(os.environ, KZ_COVER_ROOT=str(root), KZ_COVER_OUT=str(out),
               PYTHONPATH=os.pathsep.join([str(work), str(root)]))
    env.pop("PYTEST_ADDOPTS", None)
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "kz_cover", "-p", "no:cacheprovider"],
                   cwd=root, env=env, capture_output=True, timeout=120, check=False)
    raw = json.loads(out.read_text())
    return {p: {int(n): set(t) for n, t in lines.items()} for p, lines in raw.items()}


# --- a project for the strength of a validation (issue #19) ------------------------------------

FINANCE = '''\
"""Money the tests exercise, some of it weakly."""
import functools
import time


def add(a, b):
    return a + b


def projected_growth(years):
    rate = 0.05
    return round(100 * (1 + rate) ** years, 2)


def unused_helper(x):
    return x * 3


def rate_for(n):
    time.sleep(0.05)
    return n * 2
'''

FINANCE_TESTS = {
    "tests/__init__.py": "",
    "tests/test_money.py": textwrap.dedent('''\
        from money.finance import add, projected_growth, rate_for


        def test_add():
            assert add(2, 3) == 5
            assert add(-1, 1) == 0


        def test_growth_is_positive():
            assert projected_growth(10) > 0


        def test_rate_for():
            for _ in range(20):
                assert rate_for(3) == 6
        '''),
}

FINANCE_SUITE = 3


def make_finance(root: Path, toml: str = "") -> Path:
    """The money project: ``add`` well tested, ``projected_growth`` weakly, ``unused_helper``
    not at all, and ``rate_for`` slow (0.05 s a call, called 20 times by its test)."""
    write(root, {"money/__init__.py": "", "money/finance.py": FINANCE, **FINANCE_TESTS})
    write(root, {"kaizen.toml": "[validation]\ntimeout = 60\n" + toml})
    return root
