"""Shared fixtures. Qt must be headless before anything imports it."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The audit key and head copies of the tests' throwaway projects stay out of ~/.config/kaizen.
os.environ.setdefault("KAIZEN_HOME", tempfile.mkdtemp(prefix="kaizen-test-home-"))

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project folder."""
    root = tmp_path / "proj"
    root.mkdir()
    return root


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create files under root (str is written as UTF-8)."""
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
    return root
