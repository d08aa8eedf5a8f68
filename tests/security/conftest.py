"""Shared by every security test: a Kaizen home of its own (``KAIZEN_HOME``: the audit key and
the head copies), so nothing touches the real ``~/.config/kaizen``; subprocesses inherit it.

Helpers live in ``audit_support.py`` (audit, input and escape attacks) and
``confinement_support.py`` (validation sandbox attacks).
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def kaizen_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "kaizen-home"
    monkeypatch.setenv("KAIZEN_HOME", str(h))
    return h
