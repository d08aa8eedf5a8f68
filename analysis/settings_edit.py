"""Small, comment-preserving edits to a project's settings (``kaizen.toml`` or the
``[tool.kaizen]`` table of ``pyproject.toml``): the one TOML settings editor.

Rewriting the user's file from scratch would lose their comments and layout, so only the
affected lines move. Two kinds of edit:

* :func:`add_ignore` and :func:`add_per_file_ignore` (a "never" rejection, from the ranker):
  find the file, edit it textually, check that the result parses and validates and says
  what was asked, then write it atomically — or leave the file as it was and raise;
* :func:`set_value` and :func:`replace_rules` (the settings dialog and the rules editor):
  text in, text out; the caller writes with :func:`analysis.atomic.write_atomic`.

It lives in ``analysis/`` next to the settings' declaration (:mod:`analysis.config`): the
ranker, below ``suggestions.project`` in the layers, edits settings too.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from analysis.atomic import write_atomic
from analysis.config import ConfigError, validate

__all__ = ["add_ignore", "add_per_file_ignore", "dump_value", "prefix_join", "replace_rules", "set_value"]


def _config_target(root: Path) -> tuple[Path, str]:
    """The file to edit and the table prefix (``''`` or ``'tool.kaizen'``)."""
    toml = root / "kaizen.toml"
    if toml.is_file():
        return toml, ""
    py = root / "pyproject.toml"
    if py.is_file():
        try:
            data = tomllib.loads(py.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            data = {}
        tool = data.get("tool", {})
        if isinstance(tool, dict) and "kaizen" in tool:
            return py, "tool.kaizen"
    return toml, ""


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")


def _regions(lines: list[str]) -> list[tuple[str, int, int]]:
    """(table name, first line, end line exclusive); the top level is ''."""
    out: list[tuple[str, int, int]] = []
    name, start = "", 0
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if m and not _in_multiline(lines, i):
            out.append((name, start, i))
            name, start = re.sub(r"\s*\.\s*", ".", m.group(1)).replace('"', ""), i + 1
    out.append((name, start, len(lines)))
    return out


def _brackets(text: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """Each ``[`` and ``]`` outside strings and comments from ``start``, as (index, char),
    and a last ``(len(text), '"')`` when the text ends inside a string."""
    j = start
    in_str: str | None = None
    while j < len(text):
        c = text[j]
        if in_str:
            if text.startswith(in_str, j):
                j += len(in_str)
                in_str = None
                continue
            if c == "\\" and in_str in ('"', '"""'):  # escapes exist in basic strings only
                j += 2
                continue
        elif text.startswith('"""', j) or text.startswith("'''", j):
            in_str = text[j : j + 3]
            j += 3
            continue
        elif c in "\"'":
            in_str = c
        elif c == "#":
            nl = text.find("\n", j)
            j = len(text) if nl < 0 else nl
            continue
        elif c in "[]":
            yield j, c
        j += 1
    if in_str is not None:
        yield len(text), '"'


def _in_multiline(lines: list[str], i: int) -> bool:
    # A '[' at the start of a line inside a multi-line array or string is not a header.
    # Headers themselves open and close brackets on one line, so depth counts only arrays.
    depth = 0
    for _j, c in _brackets("".join(lines[:i])):
        if c == '"':
            return True
        depth += 1 if c == "[" else -1
    return depth > 0


def _array_end(text: str, open_at: int) -> int:
    """Index of the ']' closing the array that opens at ``open_at``."""
    depth = 0
    for j, c in _brackets(text, open_at):
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                return j
    raise ValueError("unterminated array")


def _append_to_array(text: str, value_at: int, item: str) -> str:
    """Insert ``item`` (TOML literal) before the ']' of the array starting at/after value_at."""
    open_at = text.index("[", value_at)
    close = _array_end(text, open_at)
    inner = text[open_at + 1 : close]
    body = re.sub(r"#[^\n]*", "", inner).strip()
    if not body:
        return text[: open_at + 1] + item + text[close:]
    if body.endswith(","):
        # Trailing comma: keep the array's layout (multi-line arrays stay multi-line).
        stripped = inner.rstrip()
        indent = re.search(r"\n([ \t]*)\S[^\n]*$", stripped)
        sep = f"\n{indent.group(1)}" if indent and "\n" in stripped else " "
        tail = inner[len(stripped) :]
        return text[: open_at + 1] + stripped + sep + item + "," + tail + text[close:]
    # Insert right after the last item, before any whitespace or comment.
    last = open_at + 1 + len(inner.rstrip())
    return text[:last] + ", " + item + text[last:]


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _key_line(lines: list[str], start: int, end: int, key: str) -> int:
    pat = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*=")
    for i in range(start, end):
        if pat.match(lines[i]) and not _in_multiline(lines, i):
            return i
    return -1


def _edit_config(root: Path, edit: Callable[[str, str], str], check: Callable[[dict[str, Any]], bool]) -> Path:
    """Apply a textual edit to the config file, verify it, write it atomically."""
    path, prefix = _config_target(root)
    try:
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        tomllib.loads(old)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: cannot add the entry to a file Kaizen cannot read ({exc}); "
                         "the file is unchanged") from None
    try:
        new = edit(old, prefix)
    except ValueError as exc:
        raise ValueError(f"{path}: could not add the entry safely ({exc}); the file is unchanged") from None
    try:
        data = tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: could not add the entry safely ({exc}); the file is unchanged") from None
    table: Any = data
    for part in filter(None, prefix.split(".")):
        table = table.get(part, {})
    try:
        values = validate(table, None)
    except ConfigError as exc:
        raise ValueError(f"{path}: {exc}; the file is unchanged") from None
    if not check(values):
        raise ValueError(f"{path}: the edit did not take; the file is unchanged")
    write_atomic(path, new)
    return path


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _insert_top_level(text: str, prefix: str, line: str) -> str:
    """Add ``key = value`` to the top-level kaizen table (creating [tool.kaizen] if needed)."""
    nl = _newline(text)
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += nl
    regions = _regions(lines)
    for name, start, end in regions:
        if name == prefix:
            at = end
            while at > start and not lines[at - 1].strip():
                at -= 1  # keep blank lines before the next header
            lines.insert(at, line + nl)
            return "".join(lines)
    # No such table yet: append one at the end of the file.
    sep = nl if lines and lines[-1].strip() else ""
    return "".join(lines) + f"{sep}[{prefix}]{nl}{line}{nl}"


def add_ignore(root: Path, code: str) -> Path:
    """Add ``code`` to the config's top-level ``ignore`` list; the rest of the file stays as is."""

    def edit(text: str, prefix: str) -> str:
        lines = text.splitlines(keepends=True)
        for name, start, end in _regions(lines):
            if name == prefix:
                i = _key_line(lines, start, end, "ignore")
                if i >= 0:
                    offset = sum(len(x) for x in lines[:i])
                    eq = text.index("=", offset)
                    return _append_to_array(text, eq, _toml_str(code))
        if not prefix:
            return _prepend_top(text, f"ignore = [{_toml_str(code)}]")
        return _insert_top_level(text, prefix, f"ignore = [{_toml_str(code)}]")

    return _edit_config(root, edit, lambda v: code in v[""]["ignore"])


def _prepend_top(text: str, line: str) -> str:
    """Add a top-level key to kaizen.toml: after the leading keys, before the first table."""
    nl = _newline(text)
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += nl
    regions = _regions(lines)
    _, start, end = regions[0]
    at = end
    while at > start and not lines[at - 1].strip():
        at -= 1
    if at == 0 and end < len(lines):
        lines.insert(0, line + nl + nl)
    else:
        lines.insert(at, line + nl)
    return "".join(lines)


def add_per_file_ignore(root: Path, pattern: str, code: str) -> Path:
    """Add ``pattern = [code]`` to the config's ``per-file-ignores``, keeping the rest textually."""
    table_name = f"{prefix_join('', 'per-file-ignores')}"

    def edit(text: str, prefix: str) -> str:
        nl = _newline(text)
        lines = text.splitlines(keepends=True)
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += nl
            text = "".join(lines)
        full = prefix_join(prefix, table_name)
        for name, start, end in _regions(lines):
            if name == full:
                i = _key_line(lines, start, end, pattern)
                if i >= 0:
                    offset = sum(len(x) for x in lines[:i])
                    eq = text.index("=", offset)
                    return _append_to_array(text, eq, _toml_str(code))
                at = end
                while at > start and not lines[at - 1].strip():
                    at -= 1
                lines.insert(at, f"{_toml_str(pattern)} = [{_toml_str(code)}]{nl}")
                return "".join(lines)
            if name == prefix:
                i = _key_line(lines, start, end, "per-file-ignores")
                if i >= 0:
                    # An inline table: add the entry before its closing brace.
                    offset = sum(len(x) for x in lines[:i])
                    brace = text.index("{", offset)
                    close = text.index("}", brace)
                    body = text[brace + 1 : close].strip()
                    key = re.compile(rf"(?:{re.escape(_toml_str(pattern))}|'{re.escape(pattern)}')\s*=")
                    m = key.search(text, brace, close)
                    if m:
                        return _append_to_array(text, m.end(), _toml_str(code))
                    entry = f"{_toml_str(pattern)} = [{_toml_str(code)}]"
                    sep = ", " if body else " "
                    return text[:close].rstrip() + sep + entry + " " + text[close:]
        sep = nl if lines and lines[-1].strip() else ""
        return "".join(lines) + f"{sep}[{full}]{nl}{_toml_str(pattern)} = [{_toml_str(code)}]{nl}"

    return _edit_config(
        root, edit, lambda v: code in v[""]["per-file-ignores"].get(pattern, [])
    )


def prefix_join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


# --- keys and rule tables (the settings dialog, the rules editor) -----------------------------


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
