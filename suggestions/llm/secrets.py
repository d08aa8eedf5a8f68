"""Keeping secrets out of prompts: files that never go out, and values that are redacted.

Redaction is reversible *locally*: each secret becomes a numbered placeholder, and the
:class:`Redactor` remembers the originals so a reply that quotes a placeholder can be
mapped back before it is matched against (or written into) the file. The originals never
leave the process.
"""

from __future__ import annotations

import fnmatch
import re
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


_NAMEY = r"[A-Za-z0-9_.-]*(?:token|secret|key|passw(?:or)?d|pwd|passphrase|credential|auth|api_?key|private)[A-Za-z0-9_.-]*"

# (pattern, group holding the secret or 0 for the whole match)
_PATTERNS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----.*?-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----", re.S), 0),
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA)[0-9A-Z]{16}\b"), 0),
    (re.compile(r"\bsk-(?:proj-|ant-|live-|test-)?[A-Za-z0-9_\-]{16,}"), 0),
    (re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b"), 0),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{30,}\b"), 0),
    (re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}\b"), 0),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"), 0),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"), 0),
    (re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}\b"), 0),
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}"), 0),
    # URLs with a password: scheme://user:PASSWORD@host
    (re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]+:([^\s@/'\"]{3,})@"), 1),
    # password = "...", passwd: '...', "password": "..."
    (re.compile(r"""(?i)["']?\b\w*passw(?:or)?d\w*["']?\s*[:=]\s*[rbuf]?(["'])((?:(?!\1).){1,200})\1"""), 2),
    # token/secret/key-like names assigned a long hex/base64/opaque value
    (re.compile(rf"""(?i)["']?\b{_NAMEY}["']?\s*[:=]\s*[rbuf]?(["'])([A-Za-z0-9+/=_\-.~]{{16,}})\1"""), 2),
    # .env style lines: NAME_WITH_SECRET=value (unquoted)
    (re.compile(rf"""(?im)^\s*(?:export\s+)?{_NAMEY}\s*=\s*([A-Za-z0-9+/=_\-.~]{{16,}})\s*$"""), 1),
)

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
        for pattern, group in _PATTERNS:
            text = self._sub(pattern, group, text)
        return text

    def _sub(self, pattern: re.Pattern[str], group: int, text: str) -> str:
        out: list[str] = []
        pos = 0
        for m in pattern.finditer(text):
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
