"""The project inventory: which files Kaizen analyses, and why it skips the others.

Honours ``.gitignore`` files at every level (git's semantics: the deepest match wins, and
negations re-include), plus built-in ignores. Bad files are skipped with a reason, never a
crash: binary, too large, unreadable, broken symlinks and symlink loops.

Symbolic links are resolved against the project's real root. A link that leads outside the
project (a folder linked to ``/`` or ``~``, a file linked to ``/etc/...``) is skipped with
that reason and never walked; a link to something inside the project is skipped too, since
the file is analysed under its real path (one file, one name: the never-list and the patcher
see the same path the analysis did).
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import stat
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec

from analysis.hashing import content_hash
from analysis.languages import language_for_path

__all__ = [
    "BUILTIN_IGNORES",
    "BatchPaths",
    "IgnoreMatcher",
    "Inventory",
    "OutsideProject",
    "SkippedFile",
    "SourceFile",
    "SourceText",
    "classify",
    "classify_batch",
    "classify_stat",
    "in_virtualenv",
    "read_source",
    "real_relpath",
    "scan_inventory",
    "symlink_reason",
    "walk_folder",
]

BUILTIN_IGNORES = (
    ".git/", ".hg/", ".svn/", ".kaizen/", "__pycache__/", "node_modules/", ".venv/", "venv/",
    ".env/", "env/", ".tox/", ".nox/", ".mypy_cache/", ".pytest_cache/", ".ruff_cache/",
    "build/", "dist/", "*.egg-info/", "target/", ".eggs/", ".idea/", ".vscode/",
    # Editor temp and swap files
    "*.swp", "*.swo", "*.swx", "*~", ".#*", "#*#", "*.tmp", "4913", ".*.kate-swp",
)

DEFAULT_MAX_SIZE = 2_000_000


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str  # project-relative, POSIX separators
    language: str
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class SkippedFile:
    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class SourceText:
    """A file's text and the UTF-8 bytes that parsers and edits work on."""

    text: str
    data: bytes  # text encoded as UTF-8
    raw_hash: str  # hash of the bytes on disk: what patches are pinned to
    encoding: str  # how the bytes on disk were decoded
    fallback: bool  # True when the file was not UTF-8 and a fallback decoding was used
    bom: bool = False


@dataclass
class Inventory:
    root: Path
    files: list[SourceFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)

    def by_path(self) -> dict[str, SourceFile]:
        return {f.path: f for f in self.files}


class OutsideProject(ValueError):
    """A project-relative path whose real location (symlinks resolved) is not in the project."""


def real_relpath(root: Path | str, rel: str) -> str:
    """The project-relative POSIX path that ``rel`` really names, every symlink resolved.

    Raises:
        OutsideProject: ``rel`` is absolute, climbs out with ``..`` or leads outside the
            project's real root through a symbolic link (the message says where to).
    """
    real_root = os.path.realpath(root)
    if not rel or os.path.isabs(rel):
        raise OutsideProject(f"{rel or '(empty path)'} is not a path inside the project")
    target = os.path.realpath(os.path.join(real_root, rel))
    if target == real_root or not target.startswith(real_root.rstrip(os.sep) + os.sep):
        raise OutsideProject(f"{rel} leads outside the project (to {target})")
    out = os.path.relpath(target, real_root)
    return out.replace(os.sep, "/") if os.sep != "/" else out


def symlink_reason(root: Path | str, rel: str) -> str | None:
    """Why the inventory skips ``rel`` for a symbolic link on its way, or None when it is real.

    ``rel`` must exist (a broken link has its own reason).
    """
    try:
        real = real_relpath(root, rel)
    except OutsideProject as exc:
        if os.path.realpath(os.path.join(root, rel)) == os.path.realpath(root):
            return "symlink loop (links to the project folder itself)"
        return f"symbolic link to outside the project ({str(exc).rpartition('(to ')[2].rstrip(')')})"
    if real == rel:
        return None
    if rel.startswith(real + "/"):
        return f"symlink loop (links to its own parent folder {real})"
    return f"symbolic link to {real} (analysed there)"


def _is_virtualenv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


class IgnoreMatcher:
    """Decides whether a project-relative path is ignored (shared by inventory and watcher)."""

    def __init__(self, root: Path, extra: Iterable[str] = ()) -> None:
        self.root = Path(root)
        self._builtin = pathspec.GitIgnoreSpec.from_lines([*BUILTIN_IGNORES, *extra])
        self._specs: dict[str, pathspec.GitIgnoreSpec | None] = {}
        self._lock = threading.Lock()

    def _spec(self, reldir: str) -> pathspec.GitIgnoreSpec | None:
        with self._lock:
            if reldir in self._specs:
                return self._specs[reldir]
        path = self.root / reldir / ".gitignore" if reldir else self.root / ".gitignore"
        spec = None
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            spec = pathspec.GitIgnoreSpec.from_lines(lines)
        except OSError:
            pass
        with self._lock:
            self._specs[reldir] = spec
        return spec

    def invalidate(self, reldir: str | None = None) -> None:
        """Forget cached .gitignore files (all, or the one in ``reldir``)."""
        with self._lock:
            if reldir is None:
                self._specs.clear()
            else:
                self._specs.pop(reldir, None)

    def is_ignored(self, relpath: str, is_dir: bool = False) -> bool:
        """True when git (or Kaizen's built-in list) would ignore ``relpath``.

        Parents are checked too, since a file under an ignored folder is ignored.
        """
        parts = relpath.split("/")
        for i in range(1, len(parts) + 1):
            last = i == len(parts)
            if self._ignored_here("/".join(parts[:i]), is_dir if last else True):
                return True
        return False

    def _ignored_here(self, relpath: str, is_dir: bool) -> bool:
        """Whether this path itself matches (its parents are assumed not ignored)."""
        candidate = relpath + "/" if is_dir else relpath
        name = candidate.rsplit("/", 2 if is_dir else 1)[-2 if is_dir else -1]
        if self._builtin.match_file(name + ("/" if is_dir else "")) or self._builtin.match_file(candidate):
            return True
        result: bool | None = None
        parts = relpath.split("/")
        for depth in range(len(parts)):  # root .gitignore first; deeper ones override
            reldir = "/".join(parts[:depth])
            spec = self._spec(reldir)
            if spec is None:
                continue
            sub = "/".join(parts[depth:]) + ("/" if is_dir else "")
            check = spec.check_file(sub)
            if check.include is not None:
                result = check.include
        return bool(result)


def scan_inventory(
    root: Path | str, max_size: int = DEFAULT_MAX_SIZE, extra_ignores: Iterable[str] = ()
) -> Inventory:
    """Every source file under ``root`` that Kaizen should analyse, and what it skipped."""
    root = Path(root).resolve()
    inv = Inventory(root)
    matcher = IgnoreMatcher(root, extra_ignores)
    seen_dirs: set[tuple[int, int]] = set()
    for entry in _walk(root, "", matcher, seen_dirs, inv.skipped):
        rel, st = entry
        lang = language_for_path(rel)
        if lang is None:
            continue
        if st.st_size > max_size:
            inv.skipped.append(SkippedFile(rel, f"too large ({st.st_size:,} bytes > {max_size:,})"))
            continue
        inv.files.append(SourceFile(rel, lang, st.st_size, st.st_mtime_ns))
    inv.files.sort(key=lambda f: f.path)
    return inv


def _walk(
    root: Path,
    reldir: str,
    matcher: IgnoreMatcher,
    seen: set[tuple[int, int]],
    skipped: list[SkippedFile],
    *,
    top: bool = True,
) -> Iterator[tuple[str, os.stat_result]]:
    """Files under ``reldir``; ``root`` must be the real root (``Path.resolve()``).

    Symbolic links are never followed: a link inside the project names a file analysed
    under its real path, and one that leads outside is none of Kaizen's business.
    """
    absdir = os.path.join(root, reldir) if reldir else str(root)
    if top and reldir:  # a folder handed in by the watcher: it may itself lie behind a link
        why = symlink_reason(root, reldir) if os.path.exists(absdir) else None
        if why is not None:
            skipped.append(SkippedFile(reldir, why))
            return
    try:
        st = os.stat(absdir)
    except OSError as exc:
        skipped.append(SkippedFile(reldir or ".", f"unreadable folder ({exc.strerror})"))
        return
    key = (st.st_dev, st.st_ino)
    if key in seen:
        skipped.append(SkippedFile(reldir, "symlink loop (folder already visited)"))
        return
    seen.add(key)
    try:
        entries = sorted(os.scandir(absdir), key=lambda e: e.name)
    except OSError as exc:
        skipped.append(SkippedFile(reldir or ".", f"unreadable folder ({exc.strerror})"))
        return
    for e in entries:
        rel = f"{reldir}/{e.name}" if reldir else e.name
        try:
            is_dir = e.is_dir()  # follows symlinks
        except OSError:
            is_dir = False
        if matcher._ignored_here(rel, is_dir):
            continue
        link = e.is_symlink()
        if is_dir and not link:
            if _is_virtualenv(e.path):
                continue
            yield from _walk(root, rel, matcher, seen, skipped, top=False)
            continue
        try:
            st = e.stat()
        except OSError as exc:
            if link:
                reason = "symlink loop" if exc.errno == errno.ELOOP else "broken symlink"
            else:
                reason = f"unreadable ({exc.strerror})"
            if language_for_path(rel):
                skipped.append(SkippedFile(rel, reason))
            continue
        if link:
            # Never followed: report the link when it is a folder or a source file.
            if is_dir or language_for_path(rel):
                skipped.append(SkippedFile(rel, symlink_reason(root, rel) or "symbolic link"))
            continue
        if stat.S_ISREG(st.st_mode):
            yield rel, st


_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def _declared_encoding(data: bytes) -> str | None:
    """PEP 263: a coding cookie on one of the first two lines."""
    for line in data.split(b"\n", 2)[:2]:
        m = _CODING.match(line)
        if m:
            try:
                return codecs.lookup(m.group(1).decode("ascii")).name
            except (LookupError, UnicodeDecodeError):
                return None
    return None


def decode_source(raw: bytes) -> tuple[str, str, bool, bool]:
    """(text, encoding, fallback, bom). Raises ValueError for binary content."""
    if b"\0" in raw[:8192]:
        raise ValueError("binary file")
    bom = raw.startswith(codecs.BOM_UTF8)
    body = raw[3:] if bom else raw
    declared = _declared_encoding(body)
    if declared and declared not in ("utf-8", "utf_8"):
        try:
            return body.decode(declared), declared, False, bom
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return body.decode("utf-8"), "utf-8", False, bom
    except UnicodeDecodeError:
        pass
    for enc in ("cp1252", "latin-1"):
        try:
            return body.decode(enc), enc, True, bom
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def encode_source(text: str, encoding: str, bom: bool) -> bytes:
    """The inverse of :func:`decode_source`, byte for byte."""
    data = text.encode(encoding)
    return codecs.BOM_UTF8 + data if bom else data


def read_source(path: Path | str, max_size: int = DEFAULT_MAX_SIZE) -> SourceText:
    """Read and decode a source file. Raises ``ValueError`` with a reason for unusable files."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(max_size + 1)
    except IsADirectoryError:
        raise ValueError("is a folder") from None
    except OSError as exc:
        raise ValueError(f"unreadable ({exc.strerror})") from None
    if len(raw) > max_size:
        raise ValueError(f"too large (> {max_size:,} bytes)")
    text, encoding, fallback, bom = decode_source(raw)
    data = text.encode("utf-8", "surrogatepass")
    return SourceText(text, data, content_hash(raw), encoding, fallback, bom)


# --- one path at a time (the watcher's batches) ------------------------------------------------

# What a path is now, by the inventory's rules: ("file", SourceFile), ("skip", reason),
# ("dir", None) or ("gone", None) (removed, ignored, not source: no longer a file to analyse).
PathKind = tuple[str, Any]


def walk_folder(root: Path, reldir: str, matcher: IgnoreMatcher) -> tuple[dict[str, os.stat_result], dict[str, str]]:
    """The files under one folder, as a whole scan would see them, and what it skipped."""
    skipped: list[SkippedFile] = []
    files = dict(_walk(root, reldir, matcher, set(), skipped))
    return files, {s.path: s.reason for s in skipped}


def in_virtualenv(root: Path, reldir: str) -> bool:
    """The inventory skips virtualenvs (a folder with pyvenv.cfg) anywhere in the tree."""
    if not reldir:
        return False
    parts = reldir.split("/")
    return any((root.joinpath(*parts[:i]) / "pyvenv.cfg").is_file() for i in range(1, len(parts) + 1))


def classify(root: Path, rel: str, matcher: IgnoreMatcher, max_size: int) -> PathKind:
    """What ``rel`` is now, by the inventory's rules: file, skip (reason), dir or gone."""
    if matcher.is_ignored(rel, False) or in_virtualenv(root, rel.rpartition("/")[0]):
        return ("gone", None)
    absp = root / rel
    try:
        st = os.stat(absp)
    except OSError as exc:
        if os.path.islink(absp) and language_for_path(rel):
            return ("skip", "symlink loop" if exc.errno == 40 else "broken symlink")
        return ("gone", None)
    if stat.S_ISDIR(st.st_mode):
        return ("dir", None)
    why = symlink_reason(root, rel)  # a link (or a folder link on the way): never followed
    if why is not None:
        return ("skip", why) if language_for_path(rel) else ("gone", None)
    return classify_stat(rel, st, max_size)


def classify_stat(rel: str, st: os.stat_result, max_size: int) -> PathKind:
    """What a walked path is, from its stat: a source file, too large, or not one."""
    if not stat.S_ISREG(st.st_mode):
        return ("gone", None)
    lang = language_for_path(rel)
    if lang is None:
        return ("gone", None)
    if st.st_size > max_size:
        return ("skip", f"too large ({st.st_size:,} bytes > {max_size:,})")
    return ("file", SourceFile(rel, lang, st.st_size, st.st_mtime_ns))


@dataclass
class BatchPaths:
    """What the paths of one watcher batch are now, by the inventory's rules."""

    files: list[SourceFile] = field(default_factory=list)  # to analyse (new or changed)
    gone: list[str] = field(default_factory=list)  # no longer a file to analyse
    skipped: dict[str, str] = field(default_factory=dict)  # path -> why it is not analysed
    folders_gone: list[str] = field(default_factory=list)  # folders whose known files vanished


def classify_batch(root: Path, paths: Iterable[str], known: set[str], matcher: IgnoreMatcher,
                   max_size: int) -> BatchPaths:
    """Classify changed paths (files and folders) against the ``known`` files: a folder
    that appeared is walked as a scan would, one that vanished takes its known files along."""
    out = BatchPaths()
    candidates: set[str] = set()
    walked: dict[str, os.stat_result] = {}
    for rel in paths:
        candidates.add(rel)
        prefix = rel + "/"
        under = [p for p in known if p.startswith(prefix)]
        candidates.update(under)
        if (root / rel).is_dir():
            if not matcher.is_ignored(rel, True) and not in_virtualenv(root, rel):
                files, why = walk_folder(root, rel, matcher)
                walked.update(files)
                out.skipped.update(why)
        elif under:
            out.folders_gone.append(rel)
    kinds = [(rel, classify_stat(rel, st, max_size)) for rel, st in walked.items()]
    kinds += [(rel, classify(root, rel, matcher, max_size)) for rel in candidates - set(walked)]
    for rel, (what, value) in kinds:
        if what == "file":
            out.files.append(value)
        elif what == "skip":
            out.skipped[rel] = value
        else:  # gone, or now a folder (its files come from the walk): no longer a file
            out.gone.append(rel)
    return out
