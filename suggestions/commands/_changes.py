"""Helpers shared by the commands that change a project: audit warnings, stderr lines."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from suggestions.store import Store


def warn_audit(store: Store) -> None:
    """Say loudly, on stderr, when the audit log needs the user (emptied, replaced, tampered)."""
    from suggestions.apply.audit import health

    problem = health(store)
    if problem:
        warn([f"WARNING: {problem}. Automatic changes are refused until `kaizen audit PATH --verify` "
              "is read and `kaizen audit PATH --acknowledge-reset` accepts the log as it is."])


def warn(lines: Iterable[str]) -> None:
    for line in lines:
        print(f"kaizen: {line}", file=sys.stderr)
