"""The OTLP client helpers of ``heron.testing.server`` (used by the ingest benchmarks)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from heron.testing.server import HeronServer, send_traces, wait_for, wal_backlog_bytes
from heron.testing.traffic import encoded_requests

pytestmark = pytest.mark.integration


def test_send_traces_is_stored_and_the_backlog_drains(server: HeronServer) -> None:
    (body,) = encoded_requests(1, traces_per_request=2, start_ns=1_700_000_000_000_000_000)
    with httpx.Client(timeout=30) as http:
        assert send_traces(http, server.url, body) == 0
        assert wait_for(lambda: wal_backlog_bytes(http, server.url), lambda b: b == 0) == 0
        with pytest.raises(RuntimeError, match="answered 400"):
            send_traces(http, server.url, b"not a protobuf request")


class _BusyOnce(BaseHTTPRequestHandler):
    """Answers the first POST 429 (Retry-After: 0), later ones 200."""

    posts = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).posts += 1
        self.send_response(429 if type(self).posts == 1 else 200)
        self.send_header("Retry-After", "0")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def busy_once() -> Iterator[str]:
    _BusyOnce.posts = 0
    peer = ThreadingHTTPServer(("127.0.0.1", 0), _BusyOnce)
    threading.Thread(target=peer.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{peer.server_address[1]}"
    peer.shutdown()


def test_send_traces_retries_after_429(busy_once: str) -> None:
    with httpx.Client(timeout=30) as http:
        assert send_traces(http, busy_once, b"x") == 1
    assert _BusyOnce.posts == 2
