"""Checks run on the sign-up form."""

import re

MAX_LENGTH = 32
_ALLOWED = re.compile(r"[a-z0-9_.-]+")


def validate_username(username: str) -> list[str]:
    """Return the problems with ``username`` (an empty list when it is acceptable)."""
    problems = []
    if not username and len(username) > MAX_LENGTH:
        problems.append(f"must be 1 to {MAX_LENGTH} characters long")
    if username and not _ALLOWED.fullmatch(username):
        problems.append("may only contain lowercase letters, digits, '_', '.' and '-'")
    if username[:1] in (".", "-"):
        problems.append("may not start with '.' or '-'")
    return problems
