"""OTLP/HTTP routes through FastAPI: real bodies in, spec-shaped answers and errors out."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from google.rpc import code_pb2, error_details_pb2, status_pb2
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from heron.api.otlp import otlp_router
from heron.errors import AuthError
from heron.ingest import Ingestor, WriteAheadLog
from heron.testing.server import free_port

PB = "application/x-protobuf"
JSON = "application/json"
LIMIT = 64 * 1024


async def _resolve(request: Request) -> str:
    auth = request.headers.get("authorization")
    if auth is None:
        return "default"
    if auth != "Bearer good-key":
        raise AuthError("invalid API key; create one with `heron keys create`")
    return "keyed-project"


@pytest.fixture
def wal(tmp_path: Path) -> Iterator[WriteAheadLog]:
    log = WriteAheadLog(tmp_path / "wal", sync=False, budget_bytes=256 * 1024, retry_after_s=3)
    yield log
    log.close()


@pytest.fixture
def app(wal: WriteAheadLog) -> FastAPI:
    app = FastAPI()
    app.include_router(otlp_router(Ingestor(wal, max_body_bytes=LIMIT), _resolve))
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def _status(response: object, media: str) -> status_pb2.Status:
    body: bytes = response.content  # type: ignore[attr-defined]
    if media == JSON:
        from google.protobuf import json_format

        return json_format.Parse(body, status_pb2.Status())
    return status_pb2.Status.FromString(body)


def test_protobuf_fixture_is_accepted_in_protobuf(
    client: TestClient, wal: WriteAheadLog, fixtures_dir: Path
) -> None:
    body = (fixtures_dir / "openinference" / "openai_chat.pb").read_bytes()
    response = client.post("/v1/traces", content=body, headers={"Content-Type": PB})
    assert response.status_code == 200
    assert response.headers["content-type"] == PB
    assert ExportTraceServiceResponse.FromString(response.content) == ExportTraceServiceResponse()
    [record] = wal.read_after(0)
    assert record.project_id == "default"
    assert ExportTraceServiceRequest.FromString(
        record.payload
    ) == ExportTraceServiceRequest.FromString(body)


def test_json_fixture_gzip_is_accepted_in_json(
    client: TestClient, wal: WriteAheadLog, fixtures_dir: Path
) -> None:
    body = gzip.compress((fixtures_dir / "otel_genai" / "openai_chat.json").read_bytes())
    response = client.post(
        "/v1/traces",
        content=body,
        headers={
            "Content-Type": JSON,
            "Content-Encoding": "gzip",
            "Authorization": "Bearer good-key",
        },
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    assert response.json() == {}
    assert wal.read_after(0)[0].project_id == "keyed-project"


def test_partial_success_is_reported_in_json(client: TestClient, fixtures_dir: Path) -> None:
    data = json.loads((fixtures_dir / "otel_genai" / "openai_chat.json").read_text())
    data["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["spanId"] = "00" * 8
    response = client.post("/v1/traces", content=json.dumps(data), headers={"Content-Type": JSON})
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert "resourceSpans[0].scopeSpans[0].spans[0].spanId is all zeros" in partial["errorMessage"]


@pytest.mark.parametrize("media", [PB, JSON])
def test_malformed_bodies_get_400_with_a_status_in_the_request_encoding(
    client: TestClient, media: str
) -> None:
    body = b"\xff\xff\xff" if media == PB else b'{"resourceSpans": [{"scopeSpans": 5}]}'
    response = client.post("/v1/traces", content=body, headers={"Content-Type": media})
    assert response.status_code == 400
    assert response.headers["content-type"] == media
    status = _status(response, media)
    assert status.code == code_pb2.INVALID_ARGUMENT
    assert status.message.startswith("body is not an ExportTraceServiceRequest")


def test_logs_sent_to_traces_are_told_where_to_go(client: TestClient, fixtures_dir: Path) -> None:
    body = (fixtures_dir / "otel_genai" / "openai_chat.logs.pb").read_bytes()
    response = client.post("/v1/traces", content=body, headers={"Content-Type": PB})
    assert response.status_code == 400
    assert "send it to /v1/logs" in _status(response, PB).message
    accepted = client.post("/v1/logs", content=body, headers={"Content-Type": PB})
    assert accepted.status_code == 200
    assert accepted.headers["content-type"] == PB


def test_unsupported_media_type_is_415_listing_the_accepted_ones(
    client: TestClient, wal: WriteAheadLog
) -> None:
    response = client.post("/v1/traces", content=b"hello", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    status = _status(response, JSON)
    assert "application/x-protobuf" in status.message
    assert "application/json" in status.message
    assert wal.last_seq == 0


def test_a_declared_length_over_the_limit_is_413_before_reading(client: TestClient) -> None:
    body = b"\0" * (LIMIT + 1)
    response = client.post("/v1/traces", content=body, headers={"Content-Type": PB})
    assert response.status_code == 413
    assert f"limit of {LIMIT} bytes" in _status(response, PB).message


def test_a_chunked_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"\0" * (LIMIT // 4)

    response = client.post("/v1/traces", content=chunks(), headers={"Content-Type": PB})
    assert response.status_code == 413
    assert "HERON_MAX_BODY_BYTES" in _status(response, PB).message


def test_a_gzip_bomb_is_413(client: TestClient) -> None:
    bomb = gzip.compress(b"\0" * (LIMIT * 50))
    response = client.post(
        "/v1/traces", content=bomb, headers={"Content-Type": PB, "Content-Encoding": "gzip"}
    )
    assert response.status_code == 413
    assert "inflates to more than the limit" in _status(response, PB).message


def test_over_budget_is_429_with_retry_after_and_retry_info(
    client: TestClient, wal: WriteAheadLog, fixtures_dir: Path
) -> None:
    body = (fixtures_dir / "openllmetry" / "openai_chat.pb").read_bytes()
    codes = []
    for _ in range(300):
        response = client.post("/v1/traces", content=body, headers={"Content-Type": PB})
        codes.append(response.status_code)
        if response.status_code == 429:
            break
    assert codes[-1] == 429
    assert set(codes[:-1]) == {200}
    assert response.headers["retry-after"] == "3"
    status = _status(response, PB)
    assert status.code == code_pb2.RESOURCE_EXHAUSTED
    info = error_details_pb2.RetryInfo()
    assert status.details[0].Unpack(info)
    assert info.retry_delay.seconds == 3
    assert wal.last_seq == len(codes) - 1


def test_bad_credentials_are_401(client: TestClient, wal: WriteAheadLog) -> None:
    response = client.post(
        "/v1/traces", content=b"", headers={"Content-Type": JSON, "Authorization": "Bearer nope"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    status = _status(response, JSON)
    assert status.code == code_pb2.UNAUTHENTICATED
    assert "heron keys create" in status.message


def test_logs_route_accepts_json_logs(
    client: TestClient, wal: WriteAheadLog, fixtures_dir: Path
) -> None:
    body = (fixtures_dir / "otel_genai" / "anthropic_tool_call.logs.json").read_bytes()
    response = client.post("/v1/logs", content=body, headers={"Content-Type": JSON})
    assert response.status_code == 200
    assert response.json() == {}
    [record] = wal.read_after(0)
    assert record.kind == "logs"
    assert len(ExportLogsServiceRequest.FromString(record.payload).resource_logs) == 1


def test_the_real_otlp_http_exporter_is_accepted(app: FastAPI, wal: WriteAheadLog) -> None:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        exporter = OTLPSpanExporter(
            endpoint=f"http://127.0.0.1:{port}/v1/traces", compression=Compression.Gzip
        )
        captured = InMemorySpanExporter()
        provider = TracerProvider(resource=Resource.create({"service.name": "router-test"}))
        provider.add_span_processor(SimpleSpanProcessor(captured))
        tracer = provider.get_tracer("router-test")
        with tracer.start_as_current_span("parent"), tracer.start_as_current_span("child"):
            pass
        provider.shutdown()
        result = exporter.export(captured.get_finished_spans())
        exporter.shutdown()
    finally:
        server.should_exit = True
        thread.join(10)
    assert result == SpanExportResult.SUCCESS
    names = [
        s.name
        for r in wal.read_after(0)
        for rs in ExportTraceServiceRequest.FromString(r.payload).resource_spans
        for ss in rs.scope_spans
        for s in ss.spans
    ]
    assert names == ["child", "parent"]
