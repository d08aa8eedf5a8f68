"""pytest plugin (loaded through ``PYTEST_PLUGINS``): tells Kaizen's collector which test runs.

Lines executed during a test's setup, call and teardown are attributed to its node id;
each test's outcome (and the failure's text) is recorded for self-healing.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

try:
    import _kaizen_collector as _collector
except ImportError:  # pragma: no cover - the plugin is only meaningful next to the collector
    _collector = None

_results: dict[str, dict[str, Any]] = {}

if _collector is not None and _collector._mode == "instrument":
    try:  # test modules and conftest files: pytest's assertion rewriter compiles them
        import _kaizen_instrument

        _kaizen_instrument.patch_pytest()
    except Exception as exc:
        _collector._errors.append(f"pytest patch: {exc!r}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Generator[None, None, None]:
    if _collector is not None:
        _collector.set_test(item.nodeid)
    try:
        yield
    finally:
        if _collector is not None:
            _collector.set_test("")


def pytest_runtest_logreport(report: Any) -> None:
    if _collector is None:
        return
    res = _results.setdefault(report.nodeid, {"outcome": "passed", "duration": 0.0, "longrepr": ""})
    res["duration"] += float(getattr(report, "duration", 0.0) or 0.0)
    if report.failed:
        res["outcome"] = "failed" if report.when == "call" else "error"
        try:
            res["longrepr"] += f"[{report.when}]\n{report.longreprtext}\n"
        except Exception:
            res["longrepr"] += f"[{report.when}] (no traceback)\n"
    elif report.skipped and res["outcome"] == "passed":
        res["outcome"] = "skipped"
    if report.when == "teardown":  # pytest reports a teardown for every test, even skipped ones
        _collector.test_outcome(report.nodeid, res["outcome"], res["duration"], res["longrepr"])
        _results.pop(report.nodeid, None)
