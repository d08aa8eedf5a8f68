"""Turning a model's reply into a :class:`Patch`, or a clear reason why not.

Two edit formats are understood: search/replace blocks (a file path line, then
``<<<<<<< SEARCH`` / ``=======`` / ``>>>>>>> REPLACE``) and unified diffs. Diff hunks are
turned into search/replace pairs (context and removed lines → search; context and added
lines → replace), so both go through the same tolerant anchor matching: exact text, then
the same lines shifted in indentation, then the same lines ignoring whitespace. Line
numbers in hunk headers are only a hint for choosing between several matches.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from analysis.inventory import read_source
from suggestions.llm.secrets import Redactor, has_placeholder, is_secret_file
from suggestions.llm.text import clean_text, unsafe_char
from suggestions.model import Edit, Patch

__all__ = [
    "EditBlock",
    "ParsedReply",
    "ProposedPatch",
    "ReplyRejected",
    "clean_text",
    "locate",
    "make_patch",
    "parse_reply",
    "rewrite_block",
    "unsafe_char",
]


class ReplyRejected(Exception):
    """A reply (or one of its edits) that Kaizen will not turn into a candidate."""


@dataclass(frozen=True)
class EditBlock:
    path: str | None  # as the model wrote it; None: the target's file
    search: str
    replace: str
    line_hint: int | None = None  # 1-based, from a diff hunk header
    kind: str = "search-replace"  # or "diff"
    # For diff hunks: the same hunk read as if the model dropped the one-space marker of
    # context lines (their text kept whole); tried when the first reading fits poorly.
    alt: tuple[str, str] | None = None


@dataclass
class ParsedReply:
    blocks: list[EditBlock] = field(default_factory=list)
    explanation: str = ""
    problems: list[str] = field(default_factory=list)


_SEARCH = re.compile(r"^\s*<{5,9}\s*SEARCH\b.*$")
_DIVIDER = re.compile(r"^\s*={5,9}\s*$")
_REPLACE = re.compile(r"^\s*>{5,9}\s*REPLACE\b.*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_HUNK = re.compile(r"^@@+\s*-(\d+)(?:,(\d+))?\s+\+(\d+)(?:,(\d+))?\s*@@+")
_GIT_HEADER = re.compile(r"^(diff --git |index [0-9a-f]+\.\.[0-9a-f]+|new file mode |deleted file mode |similarity index |rename (from|to) )")
_PATH_PREFIX = re.compile(r"^(?:#+\s*)?(?:\*\*)?(?:file(?:name)?|path)\s*:\s*", re.I)


def _clean_path(line: str) -> str | None:
    s = line.strip()
    s = _PATH_PREFIX.sub("", s)
    s = s.strip("`*\"' :#")
    if s.startswith("--- ") or s.startswith("+++ "):
        s = s[4:].strip()
    if not s or " " in s or len(s) > 300:
        return None
    if "/" not in s and "." not in s and "\\" not in s:
        return None
    return s


def parse_reply(text: str) -> ParsedReply:
    """Find the edit blocks in a reply; whatever is left over is the explanation."""
    lines = text.replace("\r\n", "\n").split("\n")
    used = [False] * len(lines)
    out = ParsedReply()
    last_path: str | None = None
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line) and not _SEARCH.match(line):
            in_fence = not in_fence
        if _GIT_HEADER.match(line):
            used[i] = True  # "diff --git", "index 1a2b..3c4d": not part of the explanation
        if _SEARCH.match(line):
            end = _search_block(lines, i, last_path, out, used)
            if end is None:
                break
            i, last_path = end
            continue
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            i, path = _diff_file(lines, i, out, used, in_fence)
            last_path = path or last_path
            continue
        if _HUNK.match(line):  # a hunk without file headers: the target's file
            i = _parse_hunk(lines, i, last_path, out, used, fenced=in_fence)
            continue
        i += 1
    out.explanation = _explanation(lines, used)
    return out


def _search_block(lines: list[str], i: int, last_path: str | None, out: ParsedReply,
                  used: list[bool]) -> tuple[int, str | None] | None:
    """The SEARCH/REPLACE block that starts at line ``i``: (the line after it, its path), or
    None when it is not closed (the rest of the reply is then used up)."""
    path, path_line = _path_before(lines, i)
    if path is None:
        path = last_path
    elif path_line is not None:
        used[path_line] = True
    j = i + 1
    search: list[str] = []
    while j < len(lines) and not _DIVIDER.match(lines[j]):
        search.append(lines[j])
        j += 1
    k = j + 1
    replace: list[str] = []
    while k < len(lines) and not _REPLACE.match(lines[k]):
        replace.append(lines[k])
        k += 1
    if j >= len(lines) or k >= len(lines):
        out.problems.append("a SEARCH/REPLACE block is not closed")
        for n in range(i, len(lines)):
            used[n] = True
        return None
    out.blocks.append(EditBlock(path, "\n".join(search), "\n".join(replace)))
    for n in range(i, k + 1):
        used[n] = True
    return k + 1, path


def _diff_file(lines: list[str], i: int, out: ParsedReply, used: list[bool],
               in_fence: bool) -> tuple[int, str | None]:
    """The unified diff of one file whose ``---``/``+++`` headers start at line ``i``:
    (the line after its hunks, its path)."""
    new = _diff_path(lines[i + 1][4:])
    old = _diff_path(lines[i][4:])
    used[i] = used[i + 1] = True
    i += 2
    keep = True
    if new is None:
        out.problems.append(f"the diff deletes {old or 'a file'}; deleting files is not supported")
        keep = False
    elif old is None:
        out.problems.append(f"the diff creates {new}; creating files is not supported")
        keep = False
    while i < len(lines) and _HUNK.match(lines[i]):
        i = _parse_hunk(lines, i, new, out, used, fenced=in_fence, keep=keep)
    return i, new


def _path_before(lines: list[str], i: int) -> tuple[str | None, int | None]:
    j = i - 1
    while j >= 0 and (not lines[j].strip() or _FENCE.match(lines[j])):
        if _FENCE.match(lines[j]):
            # "```python path/to/file.py" carries the path on the fence itself
            rest = _FENCE.sub("", lines[j]).strip().split()
            if len(rest) == 2:
                p = _clean_path(rest[1])
                if p:
                    return p, None
        j -= 1
    if j < 0:
        return None, None
    p = _clean_path(lines[j])
    return (p, j) if p else (None, None)


def _diff_path(raw: str) -> str | None:
    s = raw.strip().split("\t")[0].strip()
    if s == "/dev/null":
        return None
    if s.startswith(("a/", "b/")):
        s = s[2:]
    return s


def _parse_hunk(lines: list[str], i: int, path: str | None, out: ParsedReply, used: list[bool], *,
                fenced: bool = False, keep: bool = True) -> int:
    m = _HUNK.match(lines[i])
    assert m is not None
    hint = int(m.group(1))
    used[i] = True
    i += 1
    search: list[str] = []
    replace: list[str] = []
    alt_search: list[str] = []
    alt_replace: list[str] = []
    while i < len(lines):
        line = lines[i]
        if _HUNK.match(line) or (line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ ")):
            break
        if _FENCE.match(line):
            break
        if line.startswith("\\"):
            pass  # "\ No newline at end of file"
        elif line.startswith("+"):
            replace.append(line[1:])
            alt_replace.append(line[1:])
        elif line.startswith("-"):
            search.append(line[1:])
            alt_search.append(line[1:])
        elif line.startswith(" ") or line == "":
            search.append(line[1:])
            replace.append(line[1:])
            alt_search.append(line)
            alt_replace.append(line)
        elif fenced:
            # Inside a ```diff fence, a line without a marker is context whose leading
            # space the model dropped.
            search.append(line)
            replace.append(line)
            alt_search.append(line)
            alt_replace.append(line)
        else:
            break
        used[i] = True
        i += 1
    # Trailing blank context lines are usually the gap between the diff and prose.
    while search and replace and search[-1] == "" and replace[-1] == "":
        search.pop()
        replace.pop()
    if keep and (search or replace):
        alt = ("\n".join(alt_search), "\n".join(alt_replace))
        out.blocks.append(EditBlock(path, "\n".join(search), "\n".join(replace), hint, "diff",
                                    alt if alt != ("\n".join(search), "\n".join(replace)) else None))
    return i


def _explanation(lines: list[str], used: list[bool]) -> str:
    kept: list[str] = []
    for line, u in zip(lines, used, strict=True):
        if u or _FENCE.match(line):
            continue
        kept.append(line.rstrip())
    text = clean_text("\n".join(kept)).strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text


_CODE_BLOCK = re.compile(r"^[ \t]*(`{3,}|~{3,})[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.M | re.S)


def rewrite_block(reply: str, path: str, current: str, name: str) -> tuple[EditBlock, str] | None:
    """A reply that shows only the new version of the target function in a code block.

    Small models often answer that way. The block must open with the definition of the
    same name (decorators and comments aside); it replaces the target's current text,
    re-indented to where the function is. Returns the block and the remaining prose.
    """
    if not name or not current.strip():
        return None
    define = re.compile(rf"^(?:async\s+)?(?:def|function|func|fn|class)\s+{re.escape(name)}\b"
                        rf"|^(?:[\w<>\[\],*&\s]+\s)?\**{re.escape(name)}\s*\(")
    for m in _CODE_BLOCK.finditer(reply.replace("\r\n", "\n")):
        body = m.group(2).rstrip("\n")
        lines = body.split("\n")
        head = next((ln for ln in lines if ln.strip() and not ln.strip().startswith(("@", "#", "//"))), "")
        if not define.match(head.strip()):
            continue
        cur_head = next((ln for ln in current.split("\n") if ln.strip() and not ln.strip().startswith(("@", "#", "//"))), "")
        moved = _reindent(lines, _indent(head), _indent(cur_head))
        if moved is None:
            moved = [_indent(cur_head) + ln.lstrip() if ln.strip() else "" for ln in lines]
        prose = re.sub(r"\n{3,}", "\n\n", clean_text(reply[: m.start()] + reply[m.end() :]).strip())
        return EditBlock(path, current, "\n".join(moved), None, "rewrite"), prose
    return None


# --- anchor matching ------------------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    start: int  # character offsets into the file text
    end: int
    replacement: str
    method: str  # exact | indentation | whitespace


def _trim_blank(lines: list[str]) -> tuple[list[str], int, int]:
    a, b = 0, len(lines)
    while a < b and not lines[a].strip():
        a += 1
    while b > a and not lines[b - 1].strip():
        b -= 1
    return lines[a:b], a, len(lines) - b


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _reindent(lines: list[str], old: str, new: str) -> list[str] | None:
    out = []
    for line in lines:
        if not line.strip():
            out.append("")
        elif line.startswith(old):
            out.append(new + line[len(old):])
        else:
            return None
    return out


def _locate_exact(text: str, search: str, replace: str, near_line: int | None) -> Location | None:
    """The common case at C speed: the search lines occur verbatim, as whole lines."""
    s_lines, _, _ = _trim_blank(search.split("\n"))
    if not s_lines or "\r" in text:
        return None
    needle = "\n".join(s_lines)
    hits: list[int] = []
    pos = text.find(needle)
    while pos >= 0 and len(hits) < 50:
        end = pos + len(needle)
        if (pos == 0 or text[pos - 1] == "\n") and (end == len(text) or text[end] == "\n"):
            hits.append(pos)
        pos = text.find(needle, pos + 1)
    if not hits:
        return None
    pick = hits[0]
    if near_line is not None and len(hits) > 1:
        pick = min(hits, key=lambda h: abs(text.count("\n", 0, h) + 1 - near_line))
    end = pick + len(needle)
    r_lines, _, _ = _trim_blank(replace.split("\n"))
    if end < len(text):  # take the line break too, as the line-based matchers do
        end += 1
        body = "\n".join(r_lines) + ("\n" if r_lines else "")
    else:
        body = "\n".join(r_lines)
    return Location(pick, end, body, "exact")


def locate(text: str, search: str, replace: str, *, near_line: int | None = None) -> Location | None:
    """Where ``search`` is in ``text`` (tolerantly), and the replacement fitted to that spot."""
    fast = _locate_exact(text, search, replace, near_line)
    if fast is not None:
        return fast
    s_lines, _, _ = _trim_blank(search.split("\n"))
    if not s_lines:
        return None
    # Keep the replacement's own blank-line structure, but not blank padding at its ends.
    r_lines, _, _ = _trim_blank(replace.split("\n"))
    m = _Lines(text, s_lines, r_lines, near_line)
    # 1. exact lines (trailing whitespace aside); 1b. an exact fragment inside one line;
    # 2. the same lines at another indentation; 3. whitespace ignored within each line.
    return m.exact() or m.fragment() or m.shifted() or m.loose()


class _Lines:
    """The file's lines and the SEARCH lines, with the tolerant matchers of :func:`locate`."""

    def __init__(self, text: str, s_lines: list[str], r_lines: list[str], near_line: int | None) -> None:
        self.file_lines = text.splitlines(keepends=True)
        self.newline = "\r\n" if self.file_lines and self.file_lines[0].endswith("\r\n") else "\n"
        self.offsets = [0]
        for line in self.file_lines:
            self.offsets.append(self.offsets[-1] + len(line))
        self.bare = [line.rstrip("\r\n") for line in self.file_lines]
        self.s_lines, self.r_lines, self.near_line = s_lines, r_lines, near_line
        self.n = len(s_lines)
        self.first = next(k for k, s in enumerate(s_lines) if s.strip())
        self.last_start = len(self.bare) - self.n + 1
        self.s_indent = _indent(s_lines[self.first])

    def nearest(self, cands: list[int]) -> int:
        if self.near_line is None or len(cands) == 1:
            return cands[0]
        near = self.near_line
        return min(cands, key=lambda c: abs(c + 1 - near))

    def region(self, i: int, repl: list[str], method: str) -> Location:
        start, end = self.offsets[i], self.offsets[i + self.n]
        last_has_nl = self.file_lines[i + self.n - 1].endswith(("\n", "\r"))
        body = self.newline.join(repl) + (self.newline if last_has_nl and repl else "")
        return Location(start, end, body, method)

    def windows(self, key_file: list[str], key: str) -> list[int]:
        # Only windows whose first non-blank line matches: linear, not quadratic, in the file.
        return [i for i in range(max(0, self.last_start)) if key_file[i + self.first] == key]

    def exact(self) -> Location | None:
        rstripped = [b.rstrip() for b in self.bare]
        s_r = [x.rstrip() for x in self.s_lines]
        hits = [i for i in self.windows(rstripped, s_r[self.first]) if rstripped[i:i + self.n] == s_r]
        return self.region(self.nearest(hits), self.r_lines, "exact") if hits else None

    def fragment(self) -> Location | None:
        if self.n != 1 or len(self.r_lines) > 1:
            return None
        frag = self.s_lines[0].strip()
        hits = [i for i, b in enumerate(self.bare) if frag and frag in b]
        if not hits:
            return None
        i = self.nearest(hits)
        col = self.bare[i].index(frag)
        new = self.r_lines[0].strip() if self.r_lines else ""
        return Location(self.offsets[i] + col, self.offsets[i] + col + len(frag), new, "exact")

    def shifted(self) -> Location | None:
        stripped = [b.strip() for b in self.bare]
        found: list[tuple[int, str]] = []
        for i in self.windows(stripped, self.s_lines[self.first].strip()):
            f_indent = _indent(self.bare[i + self.first])
            moved = _reindent(self.s_lines, self.s_indent, f_indent)
            here = [b.rstrip() if b.strip() else "" for b in self.bare[i:i + self.n]]
            if moved is not None and [m.rstrip() for m in moved] == here:
                found.append((i, f_indent))
        if not found:
            return None
        pick = self.nearest([i for i, _ in found])
        return self.region(pick, self._fitted(dict(found)[pick]), "indentation")

    def loose(self) -> Location | None:
        def norm(s: str) -> str:
            return "".join(s.split())

        normed = [norm(b) for b in self.bare]
        target = [norm(x) for x in self.s_lines]
        hits = [i for i in self.windows(normed, target[self.first]) if normed[i:i + self.n] == target]
        if not hits:
            return None
        pick = self.nearest(hits)
        return self.region(pick, self._fitted(_indent(self.bare[pick + self.first])), "whitespace")

    def _fitted(self, f_indent: str) -> list[str]:
        """The replacement at the file's indentation."""
        repl = _reindent(self.r_lines, self.s_indent, f_indent)
        if repl is None:  # replacement less indented than the anchor: shift what we can
            repl = [f_indent + ln.lstrip() if ln.strip() else "" for ln in self.r_lines]
        return repl


# --- from blocks to a patch -----------------------------------------------------------------


@dataclass(frozen=True)
class ProposedPatch:
    patch: Patch
    data: bytes  # the file's current content (UTF-8), which the patch applies to
    methods: tuple[str, ...]  # how each anchor was matched


def resolve_path(root: Path, raw: str) -> str:
    """A project-relative POSIX path for what the model wrote, or :class:`ReplyRejected`."""
    s = raw.strip().replace("\\", "/")
    if s.startswith(("a/", "b/")) and not (root / s).exists():
        s = s[2:]
    root_real = Path(os.path.realpath(root))
    p = Path(s)
    full = p if p.is_absolute() else root / p
    real = Path(os.path.realpath(full))
    try:
        rel = real.relative_to(root_real)
    except ValueError:
        raise ReplyRejected(f"the edit targets {raw!r}, outside the project") from None
    if not rel.parts:
        raise ReplyRejected(f"the edit targets {raw!r}, which is not a file")
    return rel.as_posix()


def on_never_list(rel: str, never: Sequence[str]) -> bool:
    if not never:
        return False
    if any(fnmatch.fnmatchcase(rel, g) for g in never):
        return True
    return pathspec.GitIgnoreSpec.from_lines(list(never)).match_file(rel)


def _narrow(text: str, start: int, end: int, repl: str) -> tuple[int, int, str]:
    """Drop the unchanged whole lines at both ends of an edit (context lines of a diff)."""
    old = text[start:end].splitlines(keepends=True)
    new = repl.splitlines(keepends=True)
    while old and new and old[0] == new[0]:
        start += len(old[0])
        old.pop(0)
        new.pop(0)
    while old and new and old[-1] == new[-1]:
        end -= len(old[-1])
        old.pop()
        new.pop()
    return start, end, "".join(new)


def _target_path(root: Path, raw: str, allowed: Sequence[str], never: Sequence[str]) -> str:
    """The project file an edit names, checked: one of ``allowed``, not a secret, not never-listed."""
    rel = resolve_path(root, raw)
    if rel not in allowed and not (root / rel).exists():
        # "calc.py" for "pkg/calc.py": models often shorten the path.
        tails = [a for a in allowed if a.endswith("/" + rel)]
        if len(tails) == 1:
            rel = tails[0]
    if is_secret_file(rel):
        raise ReplyRejected(f"the edit targets {rel}, a secrets file Kaizen never touches")
    if on_never_list(rel, never):
        raise ReplyRejected(f"the edit targets {rel}, which is on the never list (policy.never.paths)")
    if rel not in allowed:
        raise ReplyRejected(
            f"the edit targets {rel}, not a file this target concerns ({', '.join(allowed) or 'none'})"
        )
    return rel


def _place(text: str, b: EditBlock, rel: str, near_line: int | None) -> Location:
    """Where one block goes in the file's text; raises :class:`ReplyRejected` with why not."""
    search, replace = b.search, b.replace
    for text_ in (search, replace, *(b.alt or ())):
        ph = has_placeholder(text_)
        if ph is not None:
            # Never put a secret back: the candidate would run with it in the sandbox
            # (and a reply could send it anywhere). The model saw only placeholders.
            raise ReplyRejected(f"the edit contains a redaction placeholder ({ph}); Kaizen never "
                                "restores a redacted secret into code")
    bad = unsafe_char(replace, already=search)
    if bad is not None:
        raise ReplyRejected(f"the edit writes a control character ({bad}) into {rel}")
    if not search.strip():
        raise ReplyRejected(f"an edit to {rel} has an empty SEARCH/context (no anchor to place it)")
    loc = locate(text, search, replace, near_line=b.line_hint or near_line)
    if (loc is None or loc.method == "whitespace") and b.alt is not None:
        alt_search, alt_replace = b.alt
        other = locate(text, alt_search, alt_replace, near_line=b.line_hint or near_line)
        if other is not None and (loc is None or other.method != "whitespace"):
            loc = other
    if loc is None:
        first = next((ln.strip() for ln in search.split("\n") if ln.strip()), "")
        raise ReplyRejected(f"the text to replace was not found in {rel} (first line: {first[:80]!r})")
    return loc


def make_patch(
    root: Path,
    blocks: Sequence[EditBlock],
    *,
    allowed: Sequence[str],
    never: Sequence[str] = (),
    redactor: Redactor | None = None,
    near_line: int | None = None,
) -> ProposedPatch:
    """One patch on the current bytes of one file; raises :class:`ReplyRejected` with why.

    ``redactor`` is accepted for compatibility and unused: placeholders are refused, never
    mapped back.
    """
    del redactor
    if not blocks:
        raise ReplyRejected("the reply contains no edit (no diff and no SEARCH/REPLACE block)")
    default = allowed[0] if allowed else None
    by_path: dict[str, list[EditBlock]] = {}
    for b in blocks:
        raw = b.path or default
        if raw is None:
            raise ReplyRejected("an edit names no file")
        by_path.setdefault(_target_path(root, raw, allowed, never), []).append(b)
    if len(by_path) > 1:
        raise ReplyRejected(f"the edits span {len(by_path)} files ({', '.join(sorted(by_path))}); "
                            "a candidate must change one file")
    ((rel, file_blocks),) = by_path.items()
    if not (root / rel).is_file():
        raise ReplyRejected(f"the edit targets {rel}, which does not exist")
    try:
        src = read_source(root / rel)
    except ValueError as exc:
        raise ReplyRejected(f"cannot read {rel}: {exc}") from None
    text = src.text
    edits: list[tuple[int, int, str]] = []
    methods: list[str] = []
    for b in file_blocks:
        loc = _place(text, b, rel, near_line)
        edits.append((loc.start, loc.end, loc.replacement))
        methods.append(loc.method)
    # character offsets → byte offsets of the UTF-8 data
    byte_edits = []
    for start, end, repl in (_narrow(text, *e) for e in edits):
        if text[start:end] == repl:
            continue
        bs = len(text[:start].encode("utf-8", "surrogatepass"))
        be = bs + len(text[start:end].encode("utf-8", "surrogatepass"))
        byte_edits.append(Edit(bs, be, repl))
    if not byte_edits:
        raise ReplyRejected(f"the edit leaves {rel} unchanged")
    try:
        patch = Patch(rel, src.raw_hash, tuple(byte_edits))
    except ValueError:
        raise ReplyRejected(f"the edits to {rel} overlap") from None
    return ProposedPatch(patch, src.data, tuple(methods))
