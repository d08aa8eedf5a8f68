"""Which endpoints may receive the user's API key, and the user's confirmations, kept outside projects.

A project's ``kaizen.toml`` is written by whoever wrote the project, so ``[llm] base-url`` set
there is the project's choice, not the user's. The rule (see ``docs/llm.md``):

- the user chose an endpoint when it comes from ``OPENAI_BASE_URL``, when nothing names one
  (OpenAI itself), or when the user confirmed it for this project (this store);
- ``OPENAI_API_KEY`` goes only to the origin the user's environment pairs it with
  (``OPENAI_BASE_URL``, else ``https://api.openai.com``) or to a confirmed origin;
- a keyring entry goes only to the exact URL it was stored for (the user named that URL);
- an endpoint the project chose that gets no key is called only on loopback.

Confirmations are keyed by the resolved project root and the endpoint's origin
(``scheme://host:port``) and stored in ``trusted-endpoints.json`` in the user's Kaizen folder
(``$KAIZEN_HOME``, else ``$XDG_CONFIG_HOME/kaizen``, else ``~/.config/kaizen``), never in the
project.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from analysis.atomic import write_atomic
from analysis.userdir import user_dir

__all__ = ["Confirmation", "TrustStore", "is_loopback", "origin_of", "trust_path"]

log = logging.getLogger("kaizen.llm")

OPENAI_ORIGIN = "https://api.openai.com:443"
TRUST_FLAG = "--trust-endpoint"
TRUST_FILE = "trusted-endpoints.json"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(r"[a-z0-9._-]+|[0-9a-f:.]+")  # a DNS name or an IP address (IDN as punycode)


def origin_of(url: str) -> str:
    """``scheme://host:port`` of an http(s) URL (default port filled in), or "" when it has none."""
    try:
        p = urlparse(url.strip())
        port = p.port
    except ValueError:
        return ""
    scheme = (p.scheme or "").lower()
    host = (p.hostname or "").lower().rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host or _HOST.fullmatch(host) is None:
        return ""
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port or _DEFAULT_PORTS[scheme]}"


def is_loopback(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower().rstrip(".")
    if host in ("localhost", "ip6-localhost") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def trust_path(environ: Mapping[str, str] | None = None) -> Path:
    """``trusted-endpoints.json`` in the user's Kaizen folder (:func:`analysis.userdir.user_dir`)."""
    home = user_dir(environ)
    # No home directory: a path that cannot exist, so nothing is trusted.
    return (home or Path("/nonexistent/kaizen")) / TRUST_FILE


def _project_key(project: Path | str) -> str:
    return os.path.realpath(project)


@dataclass(frozen=True)
class Confirmation:
    """A project-chosen endpoint that needs the user's yes before it gets the user's key."""

    project: str  # resolved project root
    origin: str  # scheme://host:port
    base_url: str
    config_file: str  # where the project set it (kaizen.toml or pyproject.toml)
    key_source: str  # the key that would be sent: "env"

    def message(self) -> str:
        """One line for the CLI, naming the flag that allows it."""
        return (f"{self.config_file} (part of the project) points the LLM at {self.origin}; Kaizen sends your "
                f"OPENAI_API_KEY only to endpoints you chose: `kaizen suggest --llm {TRUST_FLAG}` allows "
                "this host for this project")


class TrustStore:
    """The user's confirmations: (resolved project root, endpoint origin) pairs, in a JSON file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else trust_path()

    def _entries(self) -> list[dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:  # unreadable or damaged: nothing is trusted
            log.warning("ignoring %s: %s", self.path, exc)
            return []
        entries = data.get("trusted") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            return []
        return [e for e in entries if isinstance(e, dict)
                and isinstance(e.get("project"), str) and isinstance(e.get("origin"), str)]

    def trusted(self, project: Path | str, url: str) -> bool:
        origin = origin_of(url)
        if not origin:
            return False
        key = _project_key(project)
        return any(e["project"] == key and e["origin"] == origin for e in self._entries())

    def trust(self, project: Path | str, url: str) -> None:
        """Record the user's yes (raises OSError when the file cannot be written)."""
        origin = origin_of(url)
        if not origin:
            raise ValueError(f"{url!r} is not an http(s) URL")
        if self.trusted(project, url):
            return
        entries = self._entries()
        entries.append({"project": _project_key(project), "origin": origin,
                        "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        self._write(entries)

    def revoke(self, project: Path | str, url: str) -> None:
        origin, key = origin_of(url), _project_key(project)
        kept = [e for e in self._entries() if not (e["project"] == key and e["origin"] == origin)]
        self._write(kept)

    def _write(self, entries: list[dict[str, str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        text = json.dumps({"version": 1, "trusted": entries}, indent=2) + "\n"
        write_atomic(self.path, text, mode=0o600)
