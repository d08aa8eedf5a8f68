"""A strict unified-diff reader: a diff (git's format or ``diff -u``) becomes one Patch per file.

What `kaizen validate --diff` and "Validate my changes" feed the validator. Strict on purpose:
a hunk applies only at the line its header names, with every context and removed line equal to
the file's; anything else is a :class:`DiffError` that names the file and the hunk. Patches
are edits into the UTF-8 text of each file as :func:`analysis.inventory.decode_source` reads
it (the model's offsets), one edit per run of changed lines, so the validator sees exactly
which lines changed; CRLF files, a missing newline at the end (``\\ No newline at end of
file``), a BOM and non-UTF-8 files keep their bytes. New and deleted files are read (their
:class:`FileChange` says so); renames, copies and binary changes are refused with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from analysis.hashing import content_hash
from analysis.inventory import OutsideProject, decode_source, real_relpath
from suggestions.model import Edit, Patch

__all__ = ["DiffError", "FileChange", "FileDiff", "Hunk", "parse_diff", "read_diff", "to_changes"]

Kind = Literal["modify", "new", "delete"]
_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_EXTENDED = (b"index ", b"old mode ", b"new mode ", b"new file mode ", b"deleted file mode ",
             b"similarity index ", b"dissimilarity index ", b"rename from ", b"rename to ",
             b"copy from ", b"copy to ")
_SHOWN = 60  # characters of a mismatching line shown in a message


class DiffError(ValueError):
    """The diff cannot be read, or does not apply to the project (one line for the user)."""


@dataclass(frozen=True, slots=True)
class Hunk:
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    lines: tuple[tuple[str, bytes], ...]  # (" " | "-" | "+", the line's bytes, its newline included)
    index: int  # 1-based, within its file
    at: int  # the line of the diff its header is on


@dataclass(frozen=True, slots=True)
class FileDiff:
    """One file's part of the diff, as written (paths not checked yet)."""

    old_path: str | None  # None: /dev/null, a new file
    new_path: str | None  # None: the file is deleted
    hunks: tuple[Hunk, ...]
    at: int  # the line of the diff where this file's section starts
    binary: bool = False
    renamed: bool = False

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""

    @property
    def kind(self) -> Kind:
        return "new" if self.old_path is None else "delete" if self.new_path is None else "modify"


@dataclass(frozen=True, slots=True)
class FileChange:
    """A checked file change: the patch against the project's file as it is now."""

    path: str
    kind: Kind
    patch: Patch  # a new file: one insertion into the empty text, base_hash ""
    added: int
    removed: int
    new_text: str  # the whole file after the change ("" for a deleted file)
    base: bytes = b""  # the file's bytes the patch is made for (b"": a new file)


def read_diff(root: Path | str, diff: str | bytes, base: Mapping[str, bytes | None] | None = None) -> list[FileChange]:
    """Parse ``diff`` and check it against the files under ``root`` (or, for the paths it
    holds, ``base``: ``{path: the bytes the diff was made from, None: no such file}``).

    Raises:
        DiffError: garbage, an empty diff, a binary change, a rename, a path outside the
            project or missing, or a hunk that does not apply (the message says which).
    """
    return to_changes(root, parse_diff(diff), base)


# --- parsing ----------------------------------------------------------------------------------


def parse_diff(diff: str | bytes) -> list[FileDiff]:
    """The file sections of a unified diff (text before the first one is ignored, as by git)."""
    data = diff.encode("utf-8", "surrogateescape") if isinstance(diff, str) else bytes(diff)
    if not data.strip():
        raise DiffError("nothing to validate: the diff is empty")
    if b"\0" in data:
        raise DiffError("not a text diff (it holds NUL bytes)")
    lines = _transport_lines(data)
    files: list[FileDiff] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if line.startswith(b"diff --git "):
            fd, i = _git_section(lines, i)
            files.append(fd)
        elif line.startswith(b"--- ") and i + 1 < n and lines[i + 1].startswith(b"+++ "):
            fd, i = _plain_section(lines, i)
            files.append(fd)
        elif line.startswith(b"Binary files ") or line.startswith(b"GIT binary patch"):
            raise DiffError(f"line {i + 1}: a binary change cannot be validated")
        elif not files or not line.strip() or line.startswith((b"diff ", b"Only in ")):
            i += 1  # a preamble (a commit message, `diff -r` lines), a blank line
        elif line.rstrip() == b"--":
            break  # `git format-patch`'s signature: the rest is not diff
        elif line.startswith(b"@@"):
            raise DiffError(f"line {i + 1}: a hunk outside any file's section (a file header is missing)")
        else:
            raise DiffError(f"line {i + 1}: unexpected text in the diff: {_shown(line)}")
    if not files:
        raise DiffError("not a unified diff: no '--- a/FILE' / '+++ b/FILE' headers found")
    seen: set[str] = set()
    for fd in files:
        if fd.path in seen:
            raise DiffError(f"{fd.path}: the diff changes it twice (in two sections)")
        seen.add(fd.path)
    return files


def _transport_lines(data: bytes) -> list[bytes]:
    """The diff's lines; a diff whose own headers end in CRLF was converted in transit (an
    editor, a mail client): one CR comes off every line then. A CRLF *file*'s diff from git
    keeps LF headers and CRLF content lines, and stays as it is."""
    lines = data.splitlines(keepends=True)
    headers = [ln for ln in lines if ln.startswith((b"diff --git ", b"--- ", b"+++ ", b"@@ "))]
    if headers and all(ln.endswith(b"\r\n") for ln in headers):
        lines = [ln[:-2] + b"\n" if ln.endswith(b"\r\n") else ln for ln in lines]
    # bytes.splitlines also splits at a lone CR, \x0b, \x0c and \x1c-\x1e: re-join those, a
    # diff line ends only at LF.
    out: list[bytes] = []
    for ln in lines:
        if out and not out[-1].endswith(b"\n"):
            out[-1] += ln
        else:
            out.append(ln)
    return out


def _git_section(lines: list[bytes], i: int) -> tuple[FileDiff, int]:
    start = i
    old, new = _git_header_paths(lines[i], i)
    renamed = binary = False
    new_file = deleted = False
    i += 1
    while i < len(lines) and not lines[i].startswith((b"--- ", b"@@", b"diff --git ")):
        line = lines[i]
        if line.startswith((b"rename from ", b"rename to ", b"copy from ", b"copy to ")):
            renamed = True
        elif line.startswith(b"new file mode "):
            new_file = True
        elif line.startswith(b"deleted file mode "):
            deleted = True
        elif line.startswith((b"Binary files ", b"GIT binary patch")):
            binary = True
        elif not line.startswith(_EXTENDED):
            raise DiffError(f"line {i + 1}: unexpected text in the header of {new or old}: {_shown(line)}")
        i += 1
    hunks: tuple[Hunk, ...] = ()
    if i < len(lines) and lines[i].startswith(b"--- "):
        if i + 1 >= len(lines) or not lines[i + 1].startswith(b"+++ "):
            raise DiffError(f"line {i + 2}: '+++' expected after the '---' line")
        old, new = _header_path(lines[i], i, b"a/"), _header_path(lines[i + 1], i + 1, b"b/")
        hunks, i = _hunks(lines, i + 2, new or old or "")
    if new_file:
        old = None
    if deleted:
        new = None
    return FileDiff(old, new, hunks, start + 1, binary=binary, renamed=renamed), i


def _plain_section(lines: list[bytes], i: int) -> tuple[FileDiff, int]:
    old = _header_path(lines[i], i, b"")
    new = _header_path(lines[i + 1], i + 1, b"")
    if old is not None and new is not None and old.startswith("a/") and new.startswith("b/"):
        old, new = old[2:], new[2:]
    hunks, j = _hunks(lines, i + 2, new or old or "")
    if not hunks:
        raise DiffError(f"line {i + 3}: a hunk ('@@ -N,M +N,M @@') expected after the file headers")
    # `diff -u old new` names both files as the tool saw them: the new one is the project's.
    if old is not None and new is not None and old != new:
        old = new
    return FileDiff(old, new, hunks, i + 1), j


def _git_header_paths(line: bytes, i: int) -> tuple[str | None, str | None]:
    rest = line[len(b"diff --git "):].rstrip(b"\r\n")
    if rest.startswith(b'"'):
        a, rest = _unquote(rest, i)
        rest = rest.lstrip(b" ")
        b = _unquote(rest, i)[0] if rest.startswith(b'"') else rest
    else:
        # "a/X b/X": unambiguous when both halves are the same path (the common case).
        half = (len(rest) - 1) // 2
        if len(rest) % 2 == 1 and rest[half:half + 1] == b" " and rest[2:half] == rest[half + 3:]:
            a, b = rest[:half], rest[half + 1:]
        else:
            a, _sp, b = rest.partition(b" b/")
            b = b"b/" + b
    return _strip(a, b"a/"), _strip(b, b"b/")


def _header_path(line: bytes, i: int, prefix: bytes) -> str | None:
    raw = line[4:].rstrip(b"\r\n")
    # `diff -u` adds the time after a tab; git a tab after a path with spaces.
    raw = _unquote(raw, i)[0] if raw.startswith(b'"') else raw.split(b"\t", 1)[0]
    if raw == b"/dev/null":
        return None
    if not raw:
        raise DiffError(f"line {i + 1}: a file header without a file name")
    return _strip(raw, prefix)


def _strip(raw: bytes, prefix: bytes) -> str:
    if prefix and raw.startswith(prefix):
        raw = raw[len(prefix):]
    return raw.decode("utf-8", "surrogateescape")


_ESCAPES = {ord("n"): 10, ord("t"): 9, ord('"'): 34, ord("\\"): 92, ord("a"): 7, ord("b"): 8,
            ord("f"): 12, ord("r"): 13, ord("v"): 11}


def _unquote(raw: bytes, i: int) -> tuple[bytes, bytes]:
    """Git's C-style quoted path at the start of ``raw``; (the path's bytes, what follows)."""
    out = bytearray()
    j = 1
    while j < len(raw):
        c = raw[j]
        if c == ord('"'):
            return bytes(out), raw[j + 1:]
        if c == ord("\\") and j + 1 < len(raw):
            nxt = raw[j + 1]
            if ord("0") <= nxt <= ord("7") and re.fullmatch(rb"[0-7]{3}", raw[j + 1:j + 4]):
                out.append(int(raw[j + 1:j + 4], 8))
                j += 4
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            j += 2
            continue
        out.append(c)
        j += 1
    raise DiffError(f"line {i + 1}: a quoted file name without its closing quote")


def _hunks(lines: list[bytes], i: int, path: str) -> tuple[tuple[Hunk, ...], int]:
    hunks: list[Hunk] = []
    while i < len(lines) and lines[i].startswith(b"@@"):
        hunk, i = _hunk(lines, i, path, len(hunks) + 1)
        hunks.append(hunk)
    return tuple(hunks), i


def _hunk(lines: list[bytes], i: int, path: str, index: int) -> tuple[Hunk, int]:
    m = _HUNK.match(lines[i])
    if not m:
        raise DiffError(f"line {i + 1}: {path}: a malformed hunk header: {_shown(lines[i])}")
    old_start, new_start = int(m[1]), int(m[3])
    old_count = 1 if m[2] is None else int(m[2])
    new_count = 1 if m[4] is None else int(m[4])
    at = i + 1
    old_left, new_left = old_count, new_count
    body: list[tuple[str, bytes]] = []
    i += 1
    while old_left > 0 or new_left > 0:
        if i >= len(lines):
            raise DiffError(f"{path}: hunk {index} (line {at} of the diff) is cut short: "
                            f"{old_left} old and {new_left} new line(s) missing")
        line = lines[i]
        if line.startswith(b"\\"):
            _no_newline(body, i, path, index)
            i += 1
            continue
        if line in (b"\n", b"\r\n"):
            tag, content = " ", line  # a context line whose leading space an editor trimmed
        elif line[:1] in (b" ", b"-", b"+"):
            tag, content = line[:1].decode(), line[1:]
        else:
            raise DiffError(f"{path}: hunk {index} (line {at} of the diff) ends early at line {i + 1}: "
                            f"{_shown(line)}")
        old_left -= tag != "+"
        new_left -= tag != "-"
        if old_left < 0 or new_left < 0:
            raise DiffError(f"{path}: hunk {index} (line {at} of the diff) has more lines than its header says")
        body.append((tag, content))
        i += 1
    if i < len(lines) and lines[i].startswith(b"\\"):
        _no_newline(body, i, path, index)
        i += 1
    return Hunk(old_start, old_count, new_start, new_count, tuple(body), index, at), i


def _no_newline(body: list[tuple[str, bytes]], i: int, path: str, index: int) -> None:
    """``\\ No newline at end of file``: the line before it has no line end."""
    if not body or not body[-1][1].endswith(b"\n"):
        raise DiffError(f"line {i + 1}: {path}: hunk {index}: a misplaced '\\ No newline at end of file'")
    tag, content = body[-1]
    body[-1] = (tag, content[:-1])


# --- checking against the project -------------------------------------------------------------


def to_changes(root: Path | str, files: Sequence[FileDiff],
               base: Mapping[str, bytes | None] | None = None) -> list[FileChange]:
    """Each file's change checked against the project (see :func:`read_diff`). Sections that
    change nothing but a file's mode are left out."""
    root = Path(root)
    base = base or {}
    out: list[FileChange] = []
    for fd in files:
        if fd.binary:
            raise DiffError(f"{fd.path}: a binary change cannot be validated")
        if fd.renamed:
            raise DiffError(f"{fd.old_path} -> {fd.new_path}: the diff renames or copies a file, which "
                            "cannot be validated (give the diff without renames: git diff --no-renames)")
        if not fd.hunks and fd.kind == "modify":
            continue  # a mode change: nothing for the tests to judge
        rel = _checked_path(root, fd.path)
        if rel in base:
            old = base[rel]
        else:
            old = (root / rel).read_bytes() if (root / rel).is_file() else None
        if fd.kind == "new":
            if old is not None:
                raise DiffError(f"{rel}: the diff creates it, but it exists already")
            out.append(_new_file(rel, fd))
        elif old is None:
            raise DiffError(f"{rel}: no such file in the project (the diff changes it)")
        else:
            out.append(_changed_file(rel, old, fd))
    if not out:
        raise DiffError("nothing to validate: the diff changes no file's content")
    return out


def _checked_path(root: Path, rel: str) -> str:
    parts = rel.split("/")
    if rel.startswith("/") or ".." in parts:
        raise DiffError(f"{rel}: outside the project")
    try:
        real = real_relpath(root, rel)
    except OutsideProject:
        raise DiffError(f"{rel}: outside the project") from None
    if real.split("/")[0] in (".git", ".kaizen"):
        raise DiffError(f"{rel}: not a project file (inside {real.split('/')[0]}/)")
    return real


def _new_file(rel: str, fd: FileDiff) -> FileChange:
    if any(tag != "+" for h in fd.hunks for tag, _c in h.lines):
        raise DiffError(f"{rel}: the diff creates it, but its hunks hold old lines")
    raw = b"".join(c for h in fd.hunks for _t, c in h.lines)
    try:
        text = decode_source(raw)[0]
    except ValueError:
        raise DiffError(f"{rel}: a binary file cannot be validated") from None
    n = sum(len(h.lines) for h in fd.hunks)
    return FileChange(rel, "new", Patch(rel, "", (Edit(0, 0, text),)), n, 0, text)


def _changed_file(rel: str, raw: bytes, fd: FileDiff) -> FileChange:
    try:
        text, encoding, _fallback, bom = decode_source(raw)
    except ValueError:
        raise DiffError(f"{rel}: a binary file cannot be validated") from None
    file_lines = re.findall(r"[^\n]*\n|[^\n]+$", text)
    problem = ""
    # The diff's lines are the file's bytes; a diff re-encoded as UTF-8 by another tool is
    # the second chance for a file in another encoding.
    for enc in dict.fromkeys((encoding, "utf-8")):
        try:
            edits, added, removed = _edits(rel, fd, file_lines, enc, bom)
        except _Mismatch as exc:
            problem = problem or str(exc)
            continue
        patch = Patch(rel, content_hash(raw), tuple(edits))
        new_text = patch.apply(text.encode("utf-8", "surrogatepass")).decode("utf-8", "surrogatepass")
        if fd.kind == "delete":
            if new_text:
                raise DiffError(f"{rel}: the diff deletes it, but not all of its lines")
            return FileChange(rel, "delete", patch, added, removed, "", raw)
        return FileChange(rel, "modify", patch, added, removed, new_text, raw)
    if _applied_already(fd, file_lines, encoding, bom):
        raise DiffError(f"{rel}: the diff is applied to it already (to validate changes you made, run "
                        "`kaizen validate PATH` without --diff: it validates git diff HEAD)")
    raise DiffError(problem)


def _applied_already(fd: FileDiff, file_lines: list[str], encoding: str, bom: bool) -> bool:
    """Whether every hunk's new side is what the file holds at the lines it names."""
    try:
        for h in fd.hunks:
            new = [c for t, c in _decoded("", h, encoding, bom) if t != "-"]
            start = h.new_start - 1 if h.new_count else h.new_start
            if file_lines[start:start + len(new)] != new:
                return False
    except _Mismatch:
        return False
    return bool(fd.hunks)


class _Mismatch(DiffError):
    pass


def _edits(rel: str, fd: FileDiff, file_lines: list[str], encoding: str,
           bom: bool) -> tuple[list[Edit], int, int]:
    """One edit per run of changed lines; offsets into the UTF-8 text (the model's)."""
    offsets = [0]
    for line in file_lines:
        offsets.append(offsets[-1] + len(line.encode("utf-8", "surrogatepass")))
    edits: list[Edit] = []
    added = removed = 0
    floor = 0  # hunks come in order and never overlap
    for h in fd.hunks:
        body = _decoded(rel, h, encoding, bom)
        pos = h.old_start - 1 if h.old_count else h.old_start
        if pos < floor or pos + h.old_count > len(file_lines):
            raise _Mismatch(f"{rel}: hunk {h.index} (line {h.at} of the diff) does not apply: it names "
                            f"lines {h.old_start}-{h.old_start + h.old_count - 1}, the file has "
                            f"{len(file_lines)}")
        k = pos
        run: int | None = None
        new: list[str] = []
        for tag, content in body:
            if tag == "+":
                run = k if run is None else run
                new.append(content)
                added += 1
                continue
            if file_lines[k] != content:
                raise _Mismatch(f"{rel}: hunk {h.index} (line {h.at} of the diff) does not apply: line "
                                f"{k + 1} is {_shown_text(file_lines[k])}, the diff expects "
                                f"{_shown_text(content)}")
            if tag == "-":
                run = k if run is None else run
                removed += 1
            elif run is not None:
                edits.append(Edit(offsets[run], offsets[k], "".join(new)))
                run, new = None, []
            k += 1
        if run is not None:
            edits.append(Edit(offsets[run], offsets[k], "".join(new)))
        floor = k
    return edits, added, removed


def _decoded(rel: str, h: Hunk, encoding: str, bom: bool) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for tag, content in h.lines:
        try:
            out.append((tag, content.decode(encoding)))
        except UnicodeDecodeError:
            raise _Mismatch(f"{rel}: hunk {h.index} (line {h.at} of the diff) does not apply: its lines "
                            f"are not {encoding} text, as the file is") from None
    if bom:
        # The file's first line, as git shows it, starts with the BOM the decoded text drops.
        old_no, new_no = h.old_start if h.old_count else h.old_start + 1, h.new_start
        for j, (tag, text) in enumerate(out):
            if (tag != "+" and old_no == 1) or (tag != "-" and new_no == 1):
                out[j] = (tag, text.removeprefix("\ufeff"))
            old_no += tag != "+"
            new_no += tag != "-"
    return out


def _shown(line: bytes) -> str:
    return _shown_text(line.decode("utf-8", "replace"))


def _shown_text(text: str) -> str:
    text = text.rstrip("\n")
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "…")
