"""Real LLM targets for tests, made the way the engine makes them.

``finding_target`` is a KZ904 target as ``LLMEngine.finding_targets`` builds it (the
``Target`` constructor, the finding and its explanation as evidence); ``exception_target`` a
KZ902 one as ``failure_target`` builds it for an uncaught exception (a message and a
traceback). Either covers the lines given, or, with ``root``, the function around them
(``enclosing_function``, ``Target.for_function``), as the engine does for a finding or an
exception site that points at one line of a function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from suggestions.llm.targets import KINDS, Target, enclosing_function

__all__ = ["exception_target", "finding_target"]

FINDING = "KZ701: Function is too long"
EXPLANATION = "A long function is hard to read and to test; split it into smaller ones."


def _span(root: Path | None, path: str, start: int, end: int) -> tuple[int, int, str]:
    """(start, end, name): the function around the lines with ``root`` when it holds them all."""
    if root is not None:
        found = enclosing_function(root, path, start)
        if found and found[0] <= start and end <= found[1]:
            return found
    return start, end, ""


def finding_target(path: str, start_line: int, end_line: int | None = None, *, root: Path | None = None,
                   finding: str = FINDING, explanation: str = EXPLANATION) -> Target:
    """A KZ904 refactoring target for a structural finding at ``path:start_line-end_line``."""
    start, end, name = _span(root, path, start_line, end_line or start_line)
    codes = finding.split(":", 1)[0]
    title = f"Refactoring of `{name}` ({codes})" if name else f"Refactoring for {codes}: {finding}"
    return Target("finding", path, start, end, title, name=name,
                  evidence={"finding": finding, "explanation": explanation})


def exception_target(path: str, start_line: int, end_line: int | None = None, *, root: Path | None = None,
                     message: str = "ValueError: bad input", traceback: str = "") -> Target:
    """A KZ902 target for an exception raised at ``path:start_line`` (the lines, or their function)."""
    evidence: dict[str, Any] = {"message": message, "traceback": traceback}
    if root is not None and end_line is None:
        return Target.for_function(root, "exception", path, start_line, evidence=evidence)
    start, end, name = _span(root, path, start_line, end_line or start_line)
    return Target("exception", path, start, end, f"{KINDS['exception'][1]} `{name or f'{path}:{start}'}`",
                  name=name, evidence=evidence)
