"""The logs pillar: OTLP logs over HTTP and gRPC, stored and returned with their trace."""

from __future__ import annotations

from pathlib import Path

import grpc
import httpx
import pytest
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2_grpc
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from heron.testing.server import HeronServer, get_trace, wait_for

pytestmark = pytest.mark.integration


def _post(server: HeronServer, path: str, body: bytes, ctype: str) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", content=body, headers={"Content-Type": ctype})


@pytest.mark.parametrize("case", ["openai_chat", "anthropic_tool_call"])
def test_fixture_logs_attach_to_their_trace(
    server: HeronServer, fixtures_dir: Path, case: str
) -> None:
    folder = fixtures_dir / "otel_genai"
    traces = (folder / f"{case}.pb").read_bytes()
    logs_pb = (folder / f"{case}.logs.pb").read_bytes()
    assert _post(server, "/v1/traces", traces, "application/x-protobuf").status_code == 200
    resp = _post(server, "/v1/logs", logs_pb, "application/x-protobuf")
    assert resp.status_code == 200, resp.text

    request = ExportLogsServiceRequest.FromString(logs_pb)
    sent = [r for rl in request.resource_logs for sl in rl.scope_logs for r in sl.log_records]
    trace_id = ExportTraceServiceRequest.FromString(traces).resource_spans[0].scope_spans[0]
    trace_hex = trace_id.spans[0].trace_id.hex()
    body = wait_for(
        lambda: get_trace(server.url, trace_hex),
        lambda b: len(b.get("logs", [])) >= len(sent),
    )
    assert len(body["logs"]) == len(sent)
    span_ids = {s["span_id"] for s in body["spans"]}
    for record in body["logs"]:
        assert record["trace_id"] == trace_hex
        assert record["span_id"] in span_ids  # correlated with a span of this trace


def test_logs_over_grpc_and_json_are_listed(server: HeronServer, fixtures_dir: Path) -> None:
    folder = fixtures_dir / "otel_genai"
    pb = (folder / "anthropic_chat.logs.pb").read_bytes()
    request = ExportLogsServiceRequest.FromString(pb)
    trace_hex = request.resource_logs[0].scope_logs[0].log_records[0].trace_id.hex()
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        logs_service_pb2_grpc.LogsServiceStub(channel).Export(request, timeout=10)
    # The same records again as OTLP/JSON: stored once (content-addressed log ids).
    json_body = (folder / "anthropic_chat.logs.json").read_bytes()
    assert _post(server, "/v1/logs", json_body, "application/json").status_code == 200

    def listed() -> list[dict[str, object]]:
        resp = httpx.get(f"{server.url}/api/v1/logs", params={"trace_id": trace_hex})
        logs: list[dict[str, object]] = resp.json()["logs"]
        return logs

    n = sum(len(sl.log_records) for rl in request.resource_logs for sl in rl.scope_logs)
    logs = wait_for(listed, lambda rows: len(rows) >= n)
    assert len(logs) == n


def test_traces_sent_to_logs_url_are_refused(server: HeronServer, fixtures_dir: Path) -> None:
    traces = (fixtures_dir / "otel_genai" / "openai_chat.pb").read_bytes()
    resp = _post(server, "/v1/logs", traces, "application/x-protobuf")
    assert resp.status_code == 400
