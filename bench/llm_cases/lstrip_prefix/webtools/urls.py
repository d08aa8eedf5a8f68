"""Compact host names for the bookmarks sidebar."""

from urllib.parse import urlsplit


def display_host(url: str) -> str:
    """Return the host of ``url``, lowercased, without a port or a leading "www."."""
    host = urlsplit(url).hostname or ""
    return host.lstrip("www.")
