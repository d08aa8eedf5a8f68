"""Picking the newest release of a package from its git tags."""

import re

_VERSION = re.compile(r"v?(\d+(?:\.\d+)*)")


def latest_version(tags: list[str]) -> str | None:
    """Return the highest version among tags like "v1.2.10" (without the "v").

    Tags that are not versions are ignored.  Versions compare numerically,
    part by part: 1.10.0 is newer than 1.9.3.  Returns None without versions.
    """
    versions = [m.group(1) for m in map(_VERSION.fullmatch, tags) if m]
    if not versions:
        return None
    return max(versions, key=lambda version: [int(part) for part in version.split(".")])
