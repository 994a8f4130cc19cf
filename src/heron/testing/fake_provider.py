"""A local fake LLM provider speaking the real Anthropic and OpenAI HTTP APIs.

It is a real HTTP server on ``127.0.0.1`` (a free port, a background thread),
so the real ``anthropic`` and ``openai`` clients work against it unchanged,
streaming included. Use it wherever a test, a benchmark or a demo needs a
model without the network::

    from heron.testing.fake_provider import FakeProvider, Reply

    with FakeProvider() as fp:
        client = anthropic.Anthropic(base_url=fp.base_url_anthropic, api_key="test")
        fp.enqueue(Reply.json({"score": 0.9, "reasoning": "fine"}))
        client.messages.create(...)           # answered by the queued reply
        assert fp.requests[-1].body["model"] == "claude-3-5-haiku-latest"

Routes: ``POST /v1/messages`` (Anthropic Messages, ``stream: true`` as SSE) and
``POST /v1/chat/completions`` (OpenAI Chat Completions, ``stream: true`` as SSE
chunks, usage last with ``stream_options.include_usage``). The OpenAI client's
base URL is ``fp.base_url_openai`` (it ends in ``/v1``).

Which reply answers a request, in order: the first queued reply whose filter
matches (``enqueue``; used once), else the first matching rule (``add_rule``;
kept), else ``fp.default`` (an echo of the last user message when None).
Every request is recorded in ``fp.requests`` before it is answered.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal

from heron.testing.fake_replies import (
    Reply,
    anthropic_body,
    anthropic_error,
    anthropic_events,
    openai_body,
    openai_chunks,
    openai_error,
)

__all__ = ["Api", "FakeProvider", "RecordedRequest", "Reply"]

Api = Literal["anthropic", "openai"]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the fake provider received."""

    api: Api
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    received_at: float

    @property
    def stream(self) -> bool:
        """True when the client asked for a streamed answer."""
        return bool(self.body.get("stream"))

    def last_user_text(self) -> str:
        """The text of the last user message (string or text blocks), or ``""``."""
        for message in reversed(self.body.get("messages") or []):
            if not isinstance(message, dict) or message.get("role") != "user":
                continue
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(
                    str(part.get("text", ""))
                    for part in content
                    if isinstance(part, dict) and part.get("type") == "text"
                )
        return ""


Matcher = Callable[[RecordedRequest], bool]


@dataclass(slots=True)
class _Entry:
    reply: Reply
    api: Api | None
    match: Matcher | None

    def accepts(self, request: RecordedRequest) -> bool:
        if self.api is not None and self.api != request.api:
            return False
        return self.match is None or self.match(request)


class FakeProvider:
    """A scriptable fake Anthropic + OpenAI endpoint; use as a context manager.

    Thread-safe: tests may enqueue while a client thread is calling. ``stop()``
    ends hanging requests at once so shutdown never waits for a ``Reply.hang``.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Entry] = []
        self._rules: list[_Entry] = []
        self._requests: list[RecordedRequest] = []
        self._closing = threading.Event()
        self.default: Reply | None = None
        """Reply used when neither the queue nor a rule matches; None = echo."""
        self._server = _Server((host, port), _Handler, self)
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------

    def start(self) -> FakeProvider:
        """Start serving in a daemon thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="heron-fake-provider",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release hanging requests and close the socket."""
        self._closing.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- addresses --------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host = self._server.server_address[0]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{self.port}"

    @property
    def base_url_anthropic(self) -> str:
        """The ``base_url`` for ``anthropic.Anthropic`` (it appends ``/v1/messages``)."""
        return self.base_url

    @property
    def base_url_openai(self) -> str:
        """The ``base_url`` for ``openai.OpenAI`` (it appends ``/chat/completions``)."""
        return f"{self.base_url}/v1"

    # --- scripting --------------------------------------------------------------------

    def enqueue(
        self, *replies: Reply, api: Api | None = None, match: Matcher | None = None
    ) -> None:
        """Queue replies, each used once in order, for requests of ``api`` matching ``match``."""
        with self._lock:
            self._queue.extend(_Entry(reply, api, match) for reply in replies)

    def add_rule(
        self, reply: Reply, *, api: Api | None = None, match: Matcher | None = None
    ) -> None:
        """Answer every matching request with ``reply`` (after the queue, before the default)."""
        with self._lock:
            self._rules.append(_Entry(reply, api, match))

    def reset(self) -> None:
        """Forget queued replies, rules, the default and recorded requests."""
        with self._lock:
            self._queue.clear()
            self._rules.clear()
            self._requests.clear()
            self.default = None

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def pending(self) -> int:
        """How many queued replies are still unused."""
        with self._lock:
            return len(self._queue)

    def _answer(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self._requests.append(request)
            for i, entry in enumerate(self._queue):
                if entry.accepts(request):
                    del self._queue[i]
                    return entry.reply
            for entry in self._rules:
                if entry.accepts(request):
                    return entry.reply
            if self.default is not None:
                return self.default
        return Reply.text(f"echo: {request.last_user_text()}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[_Handler], fp: FakeProvider):
        self.fake = fp
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's
    # algorithm and the client's delayed ACK add ~40 ms to every answer.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr log; requests are recorded instead."""

    def do_POST(self) -> None:
        """Route a POST to the API whose path it names."""
        try:
            self._post()
        except (ConnectionError, TimeoutError, OSError):
            # The client gave up (timeout) or closed early: nothing left to answer.
            self.close_connection = True

    def do_GET(self) -> None:
        """Only ``/healthz`` is served on GET (handy for readiness waits)."""
        self._send_json(200 if self.path == "/healthz" else 404, {"ok": self.path == "/healthz"})

    def _post(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        api: Api
        if path.endswith("/messages"):
            api = "anthropic"
        elif path.endswith("/chat/completions"):
            api = "openai"
        else:
            self._read_body()
            self._send_json(404, {"error": {"message": f"no route for {self.path}"}})
            return
        raw = self._read_body()
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send_json(400, {"error": {"message": "request body is not JSON"}})
            return
        request = RecordedRequest(
            api=api,
            method="POST",
            path=path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body if isinstance(body, dict) else {"_": body},
            received_at=time.time(),
        )
        fake = self.server.fake
        reply = fake._answer(request)
        if reply.kind == "hang":
            fake._closing.wait(reply.hang_s)
            self.close_connection = True
            return
        if reply.first_byte_delay_s and fake._closing.wait(reply.first_byte_delay_s):
            return
        if reply.kind == "error":
            headers = {}
            if reply.retry_after is not None:
                headers["retry-after"] = f"{reply.retry_after:g}"
            err = anthropic_error(reply) if api == "anthropic" else openai_error(reply)
            self._send_json(reply.status, err, headers)
            return
        if not request.stream:
            out = anthropic_body(reply, body) if api == "anthropic" else openai_body(reply, body)
            self._send_json(200, out)
            return
        self._stream(self._sse(api, reply, body), reply.chunk_delay_s)

    def _sse(self, api: Api, reply: Reply, body: dict[str, Any]) -> Iterator[bytes]:
        if api == "anthropic":
            for event, data in anthropic_events(reply, body):
                yield f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()
        else:
            for chunk in openai_chunks(reply, body):
                yield f"data: {json.dumps(chunk)}\n\n".encode()
            yield b"data: [DONE]\n\n"

    def _read_body(self) -> bytes:
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _send_json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()

    def _stream(self, events: Iterator[bytes], delay_s: float) -> None:
        # Chunked transfer encoding keeps the HTTP/1.1 connection reusable after the stream.
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        closing = self.server.fake._closing
        for i, event in enumerate(events):
            if i and delay_s and closing.wait(delay_s):
                self.close_connection = True
                return
            self.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
