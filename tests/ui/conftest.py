"""Fixtures of the UI tests: a real ``heron serve`` with demo-like data, and Chromium."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans
from opentelemetry.proto.trace.v1.trace_pb2 import Span as OtlpSpan

from heron.testing.server import HeronServer, wait_for
from heron.testing.traffic import attr, make_request, trace_specs

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOSTILE = '<script>window.__pwned = 1; alert("x")</script><img src=x onerror="window.__pwned=1">'
HOSTILE_TRACE = "ab" * 16
PROTOBUF = {"Content-Type": "application/x-protobuf"}


def post_traces(base_url: str, request: ExportTraceServiceRequest) -> None:
    """Send one OTLP/HTTP protobuf request and require it to be accepted."""
    resp = httpx.post(
        f"{base_url}/v1/traces", content=request.SerializeToString(), headers=PROTOBUF, timeout=30
    )
    assert resp.status_code == 200, resp.text


def hostile_request(start_ns: int) -> ExportTraceServiceRequest:
    """A trace whose name, prompt, completion and ids carry HTML and script."""
    trace_id = bytes.fromhex(HOSTILE_TRACE)
    root, llm = bytes.fromhex("1" * 16), bytes.fromhex("2" * 16)
    messages_in = [{"role": "user", "parts": [{"type": "text", "content": HOSTILE}]}]
    messages_out = [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": HOSTILE}],
            "finish_reason": "stop",
        }
    ]
    spans = [
        OtlpSpan(
            trace_id=trace_id,
            span_id=root,
            name=HOSTILE,
            kind=OtlpSpan.SPAN_KIND_SERVER,
            start_time_unix_nano=start_ns,
            end_time_unix_nano=start_ns + 900_000_000,
            attributes=[attr("user.id", "<b>eve</b>"), attr("session.id", "s<i>1</i>")],
        ),
        OtlpSpan(
            trace_id=trace_id,
            span_id=llm,
            parent_span_id=root,
            name="chat gpt-4o",
            kind=OtlpSpan.SPAN_KIND_CLIENT,
            start_time_unix_nano=start_ns + 10_000_000,
            end_time_unix_nano=start_ns + 800_000_000,
            attributes=[
                attr("gen_ai.operation.name", "chat"),
                attr("gen_ai.provider.name", "openai"),
                attr("gen_ai.request.model", "gpt-4o"),
                attr("gen_ai.usage.input_tokens", 42),
                attr("gen_ai.usage.output_tokens", 7),
                attr("gen_ai.input.messages", json.dumps(messages_in)),
                attr("gen_ai.output.messages", json.dumps(messages_out)),
                attr("x.note", HOSTILE),
            ],
        ),
    ]
    return ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=Resource(attributes=[attr("service.name", "evil-app")]),
                scope_spans=[ScopeSpans(spans=spans)],
            )
        ]
    )


def hostile_log(start_ns: int) -> ExportLogsServiceRequest:
    """A warning log line emitted inside the hostile trace's LLM span."""
    record = LogRecord(
        time_unix_nano=start_ns + 20_000_000,
        severity_number=13,
        severity_text="WARN",
        body=AnyValue(string_value=f"retrying {HOSTILE}"),
        trace_id=bytes.fromhex(HOSTILE_TRACE),
        span_id=bytes.fromhex("2" * 16),
    )
    return ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(
                resource=Resource(attributes=[attr("service.name", "evil-app")]),
                scope_logs=[ScopeLogs(log_records=[record])],
            )
        ]
    )


def api(base_url: str, path: str, **params: Any) -> Any:
    resp = httpx.get(f"{base_url}{path}", params=params, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeronServer]:
    """A heron filled like ``heron demo``: 120 traces over the last 40 minutes, plus scores."""
    root = tmp_path_factory.mktemp("heron-ui")
    server = HeronServer(root / "data", env={"HERON_FLUSH_INTERVAL_S": "0.1"})
    server.start()
    try:
        now_ns = time.time_ns()
        specs = list(
            trace_specs(120, seed=3, start_ns=now_ns - 40 * 60 * 10**9, spacing_ns=19 * 10**9)
        )
        for i in range(0, len(specs), 40):
            post_traces(server.url, make_request(specs[i : i + 40], seed=i))
        post_traces(server.url, hostile_request(now_ns - 60 * 10**9))
        resp = httpx.post(
            f"{server.url}/v1/logs",
            content=hostile_log(now_ns - 60 * 10**9).SerializeToString(),
            headers=PROTOBUF,
            timeout=30,
        )
        assert resp.status_code == 200, resp.text
        expected = len(specs) + 1
        listing = wait_for(
            lambda: api(server.url, "/api/v1/traces", since="1h", limit=500)["traces"],
            lambda traces: len(traces) >= expected,
            timeout=60,
        )
        assert len(listing) == expected, server.log_tail()
        logged = wait_for(
            lambda: api(server.url, f"/api/v1/traces/{HOSTILE_TRACE}")["logs"], bool, timeout=60
        )
        assert logged, server.log_tail()
        scored = [t["trace_id"] for t in listing[:5]]
        body = [
            {
                "trace_id": tid,
                "name": "helpfulness",
                "value": 0.2 * n,
                "source": "eval",
                "comment": f"judge says {n}",
            }
            for n, tid in enumerate(scored)
        ]
        resp = httpx.post(f"{server.url}/api/v1/scores", json=body, timeout=30)
        assert resp.status_code == 201, resp.text
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser build)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageErrors:
    """JavaScript console errors and uncaught exceptions seen by a page."""

    def __init__(self, page: Any) -> None:
        self.messages: list[str] = []
        page.on(
            "console",
            lambda msg: (
                self.messages.append(f"console: {msg.text}") if msg.type == "error" else None
            ),
        )
        page.on("pageerror", lambda exc: self.messages.append(f"pageerror: {exc}"))
        page.on(
            "dialog",
            lambda dialog: (self.messages.append(f"dialog: {dialog.message}"), dialog.dismiss()),
        )


@pytest.fixture
def page(browser: Any) -> Iterator[tuple[Any, PageErrors]]:
    """A fresh browser tab; the test asserts its errors list is empty."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    tab = context.new_page()
    errors = PageErrors(tab)
    yield tab, errors
    context.close()


def screenshot(tab: Any, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ui/ (gitignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path
