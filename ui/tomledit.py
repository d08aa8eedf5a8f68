"""Small, comment-preserving edits to a project's ``kaizen.toml``.

The settings dialog and the rules editor change a few keys at a time; rewriting the user's
file from scratch would lose their comments and layout, so only the affected lines move.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["dump_value", "replace_rules", "set_value", "write_atomic"]


def dump_value(value: Any) -> str:
    """A TOML literal for a bool, number, string, list of strings or table of lists."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are valid TOML basic strings
    if isinstance(value, list):
        return "[" + ", ".join(dump_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {dump_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def _sections(lines: list[str]) -> list[tuple[str, int, bool]]:
    """(name, line index, is array) for every table header."""
    out = []
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if m:
            out.append((m.group(1), i, line.lstrip().startswith("[[")))
    return out


def set_value(text: str, section: str, key: str, value: Any) -> str:
    """Set ``key`` in ``[section]`` ("" is the top level), adding the table when missing."""
    lines = text.splitlines()
    heads = _sections(lines)
    if section:
        starts = [i for name, i, arr in heads if name == section and not arr]
        if starts:
            start = starts[0] + 1
        else:
            if lines and lines[-1].strip():
                lines.append("")
            lines += [f"[{section}]"]
            start = len(lines)
            heads = _sections(lines)
    else:
        start = 0
    end = next((i for _, i, _a in heads if i >= start), len(lines))
    key_re = re.compile(rf'^\s*(?:"{re.escape(key)}"|{re.escape(key)})\s*=')
    new_line = f"{key} = {dump_value(value)}"
    for i in range(start, end):
        if key_re.match(lines[i]):
            lines[i] = new_line
            break
    else:
        insert = end
        while insert > start and not lines[insert - 1].strip():
            insert -= 1
        lines.insert(insert, new_line)
    return "\n".join(lines) + "\n"


def replace_rules(text: str, rules: list[dict[str, Any]], prefix: str = "") -> str:
    """Replace every ``[[policy.rules]]`` table with ``rules`` (other tables untouched)."""
    lines = text.splitlines()
    heads = _sections(lines)
    name = f"{prefix}policy.rules"
    drop: set[int] = set()
    for idx, (sec, i, arr) in enumerate(heads):
        if sec == name and arr:
            end = heads[idx + 1][1] if idx + 1 < len(heads) else len(lines)
            # Comments right above the next header belong to it.
            while end > i + 1 and lines[end - 1].lstrip().startswith("#"):
                end -= 1
            drop.update(range(i, end))
    kept = [line for i, line in enumerate(lines) if i not in drop]
    while kept and not kept[-1].strip():
        kept.pop()
    for rule in rules:
        kept += ["", f"[[{name}]]"]
        kept += [f"{k} = {dump_value(v)}" for k, v in rule.items()]
    return "\n".join(kept) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_atomic_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, keeping its permissions."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        try:
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
