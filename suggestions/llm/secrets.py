"""Keeping secrets out of prompts: files that never go out, and values that are redacted.

Redaction is one-way: each secret becomes a numbered placeholder (``KAIZEN_REDACTED_1``) and
only a hash of it is kept, so nothing — the model's reply least of all — can turn a placeholder
back into the secret. A reply whose edit contains a placeholder is refused (``replies.py``):
restoring it would put the real secret into code that validation then runs.
"""

from __future__ import annotations

import fnmatch
import hashlib
import math
import re
from collections import Counter
from collections.abc import Callable
from pathlib import PurePosixPath

__all__ = ["SECRET_FILE_PATTERNS", "Redactor", "has_placeholder", "is_secret_file", "random_looking", "redact"]

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
# Authorization header values: "Bearer …", "Basic …", "token …" (GitHub style)
_AUTH_VALUE = re.compile(r"(?i)\b(bearer|basic|token)[ \t]+([A-Za-z0-9._~+/\-]{12,}=*)")
# long hex (128 bits and more: signing keys, HMAC keys) and \x byte escapes of 16 bytes and more
_HEX = re.compile(r"(?<![0-9A-Za-z_])(?:0x)?([0-9a-fA-F]{32,})(?![0-9A-Za-z_])|((?:\\x[0-9a-fA-F]{2}){16,})")
# name = "value", name: 'value', "name": "value" (the name decides; see _secret_value)
_QUOTED = re.compile(
    r"""(?<![\w.-])([A-Za-z_][\w.-]*)["']?[ \t]*(?::|=|:=)[ \t]*[rbuf]{0,2}(["'])([^"'\n]{1,200})\2"""
)
# os.environ.get("NAME", "default"), os.getenv("NAME", default="..."), environ.setdefault(...)
_ENV_DEFAULT = re.compile(
    r"""\b(?:get|getenv|setdefault)\(\s*[rbuf]{0,2}["']([A-Za-z_][\w.-]*)["']\s*,\s*(?:default\s*=\s*)?"""
    r"""[rbuf]{0,2}(["'])([^"'\n]{1,200})\2"""
)
# NAME=value / NAME: value lines of .env, YAML and INI files (unquoted)
_BARE = re.compile(
    r"""(?m)^[ \t]*(?:export[ \t]+)?([A-Za-z_][\w.-]*)[ \t]*[=:][ \t]*([^\s"'`#;]{4,200})[ \t]*$"""
)
# comments: "# token: …", "// password = …", "-- api_key: …"
_COMMENT = re.compile(r"(?m)(?:#|//|--|/\*|^[ \t]*\*|<!--)([^\n]*)$")
_PAIR = re.compile(r"""(?<![\w.-])([A-Za-z_][\w.-]*)[ \t]*[:=][ \t]*["'`]?([^\s"'`,;()<>\[\]{}]{4,200})""")
# any quoted literal (for lines that talk about secrets)
_LITERAL = re.compile(r"""[rbuf]{0,2}(["'])([^"'\n]{16,200})\1""")
_SECRET_LINE = re.compile(r"secret|token|passw|pwd|api[_-]?key|hmac|signing|signature|private|credential"
                          r"|bearer|salt|jwt|auth|cipher", re.I)

_PASSWORDY = re.compile(r"passw(?:or)?d|passwd|passphrase|(?:^|[^a-z])(?:pass|pwd|pw)(?:$|[^a-z])", re.I)
_SECRETY = re.compile(r"token|secret|key|credential|creds|auth|private|signature|signing|salt|hmac|cookie"
                      r"|bearer|jwt|dsn|cipher", re.I)
_OPAQUE = re.compile(r"[A-Za-z0-9+/=_\-.~!@#$%^&*:?|]{16,}")
_WORDY = re.compile(r"[A-Za-z]+")  # a plain word is not a password ("required", "changeme" aside)
_PLAIN_TYPES = {"str", "bytes", "int", "none", "optional", "any", "true", "false", "null", "string", "secretstr"}


def _entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def random_looking(value: str) -> bool:
    """A 16+ character token without spaces that mixes letters and digits, or mixes case with
    high entropy (what generated keys look like; ordinary words and paths do not)."""
    if _OPAQUE.fullmatch(value) is None:
        return False
    digits = any(c.isdigit() for c in value)
    letters = any(c.isalpha() for c in value)
    if digits and letters:
        return True
    mixed = any(c.isupper() for c in value) and any(c.islower() for c in value)
    return mixed and _entropy(value) >= 3.5


def _secret_value(name: str, value: str) -> bool:
    if _PLACEHOLDER_RE.fullmatch(value):
        return False
    if _PASSWORDY.search(name):
        # PASSWORD_FIELD = "password": the value names the field, it is not a password.
        return bool(value.strip()) and value.lower() not in re.split(r"[^a-z0-9]+", name.lower())
    return bool(_SECRETY.search(name)) and random_looking(value)


def _unquoted_secret(name: str, value: str) -> bool:
    """``name: value`` without quotes (comments, .env, YAML): stricter, code looks like this too."""
    if _PLACEHOLDER_RE.fullmatch(value) or value.lower() in _PLAIN_TYPES:
        return False
    if _PASSWORDY.search(name):
        return len(value) >= 4 and _WORDY.fullmatch(value) is None
    return bool(_SECRETY.search(name)) and (random_looking(value) or (
        len(value) >= 8 and any(c.isdigit() for c in value) and any(c.isalpha() for c in value)))


PLACEHOLDER = "KAIZEN_REDACTED_{n}"
_PLACEHOLDER_RE = re.compile(r"KAIZEN_REDACTED_(\d+)")


def has_placeholder(text: str) -> str | None:
    """The first redaction placeholder in ``text``, or ``None``."""
    m = _PLACEHOLDER_RE.search(text)
    return m.group(0) if m else None


class Redactor:
    """Replaces secrets with numbered placeholders.

    Only a hash of each secret is kept (so one secret gets one placeholder): the originals
    cannot be put back, by the model or by Kaizen. A reply that uses a placeholder is refused.
    """

    def __init__(self) -> None:
        self._by_digest: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        return self.redact(text)

    @property
    def count(self) -> int:
        return len(self._by_digest)

    @staticmethod
    def _digest(secret: str) -> str:
        return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()

    def placeholder_for(self, secret: str) -> str | None:
        """The placeholder that stands for ``secret`` in the prompts so far, if any."""
        return self._by_digest.get(self._digest(secret))

    def _placeholder(self, secret: str) -> str:
        digest = self._digest(secret)
        ph = self._by_digest.get(digest)
        if ph is None:
            ph = PLACEHOLDER.format(n=len(self._by_digest) + 1)
            self._by_digest[digest] = ph
        return ph

    def redact(self, text: str) -> str:
        if any(hint in text for hint in _SHAPE_HINTS):
            text = self._sub(_SHAPES, 0, text)
        if "://" in text:
            text = self._sub(_URL_PASSWORD, 1, text)
        text = self._sub(_AUTH_VALUE, 2, text, check=_auth_value)
        text = self._sub(_ENV_DEFAULT, 3, text, check=lambda m: _secret_value(m.group(1), m.group(3))
                         or random_looking(m.group(3)))
        text = self._sub(_QUOTED, 3, text, check=lambda m: _secret_value(m.group(1), m.group(3)))
        text = self._sub(_BARE, 2, text, check=lambda m: _unquoted_secret(m.group(1), m.group(2)))
        text = self._comments(text)
        text = self._sub(_HEX, 0, text, check=lambda m: _hex_key(m.group(0)))
        return self._secret_lines(text)

    def _comments(self, text: str) -> str:
        spans: list[tuple[int, int]] = []
        for c in _COMMENT.finditer(text):
            base = c.start(1)
            for m in _PAIR.finditer(c.group(1)):
                if _unquoted_secret(m.group(1), m.group(2)):
                    spans.append((base + m.start(2), base + m.end(2)))
        return self._replace(text, spans)

    def _secret_lines(self, text: str) -> str:
        if _SECRET_LINE.search(text) is None:
            return text
        spans: list[tuple[int, int]] = []
        pos = 0
        for line in text.splitlines(keepends=True):
            if _SECRET_LINE.search(line):
                for m in _LITERAL.finditer(line):
                    if random_looking(m.group(2)) and not _PLACEHOLDER_RE.search(m.group(2)):
                        spans.append((pos + m.start(2), pos + m.end(2)))
            pos += len(line)
        return self._replace(text, spans)

    def _replace(self, text: str, spans: list[tuple[int, int]]) -> str:
        out: list[str] = []
        pos = 0
        for start, end in sorted(spans):
            if start < pos:
                continue
            out.append(text[pos:start])
            out.append(self._placeholder(text[start:end]))
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def _sub(self, pattern: re.Pattern[str], group: int, text: str,
             check: Callable[[re.Match[str]], bool] | None = None) -> str:
        spans: list[tuple[int, int]] = []
        for m in pattern.finditer(text):
            if check is not None and not check(m):
                continue
            g = group if m.group(group) is not None else next(
                (i for i in range(1, (pattern.groups or 0) + 1) if m.group(i)), 0)
            start, end = m.span(g)
            secret = text[start:end]
            if not secret or _PLACEHOLDER_RE.fullmatch(secret):
                continue
            spans.append((start, end))
        return self._replace(text, spans)


def _auth_value(m: re.Match[str]) -> bool:
    value = m.group(2)
    if random_looking(value):
        return True
    return m.group(1).lower() != "token" and any(c.isdigit() or c in "+/=-.~" for c in value)


def _hex_key(found: str) -> bool:
    """Hex of 128 bits or more with both digits and letters (a key, not a long number)."""
    if found.startswith("\\x"):
        return True
    digits = found[2:] if found.lower().startswith("0x") else found
    return any(c.isdigit() for c in digits) and any(c.isalpha() for c in digits)


def redact(text: str) -> str:
    """``text`` with every secret-looking value replaced by a placeholder."""
    return Redactor().redact(text)
