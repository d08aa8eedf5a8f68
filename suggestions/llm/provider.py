"""Talking to an OpenAI-compatible endpoint: settings, the API key, retries and streaming.

The endpoint comes from ``[llm] base-url`` (else ``OPENAI_BASE_URL``, else OpenAI itself
when ``OPENAI_API_KEY`` is set). The key comes from the system keyring (service
``kaizen``, username = the base URL), else ``OPENAI_API_KEY``; a server on loopback gets a
placeholder because local servers (Ollama, llama.cpp, vLLM, LM Studio) ignore it. The key is
held only on the client object: never stored, logged or put in a message.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import openai

from analysis.config import Config

__all__ = [
    "Completion",
    "Endpoint",
    "LLMError",
    "Provider",
    "RequestCancelled",
    "resolve_endpoint",
]

log = logging.getLogger("kaizen.llm")

KEYRING_SERVICE = "kaizen"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"
LOCAL_PLACEHOLDER_KEY = "sk-no-key-required"  # local servers accept any key
MAX_REPLY_CHARS = 200_000  # a reply longer than this is abandoned as runaway
MAX_RETRY_WAIT = 60.0


class LLMError(Exception):
    """A request that did not produce a reply; the message is meant for the user."""

    def __init__(self, message: str, *, kind: str = "error", retryable: bool = False) -> None:
        super().__init__(message)
        self.kind = kind  # unreachable | timeout | rate-limit | server | auth | too-large | budget | bad-request
        self.retryable = retryable


class RequestCancelled(LLMError):
    def __init__(self) -> None:
        super().__init__("cancelled", kind="cancelled")


@dataclass(frozen=True)
class Endpoint:
    """Where requests go. ``api_key`` never leaves this object (not even in ``repr``)."""

    base_url: str
    model: str
    source: str  # "config", "env" or "openai-default": where the base URL came from
    key_source: str  # "keyring", "env", "placeholder" or ""
    api_key: str = ""

    def __repr__(self) -> str:
        return f"Endpoint(base_url={self.base_url!r}, model={self.model!r}, key_source={self.key_source!r})"

    __str__ = __repr__


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    model: str
    finish_reason: str = ""
    cached: bool = False
    estimated: bool = False  # token counts estimated (the server sent no usage)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def _is_loopback(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    if host in ("localhost", "ip6-localhost") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _keyring_password(base_url: str) -> str | None:
    try:
        import keyring
        import keyring.errors

        try:
            # The URL as typed, and without / with its trailing slash.
            for user in dict.fromkeys((base_url, base_url.rstrip("/"), base_url.rstrip("/") + "/")):
                found = keyring.get_password(KEYRING_SERVICE, user)
                if found:
                    return found
            return None
        except keyring.errors.KeyringError as exc:
            log.debug("keyring unavailable: %s", exc)
            return None
    except Exception as exc:  # a broken keyring backend must not break Kaizen
        log.debug("keyring failed: %s", type(exc).__name__)
        return None


def resolve_endpoint(config: Config, environ: dict[str, str] | None = None) -> tuple[Endpoint | None, str]:
    """The endpoint to use, or ``None`` and the reason there is none."""
    env = dict(os.environ if environ is None else environ)
    llm = config.section("llm")
    if not llm.get("enabled", True):
        return None, "the LLM is disabled ([llm] enabled = false); Kaizen works fully without it"
    configured = str(llm.get("base-url") or "").strip()
    env_url = env.get("OPENAI_BASE_URL", "").strip()
    env_key = env.get("OPENAI_API_KEY", "").strip()
    if configured:
        base_url, source = configured, "config"
    elif env_url:
        base_url, source = env_url, "env"
    elif env_key or _keyring_password(DEFAULT_BASE_URL):
        base_url, source = DEFAULT_BASE_URL, "openai-default"
    else:
        return None, (
            "no LLM endpoint configured (set [llm] base-url in kaizen.toml, or OPENAI_BASE_URL / "
            "OPENAI_API_KEY); Kaizen works fully without it"
        )
    parsed = urlparse(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return None, f"LLM base URL {base_url!r} is not an http(s) URL"
    model = str(llm.get("model") or "").strip() or env.get("KAIZEN_LLM_MODEL", "").strip() or DEFAULT_MODEL
    key: str | None = None
    key_source = ""
    if source == "config":
        key = _keyring_password(base_url)
        key_source = "keyring" if key else ""
    if not key and env_key:
        key, key_source = env_key, "env"
    if not key and source != "config":
        key = _keyring_password(base_url)
        key_source = "keyring" if key else ""
    if not key and _is_loopback(base_url):
        key, key_source = LOCAL_PLACEHOLDER_KEY, "placeholder"
    if not key:
        return None, (
            f"no API key for {base_url}: store one with `python -m keyring set {KEYRING_SERVICE} {base_url}` "
            "or set OPENAI_API_KEY"
        )
    return Endpoint(base_url.rstrip("/"), model, source, key_source, key), ""


Progress = Callable[[int, str], None]  # (tokens so far, text so far)


class Provider:
    """One endpoint: bounded concurrency, retries with back-off, streaming with cancel."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        timeout: float = 60.0,
        max_retries: int = 2,
        concurrency: int = 2,
        max_reply_chars: int = MAX_REPLY_CHARS,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_reply_chars = max_reply_chars
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        self._sleep = sleep
        self._client: openai.OpenAI | None = None
        self._client_lock = threading.Lock()
        self._no_stream_options = False

    def client(self) -> openai.OpenAI:
        with self._client_lock:
            if self._client is None:
                # Kaizen does its own retries so it can honour cancel and report each wait.
                self._client = openai.OpenAI(
                    api_key=self.endpoint.api_key,
                    base_url=self.endpoint.base_url,
                    timeout=self.timeout,
                    max_retries=0,
                )
            return self._client

    def close(self) -> None:
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        on_retry: Callable[[str], None] | None = None,
    ) -> Completion:
        """Stream one chat completion. Raises :class:`LLMError` (or ``RequestCancelled``)."""
        attempt = 0
        while True:
            if cancel is not None and cancel.is_set():
                raise RequestCancelled()
            try:
                with self._slots:
                    return self._stream_once(messages, max_tokens, temperature, progress, cancel)
            except LLMError as exc:
                if not exc.retryable or attempt >= self.max_retries:
                    raise
                attempt += 1
                wait = getattr(exc, "retry_after", None)
                if wait is None:
                    wait = min(MAX_RETRY_WAIT, 0.5 * 2 ** (attempt - 1)) * (1 + 0.25 * random.random())
                wait = min(MAX_RETRY_WAIT, max(0.0, wait))
                if on_retry is not None:
                    on_retry(f"{exc}; retry {attempt}/{self.max_retries} in {wait:.1f}s")
                if self._sleep is not None:
                    self._sleep(wait)
                elif cancel is not None:
                    if cancel.wait(wait):
                        raise RequestCancelled() from None
                else:
                    time.sleep(wait)

    def _plain(self, kwargs: dict[str, Any], cancel: threading.Event | None) -> Completion:
        kwargs = {k: v for k, v in kwargs.items() if k not in ("stream", "stream_options")}
        if cancel is not None and cancel.is_set():
            raise RequestCancelled()
        try:
            resp = self.client().chat.completions.create(**kwargs)
        except openai.OpenAIError as exc:
            raise _translate(exc, self.endpoint) from None
        except Exception as exc:
            raise LLMError(f"malformed reply from {self.endpoint.base_url}: {exc}", kind="bad-reply") from None
        choices = getattr(resp, "choices", None) or []
        if not choices:
            raise LLMError(f"{self.endpoint.base_url} sent an empty reply", kind="bad-reply")
        text = str(getattr(choices[0].message, "content", "") or "")
        if len(text) > self.max_reply_chars:
            raise LLMError(f"reply abandoned: longer than {self.max_reply_chars:,} characters", kind="too-large")
        pt, ct, estimated = _usage_of(getattr(resp, "usage", None), kwargs["messages"], text)
        return Completion(text, pt, ct, str(getattr(resp, "model", "") or self.endpoint.model),
                          str(choices[0].finish_reason or ""), estimated=estimated)

    def _stream_once(
        self,
        messages: list[dict[str, str]],
        max_tokens: int | None,
        temperature: float | None,
        progress: Progress | None,
        cancel: threading.Event | None,
    ) -> Completion:
        kwargs: dict[str, Any] = {"model": self.endpoint.model, "messages": messages, "stream": True}
        if not self._no_stream_options:
            kwargs["stream_options"] = {"include_usage": True}
        if max_tokens:
            kwargs["max_tokens"] = max_tokens
        if temperature is not None:
            kwargs["temperature"] = temperature
        try:
            stream = self.client().chat.completions.create(**kwargs)
        except openai.BadRequestError as exc:
            text = str(exc).lower()
            if "stream_options" in kwargs and "stream_options" in text:
                self._no_stream_options = True  # an older server; ask again without it
                return self._stream_once(messages, max_tokens, temperature, progress, cancel)
            if max_tokens and ("max_tokens" in text or "context length" in text or "maximum context" in text):
                # A small context window (vLLM checks prompt + max_tokens up front): let the
                # server decide how long the reply may be.
                return self._stream_once(messages, None, temperature, progress, cancel)
            raise _translate(exc, self.endpoint) from None
        except openai.OpenAIError as exc:
            raise _translate(exc, self.endpoint) from None
        parts: list[str] = []
        size = 0
        chunks = 0
        usage: Any = None
        finish = ""
        model = self.endpoint.model
        deadline = time.monotonic() + max(self.timeout * 10, 30.0)
        try:
            for chunk in stream:
                chunks += 1
                if cancel is not None and cancel.is_set():
                    raise RequestCancelled()
                if getattr(chunk, "model", None):
                    model = chunk.model
                if getattr(chunk, "usage", None):
                    usage = chunk.usage
                for choice in chunk.choices or ():
                    delta = getattr(choice.delta, "content", None) if choice.delta else None
                    if delta:
                        parts.append(delta)
                        size += len(delta)
                    if choice.finish_reason:
                        finish = choice.finish_reason
                if size > self.max_reply_chars:
                    raise LLMError(
                        f"reply abandoned: longer than {self.max_reply_chars:,} characters", kind="too-large"
                    )
                if time.monotonic() > deadline:
                    raise LLMError("reply abandoned: the stream took too long", kind="timeout")
                if progress is not None:
                    progress(size // 4, "")
        except LLMError:
            raise
        except openai.OpenAIError as exc:
            raise _translate(exc, self.endpoint) from None
        except Exception as exc:  # a broken stream (bad JSON, dropped connection)
            raise LLMError(f"malformed or interrupted reply from {self.endpoint.base_url}: {exc}",
                           kind="bad-reply") from None
        finally:
            stream.close()
        if chunks == 0:
            # Some servers and proxies ignore stream=true and answer with one JSON body,
            # which the streaming reader sees as nothing at all: ask again without streaming.
            return self._plain(kwargs, cancel)
        text = "".join(parts)
        estimated = usage is None
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0) if usage else _estimate(messages)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0) if usage else max(1, len(text) // 4)
        return Completion(text, prompt_tokens, completion_tokens, model, finish, estimated=estimated)


def _usage_of(usage: Any, messages: list[dict[str, str]], text: str) -> tuple[int, int, bool]:
    if usage is None:
        return _estimate(messages), max(1, len(text) // 4), True
    return int(getattr(usage, "prompt_tokens", 0) or 0), int(getattr(usage, "completion_tokens", 0) or 0), False


def _estimate(messages: list[dict[str, str]]) -> int:
    return sum(len(m.get("content", "")) for m in messages) // 4 + 4 * len(messages)


def _retry_after(exc: openai.APIStatusError) -> float | None:
    headers = getattr(exc.response, "headers", None) or {}
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        from email.utils import parsedate_to_datetime

        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _translate(exc: BaseException, endpoint: Endpoint) -> LLMError:
    """An openai exception as a user-facing :class:`LLMError` (never quoting the key)."""
    url = endpoint.base_url
    err: LLMError
    if isinstance(exc, openai.APITimeoutError):
        err = LLMError(f"no reply from {url} within the timeout ([llm] timeout)", kind="timeout")
    elif isinstance(exc, openai.APIConnectionError):
        err = LLMError(f"cannot reach the LLM endpoint {url} (is the server running?)", kind="unreachable")
    elif isinstance(exc, openai.RateLimitError):
        err = LLMError(f"rate limited by {url} (HTTP 429)", kind="rate-limit", retryable=True)
        err.retry_after = _retry_after(exc)  # type: ignore[attr-defined]
    elif isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        err = LLMError(f"{url} refused the API key (HTTP {exc.status_code})", kind="auth")
    elif isinstance(exc, openai.NotFoundError):
        err = LLMError(f"{url}: model {endpoint.model!r} or the chat endpoint was not found (HTTP 404)",
                       kind="bad-request")
    elif isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status >= 500 or status in (408, 409):
            err = LLMError(f"{url} failed (HTTP {status})", kind="server", retryable=True)
            err.retry_after = _retry_after(exc)  # type: ignore[attr-defined]
        else:
            err = LLMError(f"{url} rejected the request (HTTP {status}): {_short(_message(exc))}",
                           kind="bad-request")
    else:
        err = LLMError(f"LLM request failed: {_short(str(exc))}")
    return err


def _message(exc: openai.APIStatusError) -> str:
    """The server's own words from an error body ({"error": {"message": ...}} or similar)."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return str(exc.message)


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
