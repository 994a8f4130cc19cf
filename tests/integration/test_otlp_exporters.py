"""Spans sent by the real OpenTelemetry exporters (HTTP protobuf, gRPC) and raw OTLP/JSON."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter

from heron.testing.server import HeronServer, get_trace

pytestmark = pytest.mark.integration


def _emit_llm_trace(exporter: SpanExporter, service: str) -> str:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("integration.test")
    with tracer.start_as_current_span(
        "handler", attributes={"user.id": "u-1", "session.id": "s-1"}
    ) as root:
        with tracer.start_as_current_span(
            "chat gpt-4o-mini",
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                "gen_ai.usage.input_tokens": 120,
                "gen_ai.usage.output_tokens": 30,
                "gen_ai.response.finish_reasons": ["stop"],
            },
        ):
            pass
        trace_id = format(root.get_span_context().trace_id, "032x")
    provider.shutdown()
    return trace_id


@pytest.mark.parametrize("transport", ["http", "grpc"])
def test_real_exporter_spans_are_normalized(server: HeronServer, transport: str) -> None:
    exporter: SpanExporter
    if transport == "http":
        exporter = HttpExporter(endpoint=f"{server.url}/v1/traces")
    else:
        exporter = GrpcExporter(endpoint=f"127.0.0.1:{server.grpc_port}", insecure=True)
    trace_id = _emit_llm_trace(exporter, f"svc-{transport}")

    body = get_trace(server.url, trace_id)
    assert body, f"trace {trace_id} never became queryable:\n{server.log_tail()}"
    spans = {s["name"]: s for s in body["spans"]}
    llm = spans["chat gpt-4o-mini"]
    assert llm["kind"] == "llm"
    assert llm["provider"] == "openai"
    assert llm["model"] == "gpt-4o-mini-2024-07-18"
    assert (llm["input_tokens"], llm["output_tokens"], llm["total_tokens"]) == (120, 30, 150)
    assert llm["finish_reasons"] == ["stop"]
    assert llm["user_id"] == "u-1"
    assert llm["session_id"] == "s-1"
    assert llm["service_name"] == f"svc-{transport}"
    assert llm["cost_usd"] is not None
    assert llm["cost_usd"] > 0
    assert spans["handler"]["parent_span_id"] is None


def test_raw_otlp_json_fixture(server: HeronServer, fixtures_dir: Path) -> None:
    raw = (fixtures_dir / "openllmetry" / "openai_chat.json").read_bytes()
    trace_id = json.loads(raw)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"]
    resp = httpx.post(
        f"{server.url}/v1/traces", content=raw, headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = get_trace(server.url, trace_id)
    assert body, server.log_tail()
    llm = next(s for s in body["spans"] if s["kind"] == "llm")
    assert llm["input_tokens"] == 1337
    assert llm["cached_input_tokens"] == 1024
    assert llm["output_tokens"] == 21


def test_every_fixture_protobuf_lands_with_its_llm_spans(
    server: HeronServer, fixtures_dir: Path
) -> None:
    expected: dict[str, int] = {}
    for manifest_path in sorted(fixtures_dir.glob("*/manifest.json")):
        manifest = json.loads(manifest_path.read_text())
        for case_name, case in manifest["cases"].items():
            pb = manifest_path.parent / f"{case_name}.pb"
            resp = httpx.post(
                f"{server.url}/v1/traces",
                content=pb.read_bytes(),
                headers={"Content-Type": "application/x-protobuf"},
            )
            assert resp.status_code == 200, (pb, resp.text)
            from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
                ExportTraceServiceRequest,
            )

            req = ExportTraceServiceRequest.FromString(pb.read_bytes())
            trace_id = req.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
            expected[trace_id] = len(case["llm_calls"])
    for trace_id, n_calls in expected.items():
        body = get_trace(server.url, trace_id)
        assert body, f"{trace_id} missing\n{server.log_tail()}"
        counted = [s for s in body["spans"] if s["kind"] == "llm" and s["duplicate_of"] is None]
        assert len(counted) == n_calls, (trace_id, [(s["name"], s["kind"]) for s in body["spans"]])


def test_openapi_and_probes(server: HeronServer) -> None:
    spec = httpx.get(f"{server.url}/api/openapi.json").json()
    for path in (
        "/api/v1/traces",
        "/api/v1/traces/{trace_id}",
        "/api/v1/stats",
        "/api/v1/scores",
        "/api/v1/users",
        "/api/v1/sessions",
    ):
        assert path in spec["paths"], path
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{server.url}/readyz").status_code == 200
