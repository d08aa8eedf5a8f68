"""Helpers shared by ``apply``, ``reject`` and ``undo``: finding suggestions, re-analysing files."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from analysis.config import Config
from analysis.languages import language_for_path
from analysis.store import Store
from suggestions.commands import CommandError
from suggestions.model import Suggestion


def find_suggestions(store: Store, handles: Sequence[str]) -> list[Suggestion]:
    """The stored suggestions named by ids (fingerprint prefixes); a clear error otherwise."""
    found: list[Suggestion] = []
    for handle in handles:
        h = handle.strip().lower()
        if len(h) < 4:
            raise CommandError(f"{handle!r}: give at least 4 characters of a suggestion id")
        s = store.suggestion(h)
        if s is None:
            n = len(store.execute("SELECT 1 FROM suggestions WHERE fingerprint LIKE ? LIMIT 2", (h + "%",)))
            if n > 1:
                raise CommandError(f"{handle!r} matches several suggestions; give more characters")
            raise CommandError(f"no suggestion with id {handle!r} (run `kaizen scan` or `kaizen suggest` first)")
        if all(f.fingerprint != s.fingerprint for f in found):
            found.append(s)
    return found


def rescan(root: Path, config: Config, store: Store, paths: Iterable[str]) -> None:
    """Re-analyse changed files so the stored suggestions match what is on disk again."""
    from suggestions.analyze.scan import analyze_file, analyzer_for

    paths = sorted(set(paths))
    if not paths:
        return
    analyzer = analyzer_for(config)
    for rel in paths:
        language = language_for_path(rel)
        if language is None:
            continue
        result = analyze_file(root, rel, language, analyzer, max_size=int(config.get("max-file-size")))
        if result.record is None:
            store.update_files([], skipped={rel: result.skipped or "unreadable"})
            store.replace_suggestions([rel], [])
            continue
        store.update_files([result.record], symbols={rel: result.symbols})
        store.replace_suggestions([rel], result.suggestions)


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
