"""Keeping secrets out of prompts: files that never go out, and values that are redacted.

Redaction is reversible *locally*: each secret becomes a numbered placeholder, and the
:class:`Redactor` remembers the originals so a reply that quotes a placeholder can be
mapped back before it is matched against (or written into) the file. The originals never
leave the process.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from pathlib import PurePosixPath

__all__ = ["SECRET_FILE_PATTERNS", "Redactor", "is_secret_file", "redact"]

SECRET_FILE_PATTERNS: tuple[str, ...] = (
    ".env", ".env.*", "*.env", ".envrc", "*.pem", "*.key", "*.crt", "*.p12", "*.pfx", "*.jks",
    "*.keystore", "*.asc", "*.gpg", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*",
    "credentials*", "*credentials.json", "secrets.*", "*.secret", "*.secrets", ".netrc",
    ".pgpass", ".npmrc", ".pypirc", ".htpasswd", "*.kdbx", "known_hosts", "authorized_keys",
    "service-account*.json", "*.tfvars", "*.tfstate",
)


def is_secret_file(path: str) -> bool:
    """True for files whose content must never be sent to a model (by name, at any depth)."""
    name = PurePosixPath(path.replace("\\", "/")).name.lower()
    return any(fnmatch.fnmatchcase(name, pat) for pat in SECRET_FILE_PATTERNS)


# Secrets recognisable by their shape alone, in one alternation (one pass over the text).
_SHAPES = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
    r"|\b(?:"
    r"(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA)[0-9A-Z]{16}\b"  # AWS access key ids
    r"|sk-(?:proj-|ant-|live-|test-)?[A-Za-z0-9_\-]{16,}"  # OpenAI / Anthropic style keys
    r"|(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b"  # GitHub tokens
    r"|github_pat_[A-Za-z0-9_]{30,}\b"
    r"|glpat-[A-Za-z0-9_\-]{20,}\b"  # GitLab
    r"|xox[abposr]-[A-Za-z0-9-]{10,}\b"  # Slack
    r"|AIza[0-9A-Za-z_\-]{35}\b"  # Google API keys
    r"|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}\b"  # Stripe
    r"|eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}"  # JWTs
    r")",
    re.S,
)
# Cheap literal gates: the shapes pattern runs only when one of these occurs in the text.
_SHAPE_HINTS = ("PRIVATE KEY", "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "sk-", "ghp_",
                "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xox", "AIza", "_live_", "_test_",
                "eyJ")
# scheme://user:PASSWORD@host
_URL_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]+:([^\s@/'\"]{3,})@")
# name = "value", name: 'value', "name": "value" (the name decides; see _secret_value)
_QUOTED = re.compile(
    r"""(?<![\w.-])([A-Za-z_][\w.-]*)["']?[ \t]*(?::|=|:=)[ \t]*[rbuf]?(["'])([^"'\n]{1,200})\2"""
)
# NAME=value lines of .env-style files (unquoted)
_BARE = re.compile(r"""(?m)^[ \t]*(?:export[ \t]+)?([A-Za-z_][\w.-]*)[ \t]*=[ \t]*([A-Za-z0-9+/=_\-.~]{16,})[ \t]*$""")

_PASSWORDY = re.compile(r"passw(?:or)?d|passwd|pwd|passphrase", re.I)
_SECRETY = re.compile(r"token|secret|key|credential|auth|private|signature|salt", re.I)
_OPAQUE = re.compile(r"[A-Za-z0-9+/=_\-.~]{16,}")


def _secret_value(name: str, value: str) -> bool:
    if _PASSWORDY.search(name):
        return bool(value.strip())
    return bool(_SECRETY.search(name)) and _OPAQUE.fullmatch(value) is not None and not value.isalpha()


PLACEHOLDER = "KAIZEN_REDACTED_{n}"
_PLACEHOLDER_RE = re.compile(r"KAIZEN_REDACTED_(\d+)")


class Redactor:
    """Replaces secrets with numbered placeholders and remembers them (in memory only)."""

    def __init__(self) -> None:
        self._by_secret: dict[str, str] = {}
        self._by_placeholder: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        return self.redact(text)

    @property
    def count(self) -> int:
        return len(self._by_secret)

    def _placeholder(self, secret: str) -> str:
        ph = self._by_secret.get(secret)
        if ph is None:
            ph = PLACEHOLDER.format(n=len(self._by_secret) + 1)
            self._by_secret[secret] = ph
            self._by_placeholder[ph] = secret
        return ph

    def redact(self, text: str) -> str:
        if any(hint in text for hint in _SHAPE_HINTS):
            text = self._sub(_SHAPES, 0, text)
        if "://" in text:
            text = self._sub(_URL_PASSWORD, 1, text)
        text = self._sub(_QUOTED, 3, text, check=lambda m: _secret_value(m.group(1), m.group(3)))
        return self._sub(_BARE, 2, text, check=lambda m: _secret_value(m.group(1), m.group(2)))

    def _sub(self, pattern: re.Pattern[str], group: int, text: str,
             check: Callable[[re.Match[str]], bool] | None = None) -> str:
        out: list[str] = []
        pos = 0
        for m in pattern.finditer(text):
            if check is not None and not check(m):
                continue
            start, end = m.span(group)
            secret = text[start:end]
            if not secret or _PLACEHOLDER_RE.fullmatch(secret):
                continue
            out.append(text[pos:start])
            out.append(self._placeholder(secret))
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def restore(self, text: str) -> tuple[str, list[str]]:
        """Put the originals back; returns the text and any placeholders it did not know."""
        unknown: list[str] = []

        def back(m: re.Match[str]) -> str:
            original = self._by_placeholder.get(m.group(0))
            if original is None:
                unknown.append(m.group(0))
                return m.group(0)
            return original

        return _PLACEHOLDER_RE.sub(back, text), unknown


def redact(text: str) -> str:
    """``text`` with every secret-looking value replaced by a placeholder."""
    return Redactor().redact(text)
