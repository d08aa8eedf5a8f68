"""Unified diffs of patches, computed only around the edits (fast on large files)."""

from __future__ import annotations

import difflib

from suggestions.model import Patch

__all__ = ["patch_diff", "text_diff"]

CONTEXT = 3


def text_diff(path: str, old: str, new: str, context: int = CONTEXT) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}", n=context
    )
    return "".join(_terminated(lines))


def patch_diff(patch: Patch, data: bytes, context: int = CONTEXT) -> str:
    """The unified diff that applying ``patch`` to ``data`` (UTF-8 bytes) produces.

    Only the lines around the edits are compared, so the cost does not grow with the size
    of the file.
    """
    if not patch.edits:
        return ""
    first = patch.edits[0].start
    last = max(e.end for e in patch.edits)
    # Whole lines around the edited region, plus context.
    lo = data.rfind(b"\n", 0, first) + 1
    for _ in range(context):
        if lo == 0:
            break
        lo = data.rfind(b"\n", 0, lo - 1) + 1
    hi = data.find(b"\n", last)
    hi = len(data) if hi < 0 else hi + 1
    for _ in range(context):
        if hi >= len(data):
            break
        nxt = data.find(b"\n", hi)
        hi = len(data) if nxt < 0 else nxt + 1
    region = data[lo:hi]
    shifted = Patch(patch.path, patch.base_hash, tuple(e.__class__(e.start - lo, e.end - lo, e.replacement) for e in patch.edits))
    new_region = shifted.apply(region)
    start_line = data.count(b"\n", 0, lo)  # lines before the region
    old_lines = region.decode("utf-8", "replace").splitlines(keepends=True)
    new_lines = new_region.decode("utf-8", "replace").splitlines(keepends=True)
    out = [f"--- a/{patch.path}\n", f"+++ b/{patch.path}\n"]
    body = list(difflib.unified_diff(old_lines, new_lines, n=context))[2:]
    for line in body:
        if line.startswith("@@"):
            line = _shift_hunk(line, start_line)
        out.append(line)
    return "".join(_terminated(out))


def _shift_hunk(header: str, offset: int) -> str:
    # "@@ -a,b +c,d @@" with line numbers relative to the region.
    parts = header.split()
    def shift(token: str) -> str:
        sign, rest = token[0], token[1:]
        start, _, count = rest.partition(",")
        return f"{sign}{int(start) + offset}" + (f",{count}" if count else "")
    parts[1], parts[2] = shift(parts[1]), shift(parts[2])
    return " ".join(parts) + "\n"


def _terminated(lines: object) -> list[str]:
    out: list[str] = []
    for line in lines:  # type: ignore[attr-defined]
        if not line.endswith("\n"):
            line += "\n\\ No newline at end of file\n"
        out.append(line)
    return out
