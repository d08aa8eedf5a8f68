"""The user's own Kaizen folder, outside every project.

It holds what a project must not be able to write or choose: the audit log's signing key
and head copies, and the endpoints the user confirmed. ``$KAIZEN_HOME``, else
``$XDG_CONFIG_HOME/kaizen`` (when absolute), else ``~/.config/kaizen``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["user_dir"]


def user_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """The folder, or None when there is no home directory to put it in."""
    env = os.environ if environ is None else environ
    home = env.get("KAIZEN_HOME", "").strip()
    if home:
        return Path(home)
    xdg = env.get("XDG_CONFIG_HOME", "").strip()
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "kaizen"
    try:
        return Path.home() / ".config" / "kaizen"
    except RuntimeError:  # no home directory at all
        return None
