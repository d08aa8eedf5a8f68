"""Optional git integration for applied changes (``[git] mode = "off" | "stage" | "commit"``).

``stage`` adds each changed file to the index. ``commit`` makes one commit per applied
change holding exactly that file: ``git commit --only -- <path>`` commits the named path
and leaves whatever else the user had staged staged and uncommitted. The commit holds the
file as it is on disk (a partial staging of that same file is replaced by it). A failing
hook or a missing identity is reported as a warning; the change itself stays applied.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from suggestions.apply.audit import AuditEntry

__all__ = ["GitError", "commit_message", "is_repo", "record"]


class GitError(Exception):
    """A git command failed; the message holds git's own words."""


def _git(
    root: Path, *args: str, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=60, check=False,
            input=stdin,
        )
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} did not finish within 60 s") from None
    if check and proc.returncode != 0:
        msg = (proc.stderr or proc.stdout).strip().splitlines()
        raise GitError(f"git {args[0]} failed: {msg[-1] if msg else proc.returncode}")
    return proc


def is_repo(root: Path) -> bool:
    try:
        return _git(root, "rev-parse", "--is-inside-work-tree", check=False).stdout.strip() == "true"
    except GitError:
        return False


def commit_message(entry: AuditEntry) -> str:
    """Title, rationale and trailers naming the rule and the validation."""
    if entry.action == "undo":
        subject = f"Undo Kaizen change #{entry.undoes}: {entry.title or entry.code}"
    else:
        subject = entry.title or f"Kaizen: {entry.code}"
    subject = subject.splitlines()[0][:72] if subject else "Kaizen change"
    body = entry.rationale.strip()
    if entry.reason:
        body = f"{body}\n\nReason: {entry.reason}".strip()
    v = dict(entry.validation)
    if v.get("status"):
        tests = len(v.get("tests_run") or ())
        validation = f"{v['status']} ({tests} test(s)"
        if v.get("speedup"):
            validation += f", speed-up x{float(v['speedup']):.2f}"
        validation += ")"
    else:
        validation = "none"
    trailers = [
        f"Kaizen-Rule: {entry.code or '-'}" + (f" (auto-apply rule {entry.rule})" if entry.rule else ""),
        f"Kaizen-Validation: {validation}",
        f"Kaizen-Suggestion: {entry.fingerprint[:10] or '-'}",
        f"Kaizen-Audit: #{entry.seq}",
    ]
    parts = [subject]
    if body:
        parts.append(body)
    parts.append("\n".join(trailers))
    return "\n\n".join(parts) + "\n"


def record(root: Path, mode: str, entries: Sequence[AuditEntry]) -> list[str]:
    """Stage or commit the files of ``entries``; returns the commits made (short hashes)."""
    root = Path(root)
    if mode == "off" or not entries:
        return []
    if not is_repo(root):
        raise GitError(f"{root} is not a git repository (git.mode = {mode!r})")
    made: list[str] = []
    if mode == "stage":
        paths = sorted({e.path for e in entries})
        _git(root, "add", "--", *paths)
        return made
    if mode != "commit":
        raise GitError(f"unknown git.mode {mode!r}")
    # One commit per file: the entries of one file in one write share the file content.
    by_path: dict[str, list[AuditEntry]] = {}
    for e in entries:
        by_path.setdefault(e.path, []).append(e)
    for path, group in by_path.items():
        message = commit_message(group[0]) if len(group) == 1 else _combined(group)
        # `add` first so a new file is known to git; --only then commits just this path and
        # keeps everything else the user staged out of the commit (and still staged).
        _git(root, "add", "--", path)
        _git(root, "commit", "--only", "-q", "-F", "-", "--", path, stdin=message)
        made.append(_git(root, "rev-parse", "--short", "HEAD").stdout.strip())
    return made


def _combined(group: Sequence[AuditEntry]) -> str:
    first = group[0]
    subject = f"Kaizen: {len(group)} changes to {first.path}"
    lines = [subject, ""]
    for e in group:
        lines.append(f"- {e.title or e.code}")
        if e.rationale:
            lines.append(f"  {e.rationale.strip().splitlines()[0]}")
    lines.append("")
    lines += [commit_message(e).strip().split("\n\n")[-1] for e in group]
    return "\n".join(lines) + "\n"
