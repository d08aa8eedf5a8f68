"""A real HTTP server on loopback that speaks the OpenAI chat-completions protocol.

It answers from a script: a queue of canned behaviours (a reply, streamed or not; an HTTP
error with headers; a hang). Every request is recorded (headers and JSON body) so tests can
check what was sent — including that no secret went out.

    with ScriptedServer() as server:
        server.push(Reply("...diff..."), Fail(429, retry_after="0"))
        ... openai.OpenAI(base_url=server.base_url, api_key="x") ...
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Fail", "Flood", "Hang", "KeepAlive", "Raw", "Recorded", "Redirect", "Reply", "ScriptedServer",
           "TrickleHeaders"]


@dataclass
class Reply:
    """A completion. Streamed in chunks of ``chunk`` characters when the client asks for it."""

    text: str
    prompt_tokens: int | None = None  # None: estimated from the request
    completion_tokens: int | None = None
    chunk: int = 64
    delay: float = 0.0  # between chunks
    finish: str = "stop"


@dataclass
class Fail:
    status: int
    message: str = "scripted failure"
    retry_after: str | None = None


@dataclass
class Hang:
    """Wait ``seconds`` before answering (past the client's timeout), then send ``then``."""

    seconds: float
    then: Reply | None = None


@dataclass
class Raw:
    """Bytes sent as they are, after the status line and headers (malformed replies)."""

    body: bytes
    status: int = 200
    content_type: str = "text/event-stream"


@dataclass
class KeepAlive:
    """A stream that opens (200, text/event-stream, the role chunk) and then sends only SSE
    comment lines (``: keep-alive``) every ``interval`` seconds, until the client hangs up
    or the server stops: bytes keep arriving, so a per-read timeout never fires."""

    interval: float = 0.05


@dataclass
class TrickleHeaders:
    """The status line, then one response header every ``interval`` seconds, never the body."""

    interval: float = 0.05


@dataclass
class Redirect:
    """``status`` with ``Location: location`` (a server that tries to send the client elsewhere)."""

    location: str
    status: int = 307


@dataclass
class Flood:
    """A stream that opens and then sends one endless SSE comment line (no newline, ever)."""

    block: int = 1 << 16


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes = b""

    @property
    def prompt(self) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.body.get("messages", []))


@dataclass
class _State:
    script: deque[Reply | Fail | Hang | Raw | KeepAlive | TrickleHeaders | Redirect | Flood] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)
    inflight: int = 0
    max_inflight: int = 0
    keepalives: int = 0  # SSE comment lines sent


class _Handler(BaseHTTPRequestHandler):
    server_version = "ScriptedOpenAI/1.0"
    state: _State  # set on the subclass per server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": "scripted", "object": "model", "owned_by": "tests"}]})
        else:
            self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._json(400, {"error": {"message": "bad JSON", "type": "invalid_request_error"}})
            return
        st = self.state
        with st.lock:
            st.requests.append(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body, raw))
            behaviour = st.script.popleft() if st.script else None
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})
            return
        with st.lock:
            st.inflight += 1
            st.max_inflight = max(st.max_inflight, st.inflight)
        try:
            self._behave(behaviour, body)
        finally:
            with st.lock:
                st.inflight -= 1

    def _behave(self, behaviour: Reply | Fail | Hang | Raw | KeepAlive | TrickleHeaders | Redirect | Flood | None, body: dict[str, Any]) -> None:
        st = self.state
        if behaviour is None:
            self._json(500, {"error": {"message": "the test script is exhausted", "type": "server_error"}})
            return
        if isinstance(behaviour, Hang):
            deadline = time.monotonic() + behaviour.seconds
            while time.monotonic() < deadline and not st.stopping.is_set():
                time.sleep(0.02)
            if behaviour.then is None:
                try:
                    self._json(504, {"error": {"message": "hung", "type": "server_error"}})
                except OSError:
                    pass
                return
            behaviour = behaviour.then
        if isinstance(behaviour, KeepAlive | TrickleHeaders):
            self._trickle(behaviour, body)
            return
        if isinstance(behaviour, Redirect):
            self.send_response(behaviour.status)
            self.send_header("Location", behaviour.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if isinstance(behaviour, Flood):
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self.wfile.write(b": ")
                block = b"x" * behaviour.block
                while not st.stopping.is_set():
                    self.wfile.write(block)
            except OSError:
                pass  # the client hung up
            return
        if isinstance(behaviour, Raw):
            self.send_response(behaviour.status)
            self.send_header("Content-Type", behaviour.content_type)
            self.end_headers()
            self.wfile.write(behaviour.body)
            return
        if isinstance(behaviour, Fail):
            headers = {"Retry-After": behaviour.retry_after} if behaviour.retry_after is not None else {}
            kind = "rate_limit_exceeded" if behaviour.status == 429 else "server_error"
            self._json(behaviour.status, {"error": {"message": behaviour.message, "type": kind, "code": kind}},
                       headers)
            return
        self._reply(behaviour, body)

    def _trickle(self, behaviour: KeepAlive | TrickleHeaders, body: dict[str, Any]) -> None:
        st = self.state
        try:
            if isinstance(behaviour, TrickleHeaders):
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                n = 0
                while not st.stopping.is_set():
                    n += 1
                    self.wfile.write(f"X-Trickle-{n}: {n}\r\n".encode())
                    self.wfile.flush()
                    st.stopping.wait(behaviour.interval)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            first = {"id": "chatcmpl-keepalive", "object": "chat.completion.chunk", "created": int(time.time()),
                     "model": body.get("model", "scripted"),
                     "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
            self.wfile.write(b"data: " + json.dumps(first).encode() + b"\n\n")
            self.wfile.flush()
            while not st.stopping.is_set():
                self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
                with st.lock:
                    st.keepalives += 1
                st.stopping.wait(behaviour.interval)
        except OSError:
            pass  # the client hung up: what a deadline does

    def _reply(self, r: Reply, body: dict[str, Any]) -> None:
        model = body.get("model", "scripted")
        prompt_chars = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
        pt = r.prompt_tokens if r.prompt_tokens is not None else max(1, prompt_chars // 4)
        ct = r.completion_tokens if r.completion_tokens is not None else max(1, len(r.text) // 4)
        usage = {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct}
        ident = f"chatcmpl-{int(time.time() * 1000)}"
        if not body.get("stream"):
            self._json(200, {
                "id": ident, "object": "chat.completion", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": r.text},
                             "finish_reason": r.finish}],
                "usage": usage,
            })
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()

        def send(obj: Any) -> None:
            self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
            self.wfile.flush()

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"id": ident, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        try:
            send(chunk({"role": "assistant", "content": ""}))
            for i in range(0, len(r.text), max(1, r.chunk)):
                if self.state.stopping.is_set():
                    return
                send(chunk({"content": r.text[i : i + r.chunk]}))
                if r.delay:
                    time.sleep(r.delay)
            send(chunk({}, r.finish))
            if (body.get("stream_options") or {}).get("include_usage"):
                send({"id": ident, "object": "chat.completion.chunk", "created": int(time.time()),
                      "model": model, "choices": [], "usage": usage})
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except OSError:
            pass  # the client hung up (cancel, or a reply too large)


class ScriptedServer:
    """A ThreadingHTTPServer on 127.0.0.1 at a random port, answering from a script.

    ``bind`` and ``host`` put it elsewhere: see :func:`non_loopback_host`.
    """

    def __init__(self, bind: str = "127.0.0.1", host: str | None = None) -> None:
        self.host = host
        self.state = _State()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer((bind, 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), name="llm-server",
                                       daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{self.host or host!s}:{port}/v1"

    @property
    def requests(self) -> list[Recorded]:
        with self.state.lock:
            return list(self.state.requests)

    @property
    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.rstrip("/").endswith("/chat/completions")]

    @property
    def keepalives(self) -> int:
        with self.state.lock:
            return self.state.keepalives

    def push(self, *behaviours: Reply | Fail | Hang | Raw | KeepAlive | TrickleHeaders | Redirect | Flood) -> None:
        with self.state.lock:
            self.state.script.extend(behaviours)

    @property
    def max_inflight(self) -> int:
        """The most chat requests the server handled at the same time."""
        with self.state.lock:
            return self.state.max_inflight

    def pending(self) -> int:
        with self.state.lock:
            return len(self.state.script)

    def start(self) -> ScriptedServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.state.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def non_loopback_host() -> tuple[str, str] | None:
    """(address to bind, host for the URL) of a server on this machine that Kaizen cannot tell
    from a remote one: the machine's own name (Kaizen does not resolve names to decide what is
    loopback), else the address of a non-loopback interface. ``None`` when there is neither."""
    import socket

    name = socket.gethostname()
    try:
        addr = socket.gethostbyname(name)
    except OSError:
        addr = ""
    low = name.lower()
    if addr and low != "localhost" and not low.endswith(".localhost"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.bind((addr, 0))
            return addr, name
        except OSError:
            pass
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the route's address
            ip = str(udp.getsockname()[0])
    except OSError:
        return None
    return (ip, ip) if ip and not ip.startswith("127.") else None


if __name__ == "__main__":  # a manual playground: python tests/llm_server.py "reply text"
    import sys

    srv = ScriptedServer().start()
    srv.push(*(Reply(t) for t in sys.argv[1:] or ["Hello from the scripted server."] * 100))
    print(srv.base_url, flush=True)
    try:
        srv.thread.join()
    except KeyboardInterrupt:
        srv.stop()
