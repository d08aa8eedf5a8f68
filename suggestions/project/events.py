"""What the service reports: events, the statistics of an open, and the delta of a batch."""

from __future__ import annotations

import enum
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from suggestions.model import Source, Suggestion

__all__ = ["Delta", "EventKind", "OpenStats", "ServiceEvent", "carry_over", "diff_suggestions", "open_message"]


class EventKind(enum.StrEnum):
    """What a :class:`ServiceEvent` reports."""

    OPENED = "opened"  # open() finished: stats say how much was re-analysed
    CHANGED = "changed"  # a batch was analysed: suggestion and file deltas
    STATUS = "status"  # a sentence for the user (watching mode, polling fallback)
    CONFIG = "config"  # settings reloaded (level info) or broken (level error, last good kept)
    ROOT_LOST = "root-lost"  # the project folder was deleted or renamed; watching stopped
    ERROR = "error"  # a batch failed unexpectedly; the previous state is kept


@dataclass(frozen=True)
class ServiceEvent:
    """One thing that happened to the project's analysis.

    Attributes:
        kind: see :class:`EventKind`.
        added: suggestions that appeared (rejected ones are never reported).
        updated: suggestions whose fingerprint stayed but whose content changed (moved
            lines, new patch base...); ``previous`` holds the old version by fingerprint.
        removed: suggestions that disappeared (their last known version).
        files_changed: files analysed again because their content changed (or appeared).
        files_removed: files no longer analysed (deleted, moved away, now ignored).
        files_skipped: files that became unusable, with the reason ("binary file"...).
        folders_removed: folders that were deleted or moved away with their files.
        message: a sentence for STATUS / CONFIG / ROOT_LOST / ERROR events.
        level: "info", "warning" or "error".
        stats: numbers (OPENED: files, analysed, reused, removed, seconds; CHANGED: raw
            events in the batch, seconds spent analysing it).
        latency: seconds from the first filesystem event of the batch to this event.
        at: wall-clock time of the event.
    """

    kind: EventKind
    added: tuple[Suggestion, ...] = ()
    updated: tuple[Suggestion, ...] = ()
    removed: tuple[Suggestion, ...] = ()
    previous: Mapping[str, Suggestion] = field(default_factory=dict)
    files_changed: tuple[str, ...] = ()
    files_removed: tuple[str, ...] = ()
    files_skipped: Mapping[str, str] = field(default_factory=dict)
    folders_removed: tuple[str, ...] = ()
    message: str = ""
    level: str = "info"
    stats: Mapping[str, Any] = field(default_factory=dict)
    latency: float | None = None
    at: float = field(default_factory=time.time)

    @property
    def moved(self) -> list[tuple[Suggestion, int]]:
        """Updated suggestions whose line changed, with their previous line."""
        out = []
        for s in self.updated:
            old = self.previous.get(s.fingerprint)
            if old is not None and old.line != s.line:
                out.append((s, old.line))
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (suggestions in their ``--json`` shape)."""
        return {
            "kind": self.kind.value,
            "added": [s.summary_dict() for s in self.added],
            "updated": [
                {**s.summary_dict(), "previous_line": self.previous[s.fingerprint].line}
                if s.fingerprint in self.previous else s.summary_dict()
                for s in self.updated
            ],
            "removed": [s.summary_dict() for s in self.removed],
            "files_changed": list(self.files_changed),
            "files_removed": list(self.files_removed),
            "files_skipped": dict(self.files_skipped),
            "folders_removed": list(self.folders_removed),
            "message": self.message,
            "level": self.level,
            "stats": dict(self.stats),
            "latency": self.latency,
            "at": self.at,
        }


@dataclass(frozen=True)
class OpenStats:
    """How :meth:`ProjectService.open` spent its time."""

    files: int  # source files in the project
    analysed: int  # files parsed and analysed
    reused: int  # files whose stored results were kept
    hashed: int  # files whose size/mtime changed, so their content was hashed
    removed: int  # stored files that are gone
    cold: bool  # the stored analysis was unusable (first start or rules/settings changed)
    seconds: float


@dataclass
class Delta:
    """What one batch or reconcile changed, accumulated before it is published."""

    added: list[Suggestion] = field(default_factory=list)
    updated: list[Suggestion] = field(default_factory=list)
    removed: list[Suggestion] = field(default_factory=list)
    previous: dict[str, Suggestion] = field(default_factory=dict)
    files_changed: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    files_skipped: dict[str, str] = field(default_factory=dict)
    folders_removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.files_changed
                    or self.files_removed or self.files_skipped or self.folders_removed)

    def event(self, **extra: Any) -> ServiceEvent:
        """The CHANGED event that tells subscribers about this delta."""
        return ServiceEvent(
            EventKind.CHANGED,
            added=tuple(self.added),
            updated=tuple(self.updated),
            removed=tuple(self.removed),
            previous=self.previous,
            files_changed=tuple(self.files_changed),
            files_removed=tuple(self.files_removed),
            files_skipped=self.files_skipped,
            folders_removed=tuple(sorted(self.folders_removed)),
            **extra,
        )


def diff_suggestions(
affected: set[str], old_by_path: Mapping[str, Mapping[str, Suggestion]],
new_by_path: Mapping[str, list[Suggestion]], hashes: Mapping[str, str], rejected: set[str], delta: Delta,
) -> tuple[list[Suggestion], list[Suggestion], list[str]]:
    """Old against new suggestions of the affected paths: (all current, rows to write,
    fingerprints to delete); added, updated and removed ones go in ``delta`` (rejected ones
    are kept and stored, never reported)."""
    all_new: list[Suggestion] = []
    upserts: list[Suggestion] = []
    deletes: list[str] = []
    for path in affected:
        old = old_by_path.get(path, {})
        fresh = {s.fingerprint: s for s in new_by_path.get(path, [])}
        new_hash = hashes.get(path)
        for fp, o in old.items():
            if fp in fresh:
                fresh[fp] = carry_over(o, fresh[fp])
            elif o.source is Source.LLM and new_hash is not None and (
                o.patch is None or o.patch.base_hash == new_hash
            ):
                fresh[fp] = o  # LLM findings survive while their patch applies (runtime ones
                # come re-mapped in new_by_path: see ProjectService._runtime_findings)
        for fp, s in fresh.items():
            before = old.get(fp)
            if fp in rejected:
                continue
            if before is None:
                delta.added.append(s)
            elif before != s:
                delta.updated.append(s)
                delta.previous[fp] = before
        for fp, o in old.items():
            if fp not in fresh:
                deletes.append(fp)
                if fp not in rejected:
                    delta.removed.append(o)
        upserts.extend(s for fp, s in fresh.items() if old.get(fp) != s)
        all_new.extend(fresh.values())
    return all_new, upserts, deletes


def carry_over(old: Suggestion, new: Suggestion) -> Suggestion:
    """Keep what other components attached to a suggestion that is still there."""
    keep: dict[str, Any] = {}
    if old.validation.base_hash and new.patch is not None and old.validation.base_hash == new.patch.base_hash:
        keep["validation"] = old.validation  # still the same file content: still valid
    if old.score or old.score_breakdown:
        keep["score"], keep["score_breakdown"] = old.score, old.score_breakdown
    extra = {k: v for k, v in old.evidence.items() if k not in new.evidence}
    if extra:
        keep["evidence"] = {**new.evidence, **extra}
    return new.replace(**keep) if keep else new


def open_message(stats: OpenStats) -> str:
    if stats.cold:
        return f"analysed {stats.analysed} file(s) in {stats.seconds:.2f}s"
    return (
        f"{stats.files} file(s): {stats.reused} unchanged, {stats.analysed} re-analysed, "
        f"{stats.removed} removed ({stats.seconds:.2f}s)"
    )
