"""The content hash: what pins a patch, a validation or a stored file to exact bytes."""

from __future__ import annotations

import hashlib

__all__ = ["content_hash"]


def content_hash(data: bytes) -> str:
    """The hash Kaizen uses to pin a patch to the exact file content it was made for."""
    return hashlib.sha256(data).hexdigest()
