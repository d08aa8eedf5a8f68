"""What a child process may inherit of Kaizen's environment.

Two filters, shared by the trace command and the validator's test runs:

* :func:`without_secrets` drops every variable whose name looks like a credential
  (``*_KEY``, ``*TOKEN*``, ``*SECRET*``, ``OPENAI_*``, ``AWS_*``, the SSH agent...). The
  traced command is the user's own, so only secrets go.
* :func:`allowed` keeps only what a test run needs (locale, terminal, ``PATH``, Python's and
  pytest's own switches, and the names a project lists in ``validation.pass-env``), and
  then drops secrets all the same: candidate code runs there.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping

__all__ = ["SECRET_PATTERNS", "allowed", "is_secret", "without_secrets"]

SECRET_PATTERNS = (
    "*KEY", "*KEYS", "*KEY_*", "*TOKEN*", "*SECRET*", "*PASSW*", "*CREDENTIAL*", "*PRIVATE*",
    "*AUTH*", "*COOKIE*", "*_PAT", "*_DSN", "DATABASE_URL", "*_SESSION_KEY*",
    "OPENAI_*", "ANTHROPIC_*", "AWS_*", "AZURE_*", "GOOGLE_*", "GCP_*", "GCLOUD_*", "HF_*",
    "HUGGING*", "GH_*", "GITHUB_*", "GITLAB_*", "SSH_*", "GPG_*", "GNUPG*", "KRB5*", "NETRC",
    "PGPASS*", "MYSQL_PWD", "DOCKER_*", "KUBECONFIG", "NPM_CONFIG_*", "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL", "TWINE_*", "POETRY_HTTP_*", "UV_INDEX_*", "XAUTHORITY",
)

# Exact names and prefixes a test run may see.
_ALLOWED = frozenset({
    "PATH", "LANG", "LANGUAGE", "TERM", "TZ", "USER", "LOGNAME", "SHELL", "HOME", "COLUMNS",
    "LINES", "NO_COLOR", "FORCE_COLOR", "PY_COLORS", "CLICOLOR", "CLICOLOR_FORCE", "CI",
    "VIRTUAL_ENV", "SOURCE_DATE_EPOCH", "QT_QPA_PLATFORM", "MPLBACKEND", "PWD",
})
_ALLOWED_PREFIXES = ("LC_", "PYTHON", "PYTEST_")


def _upper(name: str) -> str:
    return name.upper()


def is_secret(name: str) -> bool:
    """Whether a variable's name looks like it holds a credential."""
    up = _upper(name)
    return any(fnmatch.fnmatchcase(up, p) for p in SECRET_PATTERNS)


def without_secrets(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` less every credential-like variable."""
    return {k: v for k, v in env.items() if not is_secret(k)}


def allowed(env: Mapping[str, str], extra: Iterable[str] = ()) -> dict[str, str]:
    """Only the variables a test run needs (``extra``: names or globs the project adds).

    A credential-like name passes only when ``extra`` names it exactly: a glob such as
    ``APP_*`` never lets ``APP_TOKEN`` through.
    """
    exact = {e for e in extra if not any(c in e for c in "*?[")}
    globs = [e for e in extra if e not in exact]
    out: dict[str, str] = {}
    for k, v in env.items():
        if k in exact:
            out[k] = v
            continue
        if is_secret(k):
            continue
        if k in _ALLOWED or k.startswith(_ALLOWED_PREFIXES) or any(fnmatch.fnmatchcase(k, g) for g in globs):
            out[k] = v
    return out
