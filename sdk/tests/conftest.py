"""Fixtures for the SDK tests: a real local HTTP peer standing in for heron, and clean SDK state.

These tests use only the SDK's own dependencies (OpenTelemetry and pytest);
they never import the ``heron`` server package.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import heron_sdk
import pytest
from heron_sdk import handle
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


@dataclass
class Received:
    """One request the stub received."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HeronStub:
    """A real HTTP server on 127.0.0.1 that records what the SDK posts, like heron's endpoints."""

    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def posts(self, path: str) -> list[Received]:
        """Requests received on ``path``."""
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def spans(self) -> list[tuple[dict[str, Any], Span]]:
        """Every span posted to /v1/traces, decoded, with its resource attributes."""
        out = []
        for req in self.posts("/v1/traces"):
            message = ExportTraceServiceRequest.FromString(req.body)
            for rs in message.resource_spans:
                resource = attrs(rs.resource.attributes)
                for ss in rs.scope_spans:
                    out.extend((resource, span) for span in ss.spans)
        return out

    def logs(self) -> list[LogRecord]:
        """Every log record posted to /v1/logs, decoded."""
        out: list[LogRecord] = []
        for req in self.posts("/v1/logs"):
            message = ExportLogsServiceRequest.FromString(req.body)
            for rl in message.resource_logs:
                for sl in rl.scope_logs:
                    out.extend(sl.log_records)
        return out

    def score_batches(self) -> list[list[dict[str, Any]]]:
        """Each JSON batch posted to /api/v1/scores."""
        return [json.loads(r.body) for r in self.posts("/api/v1/scores")]

    attrs = staticmethod(lambda pairs: attrs(pairs))

    def wait_for(self, check: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Poll ``check`` until true or ``timeout``; for work done by the SDK's threads."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return True
            time.sleep(0.02)
        return check()


def value_of(v: AnyValue) -> Any:
    """A protobuf AnyValue as a Python value."""
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [value_of(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return attrs(v.kvlist_value.values)
    return getattr(v, kind) if kind else None


def attrs(pairs: Any) -> dict[str, Any]:
    """Protobuf KeyValue pairs as a dict."""
    return {kv.key: value_of(kv.value) for kv in pairs if isinstance(kv, KeyValue)}


@pytest.fixture
def stub() -> Iterator[HeronStub]:
    """A running stub of heron's HTTP endpoints."""
    box: dict[str, HeronStub] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            peer = box["stub"]
            with peer.lock:
                peer.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
            self.send_response(peer.status)
            reply = b"{}" if self.path.startswith("/api/") else b""
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    box["stub"] = HeronStub(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield box["stub"]
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_url() -> str:
    """The URL of a port nothing listens on (heron down)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


_ENV_PREFIXES = ("HERON_", "OTEL_", "TRACELOOP_", "ANTHROPIC_OPEN_TELEMETRY")


@pytest.fixture(autouse=True)
def clean_sdk(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No heron or OTel variables leak in or out; any active SDK setup is shut down after."""
    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES):
            monkeypatch.delenv(name)
    # heron down in some tests: fail an export after one attempt instead of ~10 s of retries.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")
    saved = dict(os.environ)
    yield
    active = handle.active()
    if active is not None:
        active.shutdown(timeout_millis=2000)
    # init() writes content-capture switches to os.environ by design; put them back.
    for name in set(os.environ) - set(saved):
        del os.environ[name]
    os.environ.update(saved)


@dataclass
class Traced:
    """A fresh SDK tracer provider with an in-memory exporter, for asserting on spans locally."""

    provider: TracerProvider
    exporter: InMemorySpanExporter

    def finished(self) -> dict[str, Any]:
        """Finished spans by name (names are unique in each test)."""
        return {s.name: s for s in self.exporter.get_finished_spans()}


@pytest.fixture
def traced() -> Traced:
    """A tracer provider that is not the global one, so each test gets its own."""
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return Traced(provider, exporter)


@pytest.fixture
def sdk(traced: Traced, stub: HeronStub) -> Iterator[Callable[..., heron_sdk.HeronHandle]]:
    """``init`` bound to the test's provider and stub; keyword arguments pass through.

    Shuts the setup down while the stub still listens (fixtures tear down in reverse).
    """

    def start(**kwargs: Any) -> heron_sdk.HeronHandle:
        kwargs.setdefault("endpoint", stub.url)
        kwargs.setdefault("api_key", "hk_test")
        kwargs.setdefault("tracer_provider", traced.provider)
        return heron_sdk.init(**kwargs)

    yield start
    active = handle.active()
    if active is not None:
        active.shutdown(timeout_millis=2000)
