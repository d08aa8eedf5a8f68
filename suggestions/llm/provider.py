"""Talking to an OpenAI-compatible endpoint: settings, the API key, retries and streaming.

The endpoint comes from ``[llm] base-url`` (else ``OPENAI_BASE_URL``, else OpenAI itself
when ``OPENAI_API_KEY`` is set). The key comes from the system keyring (service
``kaizen``, username = the base URL), else ``OPENAI_API_KEY`` — but only where the user said
(:mod:`suggestions.llm.trust`); a server on loopback gets a placeholder because local servers
(Ollama, llama.cpp, vLLM, LM Studio) ignore it. The key is held only on the client object:
never stored, logged or put in a message.

``[llm] timeout`` bounds each request in total, connect to last byte: a watchdog shuts the
request's socket down at the deadline, so a server that trickles bytes (SSE keep-alive
comments, which the client's reader skips without yielding) cannot hold a call open.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlparse

import openai

try:  # the openai client's HTTP library: httpx2 in recent releases, httpx before
    import httpx2 as httpx
except ImportError:  # pragma: no cover - older openai
    import httpx  # type: ignore[no-redef]

from analysis.config import Config
from suggestions.llm.text import clean_text
from suggestions.llm.trust import (
    OPENAI_ORIGIN,
    TRUST_FLAG,
    Confirmation,
    TrustStore,
    is_loopback,
    origin_of,
)

__all__ = [
    "Completion",
    "Endpoint",
    "LLMError",
    "Provider",
    "RequestCancelled",
    "Resolution",
    "resolve",
    "resolve_endpoint",
]

log = logging.getLogger("kaizen.llm")

KEYRING_SERVICE = "kaizen"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"
LOCAL_PLACEHOLDER_KEY = "sk-no-key-required"  # local servers accept any key
MAX_REPLY_CHARS = 200_000  # a reply longer than this is abandoned as runaway
MAX_RETRY_WAIT = 60.0
MAX_RAW_BYTES = 64 * 1024 * 1024  # bytes on the wire per response (SSE framing included), then abandoned


class LLMError(Exception):
    """A request that did not produce a reply; the message is meant for the user."""

    def __init__(self, message: str, *, kind: str = "error", retryable: bool = False) -> None:
        super().__init__(clean_text(message))  # it may quote the server
        self.kind = kind  # unreachable | timeout | rate-limit | server | auth | too-large | budget | bad-request
        self.retryable = retryable


class _FormatRefused(Exception):
    """The server rejected the request's response_format: ask again without it."""


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
    constrained: bool = False  # the request carried a response_format the server accepted
    seconds: float = 0.0  # wall time of the request that produced it

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


_is_loopback = is_loopback


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


@dataclass(frozen=True)
class Resolution:
    """The endpoint to use (or ``None`` and why), and a confirmation the user still owes."""

    endpoint: Endpoint | None
    why: str = ""
    confirmation: Confirmation | None = None  # set when the user's yes would make it usable
    note: str = ""  # said alongside a usable endpoint (a key that was withheld)


def resolve_endpoint(config: Config, environ: dict[str, str] | None = None,
                     trust: TrustStore | None = None) -> tuple[Endpoint | None, str]:
    """The endpoint to use, or ``None`` and the reason there is none."""
    r = resolve(config, environ, trust)
    return r.endpoint, r.why


def _base_url(configured: str, env_url: str, env_key: str) -> tuple[str, str] | None:
    """(base URL, where it came from): the settings, the environment, or OpenAI's when only
    a key is there; None when nothing names an endpoint."""
    if configured:
        return configured, "config"
    if env_url:
        return env_url, "env"
    if env_key or _keyring_password(DEFAULT_BASE_URL):
        return DEFAULT_BASE_URL, "openai-default"
    return None


def _env_key_for_project(
    config: Config, base_url: str, env_url: str, env_key: str, trust: TrustStore | None, loopback: bool
) -> tuple[str, str, Confirmation | None, str]:
    """The project chose this URL. The environment's key belongs to the origin the
    environment pairs it with, or to one the user confirmed for this project.

    Returns (key, key source, the confirmation asked for, a note) — no key unless trusted.
    """
    project = str(config.project_root or ".")
    paired = origin_of(env_url) if env_url else OPENAI_ORIGIN
    store = trust if trust is not None else TrustStore()
    if origin_of(base_url) == paired or store.trusted(project, base_url):
        return env_key, "env", None, ""
    where = config.path.name if config.path is not None else "kaizen.toml"
    confirmation = Confirmation(os.path.realpath(project), origin_of(base_url), base_url.rstrip("/"), where, "env")
    note = ""
    if loopback:
        note = (f"OPENAI_API_KEY is not sent to {origin_of(base_url)}, which the project's "
                f"{where} chose ({TRUST_FLAG} sends it)")
    return "", "", confirmation, note


def resolve(config: Config, environ: dict[str, str] | None = None, trust: TrustStore | None = None) -> Resolution:
    """Where requests go and with which key; the user's key goes only where the user said.

    See :mod:`suggestions.llm.trust` for the rule.
    """
    env = dict(os.environ if environ is None else environ)
    llm = config.section("llm")
    if not llm.get("enabled", True):
        return Resolution(None, "the LLM is disabled ([llm] enabled = false); Kaizen works fully without it")
    configured = str(llm.get("base-url") or "").strip()
    env_url = env.get("OPENAI_BASE_URL", "").strip()
    env_key = env.get("OPENAI_API_KEY", "").strip()
    chosen = _base_url(configured, env_url, env_key)
    if chosen is None:
        return Resolution(None, (
            "no LLM endpoint configured (set [llm] base-url in kaizen.toml, or OPENAI_BASE_URL / "
            "OPENAI_API_KEY); Kaizen works fully without it"
        ))
    base_url, source = chosen
    parsed = urlparse(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or not origin_of(base_url):
        return Resolution(None, f"LLM base URL {base_url!r} is not an http(s) URL")
    model = str(llm.get("model") or "").strip() or env.get("KAIZEN_LLM_MODEL", "").strip() or DEFAULT_MODEL
    loopback = _is_loopback(base_url)
    # A keyring entry is stored for one exact URL: the user named it, so it may go there.
    key = _keyring_password(base_url)
    key_source = "keyring" if key else ""
    confirmation: Confirmation | None = None
    note = ""
    if not key and env_key:
        if source != "config":
            key, key_source = env_key, "env"
        else:
            key, key_source, confirmation, note = _env_key_for_project(config, base_url, env_url, env_key, trust,
                                                                       loopback)
    if not key and loopback:
        # Local servers accept any key; the user's own key is not needed to ask them.
        key, key_source = LOCAL_PLACEHOLDER_KEY, "placeholder"
    if not key:
        if confirmation is not None:
            return Resolution(None, confirmation.message(), confirmation)
        return Resolution(None, (
            f"no API key for {base_url}: store one with `python -m keyring set {KEYRING_SERVICE} {base_url}` "
            "or set OPENAI_API_KEY"
        ))
    return Resolution(Endpoint(base_url.rstrip("/"), model, source, key_source, key), "",
                      confirmation if key_source == "placeholder" else None, note)


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
        max_raw_bytes: int = MAX_RAW_BYTES,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.max_raw_bytes = max_raw_bytes
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_reply_chars = max_reply_chars
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        self._sleep = sleep
        self._client: openai.OpenAI | None = None
        self._client_lock = threading.Lock()
        self._no_stream_options = False
        # Ways to ask for constrained output still worth trying (the server rejected the others).
        self._formats_left: int | None = None
        self._current = threading.local()  # the deadline of this thread's request in flight

    def client(self) -> openai.OpenAI:
        with self._client_lock:
            if self._client is None:
                # No kept-alive connections: each request opens its own, so the watchdog sees
                # (and can shut down) the socket of every request, and only that one.
                # No redirects: the prompt (and the key) go to the endpoint named, nowhere else.
                http = openai.DefaultHttpxClient(
                    timeout=self.timeout,
                    follow_redirects=False,
                    limits=httpx.Limits(max_connections=100, max_keepalive_connections=0),
                    event_hooks={"request": [self._on_request], "response": [self._on_response]},
                )
                # Kaizen does its own retries so it can honour cancel and report each wait.
                # Replies uncompressed: the byte cap then bounds what is decoded (no gzip bombs).
                self._client = openai.OpenAI(
                    api_key=self.endpoint.api_key,
                    base_url=self.endpoint.base_url,
                    timeout=self.timeout,
                    max_retries=0,
                    http_client=http,
                    default_headers={"Accept-Encoding": "identity"},
                )
            return self._client

    def _on_request(self, request: Any) -> None:
        deadline = _Deadline(self.timeout)
        outer = request.extensions.get("trace")

        def trace(event: str, info: dict[str, Any]) -> None:
            deadline.trace(event, info)
            if outer is not None:
                outer(event, info)

        request.extensions["trace"] = trace
        request.extensions["kaizen_deadline"] = deadline
        self._current.deadline = deadline
        deadline.start()

    def _on_response(self, response: Any) -> None:
        deadline = response.request.extensions.get("kaizen_deadline")
        if isinstance(deadline, _Deadline):
            response.stream = _Guarded(response.stream, deadline, self.max_raw_bytes)
        # Asked for identity: a compressed body is not decoded (it then fails to parse).
        if "content-encoding" in response.headers:
            del response.headers["content-encoding"]

    def _expired(self) -> bool:
        deadline = getattr(self._current, "deadline", None)
        return deadline is not None and (deadline.fired or deadline.too_large)

    def _timeout_error(self) -> LLMError:
        deadline = getattr(self._current, "deadline", None)
        if deadline is not None and deadline.too_large:
            return LLMError(f"reply abandoned: more than {self.max_raw_bytes:,} bytes", kind="too-large")
        return LLMError(f"no complete reply from {self.endpoint.base_url} within the timeout "
                        f"([llm] timeout = {self.timeout:g} s per request, in total)", kind="timeout")

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
        response_formats: list[dict[str, Any]] | None = None,
    ) -> Completion:
        """Stream one chat completion. Raises :class:`LLMError` (or ``RequestCancelled``).

        ``response_formats``: the ways to ask for constrained output, best first; one the
        server rejects (HTTP 400/422 naming it) is not asked again, and without any left the
        request goes plain.
        """
        attempt = 0
        started = time.monotonic()
        while True:
            if cancel is not None and cancel.is_set():
                raise RequestCancelled()
            try:
                with self._slots:
                    done = self._constrained(messages, max_tokens, temperature, progress, cancel,
                                             response_formats or [])
                    return replace(done, seconds=round(time.monotonic() - started, 3))
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

    def _constrained(self, messages: list[dict[str, str]], max_tokens: int | None, temperature: float | None,
                     progress: Progress | None, cancel: threading.Event | None,
                     formats: list[dict[str, Any]]) -> Completion:
        """One request with the first response format the server has not refused yet."""
        while True:
            with self._client_lock:
                if self._formats_left is None:
                    self._formats_left = len(formats)
                skip = len(formats) - self._formats_left
            fmt = formats[skip] if 0 <= skip < len(formats) else None
            try:
                done = self._stream_once(messages, max_tokens, temperature, progress, cancel, fmt)
            except _FormatRefused:
                with self._client_lock:
                    if self._formats_left is not None and self._formats_left == len(formats) - skip:
                        self._formats_left -= 1
                log.info("%s does not take response_format %s; asking without it",
                         self.endpoint.base_url, fmt.get("type") if fmt else "")
                continue
            return replace(done, constrained=fmt is not None)

    def _plain(self, kwargs: dict[str, Any], cancel: threading.Event | None) -> Completion:
        kwargs = {k: v for k, v in kwargs.items() if k not in ("stream", "stream_options")}
        if cancel is not None and cancel.is_set():
            raise RequestCancelled()
        self._current.deadline = None
        try:
            resp = self.client().chat.completions.create(**kwargs)
        except openai.OpenAIError as exc:
            if self._expired():
                raise self._timeout_error() from None
            raise _translate(exc, self.endpoint) from None
        except Exception as exc:
            if self._expired():
                raise self._timeout_error() from None
            raise LLMError(f"malformed reply from {self.endpoint.base_url}: {exc}", kind="bad-reply") from None
        choices = getattr(resp, "choices", None) or []
        if not choices:
            raise LLMError(f"{self.endpoint.base_url} sent an empty reply", kind="bad-reply")
        text = str(getattr(choices[0].message, "content", "") or "")
        if len(text) > self.max_reply_chars:
            raise LLMError(f"reply abandoned: longer than {self.max_reply_chars:,} characters", kind="too-large")
        pt, ct, estimated = _usage_of(getattr(resp, "usage", None), kwargs["messages"], text)
        return Completion(text, pt, ct, clean_text(str(getattr(resp, "model", "") or self.endpoint.model))[:200],
                          str(choices[0].finish_reason or ""), estimated=estimated)

    def _read(self, stream: Any, progress: Progress | None, cancel: threading.Event | None) -> _Streamed:
        """Read a reply stream to its end, within the size cap and the deadline."""
        deadline = getattr(self._current, "deadline", None)
        got = _Streamed(model=self.endpoint.model)
        try:
            for chunk in stream:
                if cancel is not None and cancel.is_set():
                    raise RequestCancelled()
                size = got.add(chunk)
                if size > self.max_reply_chars:
                    raise LLMError(
                        f"reply abandoned: longer than {self.max_reply_chars:,} characters", kind="too-large"
                    )
                if deadline is not None and (deadline.fired or deadline.too_large):
                    raise self._timeout_error()
                if progress is not None:
                    progress(size // 4, "")
        except LLMError:
            raise
        except httpx.TimeoutException:
            raise self._timeout_error() from None
        except openai.OpenAIError as exc:
            if self._expired():
                raise self._timeout_error() from None
            raise _translate(exc, self.endpoint) from None
        except Exception as exc:  # a broken stream (bad JSON, dropped connection)
            if self._expired():
                raise self._timeout_error() from None
            raise LLMError(f"malformed or interrupted reply from {self.endpoint.base_url}: {exc}",
                           kind="bad-reply") from None
        finally:
            stream.close()
        return got

    def _stream_once(
        self,
        messages: list[dict[str, str]],
        max_tokens: int | None,
        temperature: float | None,
        progress: Progress | None,
        cancel: threading.Event | None,
        response_format: dict[str, Any] | None = None,
    ) -> Completion:
        kwargs: dict[str, Any] = {"model": self.endpoint.model, "messages": messages, "stream": True}
        if response_format is not None:
            kwargs["response_format"] = response_format
        if not self._no_stream_options:
            kwargs["stream_options"] = {"include_usage": True}
        if max_tokens:
            kwargs["max_tokens"] = max_tokens
        if temperature is not None:
            kwargs["temperature"] = temperature
        self._current.deadline = None
        try:
            stream = self.client().chat.completions.create(**kwargs)
        except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
            text = str(exc).lower()
            if response_format is not None and ("response_format" in text or "json_schema" in text
                                                or exc.status_code == 422):
                raise _FormatRefused() from None
            if "stream_options" in kwargs and "stream_options" in text:
                self._no_stream_options = True  # an older server; ask again without it
                return self._stream_once(messages, max_tokens, temperature, progress, cancel, response_format)
            if max_tokens and ("max_tokens" in text or "context length" in text or "maximum context" in text):
                # A small context window (vLLM checks prompt + max_tokens up front): let the
                # server decide how long the reply may be.
                return self._stream_once(messages, None, temperature, progress, cancel, response_format)
            raise _translate(exc, self.endpoint) from None
        except openai.OpenAIError as exc:
            if self._expired():
                raise self._timeout_error() from None
            raise _translate(exc, self.endpoint) from None
        got = self._read(stream, progress, cancel)
        if self._expired():
            raise self._timeout_error()  # the watchdog ended the body (it reads as a normal end)
        if got.chunks == 0:
            # Some servers and proxies ignore stream=true and answer with one JSON body,
            # which the streaming reader sees as nothing at all: ask again without streaming.
            return self._plain(kwargs, cancel)
        text = "".join(got.parts)
        usage = got.usage
        estimated = usage is None
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0) if usage else _estimate(messages)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0) if usage else max(1, len(text) // 4)
        return Completion(text, prompt_tokens, completion_tokens, got.model, got.finish, estimated=estimated)


@dataclass
class _Streamed:
    """What a reply stream said so far."""

    model: str
    parts: list[str] = field(default_factory=list)
    size: int = 0
    chunks: int = 0
    usage: Any = None
    finish: str = ""

    def add(self, chunk: Any) -> int:
        """Take one chunk; returns the reply's length so far (characters)."""
        self.chunks += 1
        if getattr(chunk, "model", None):
            self.model = clean_text(str(chunk.model))[:200]
        if getattr(chunk, "usage", None):
            self.usage = chunk.usage
        for choice in chunk.choices or ():
            delta = getattr(choice.delta, "content", None) if choice.delta else None
            if delta:
                self.parts.append(delta)
                self.size += len(delta)
            if choice.finish_reason:
                self.finish = choice.finish_reason
        return self.size


class _Deadline:
    """One request's total deadline: at the end, its sockets are shut down (which wakes a
    blocked read at once, where closing them from another thread would not)."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self.too_large = False  # the body passed the byte cap
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True

    def start(self) -> None:
        self._timer.start()

    def cancel(self) -> None:
        self._timer.cancel()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: remember each socket the request opens (TCP, then TLS)."""
        if not event.endswith((".connect_tcp.complete", ".start_tls.complete")):
            return
        stream = info.get("return_value")
        get = getattr(stream, "get_extra_info", None)
        sock = get("socket") if get is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sockets.append(sock)
            late = self.fired
        if late:
            _shutdown(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed: the request ended on its own


class _Guarded(httpx.SyncByteStream):
    """A response body that fails as a timeout once its request's deadline has passed, and
    stops at ``limit`` bytes (an endless SSE comment line would otherwise fill memory)."""

    def __init__(self, inner: Any, deadline: _Deadline, limit: int) -> None:
        self._inner = inner
        self._deadline = deadline
        self._limit = limit

    def __iter__(self) -> Iterator[bytes]:
        size = 0
        try:
            for chunk in self._inner:
                if self._deadline.fired:
                    raise httpx.ReadTimeout("the request's total deadline passed")
                size += len(chunk)
                if size > self._limit:
                    self._deadline.too_large = True
                    raise httpx.ReadError(f"more than {self._limit} bytes")
                yield chunk
        except httpx.TransportError:
            if self._deadline.fired:
                raise httpx.ReadTimeout("the request's total deadline passed") from None
            raise
        if self._deadline.fired:
            raise httpx.ReadTimeout("the request's total deadline passed")

    def close(self) -> None:
        self._deadline.cancel()
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


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
