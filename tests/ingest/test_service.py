"""The Ingestor: decode -> validate -> WAL, answering in the request's own encoding."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from heron.config import Settings
from heron.errors import BackpressureError, InvalidPayloadError
from heron.ingest import IngestCounters, Ingestor, WriteAheadLog

OpenWal = Callable[..., WriteAheadLog]
PB = "application/x-protobuf"


def _span_count(request: ExportTraceServiceRequest) -> int:
    return sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)


def test_a_captured_protobuf_body_is_acknowledged_and_logged(
    open_wal: OpenWal, fixtures_dir: Path
) -> None:
    wal = open_wal()
    ingestor = Ingestor(wal, counters=IngestCounters())
    body = (fixtures_dir / "openllmetry" / "openai_tool_call.pb").read_bytes()
    payload, media = asyncio.run(ingestor.ingest_traces("proj", body, PB, None))
    assert (payload, media) == (b"", PB)  # an empty ExportTraceServiceResponse
    [record] = wal.read_after(0)
    assert (record.kind, record.project_id) == ("traces", "proj")
    assert ExportTraceServiceRequest.FromString(
        record.payload
    ) == ExportTraceServiceRequest.FromString(body)
    assert ingestor.counters.accepted_spans == 3


def test_json_in_json_out_and_gzip(open_wal: OpenWal, fixtures_dir: Path) -> None:
    ingestor = Ingestor(open_wal())
    body = gzip.compress((fixtures_dir / "otel_genai" / "anthropic_chat.json").read_bytes())
    payload, media = asyncio.run(
        ingestor.ingest_traces("p", body, "application/json; charset=utf-8", "gzip")
    )
    assert (json.loads(payload), media) == ({}, "application/json")


def test_bad_spans_are_reported_as_partial_success_and_not_logged(
    open_wal: OpenWal, make_traces: Callable[..., ExportTraceServiceRequest]
) -> None:
    wal = open_wal()
    counters = IngestCounters()
    ingestor = Ingestor(wal, counters=counters)
    request = make_traces(1)
    spans = request.resource_spans[0].scope_spans[0].spans
    spans[0].trace_id = spans[0].trace_id[:15]
    spans[1].name = ""
    payload, _media = asyncio.run(
        ingestor.ingest_traces("p", request.SerializeToString(), PB, None)
    )
    response = ExportTraceServiceResponse.FromString(payload)
    assert response.partial_success.rejected_spans == 2
    assert response.partial_success.error_message.startswith(
        "rejected 2 of 5: resourceSpans[0].scopeSpans[0].spans[0].traceId has 15 bytes, "
        "expected 16; "
        "resourceSpans[0].scopeSpans[0].spans[1].name is empty"
    )
    [record] = wal.read_after(0)
    assert _span_count(ExportTraceServiceRequest.FromString(record.payload)) == 3
    assert counters.accepted_spans == 3
    assert dict(counters.rejected_spans) == {"invalid_trace_id": 1, "missing_name": 1}


def test_requests_without_valid_spans_write_nothing(open_wal: OpenWal) -> None:
    wal = open_wal()
    ingestor = Ingestor(wal)
    payload, _ = asyncio.run(ingestor.ingest_traces("p", b"", PB, None))
    assert payload == b""
    assert wal.last_seq == 0
    only_bad = ExportTraceServiceRequest()
    only_bad.resource_spans.add().scope_spans.add().spans.add(name="x")
    response = asyncio.run(ingestor.ingest_traces_request("p", only_bad))
    assert response.partial_success.rejected_spans == 1
    assert wal.last_seq == 0


def test_malformed_bodies_raise_before_anything_is_written(open_wal: OpenWal) -> None:
    wal = open_wal()
    ingestor = Ingestor(wal)
    with pytest.raises(InvalidPayloadError):
        asyncio.run(ingestor.ingest_traces("p", b"\xff\xff", PB, None))
    assert wal.last_seq == 0
    assert ingestor.counters.accepted_spans == 0


def test_backpressure_reaches_the_caller_and_counts_nothing(
    open_wal: OpenWal, make_traces: Callable[..., ExportTraceServiceRequest]
) -> None:
    wal = open_wal(budget_bytes=100)
    ingestor = Ingestor(wal)
    body = make_traces(1).SerializeToString()
    asyncio.run(ingestor.ingest_traces("p", body, PB, None))
    with pytest.raises(BackpressureError):
        asyncio.run(ingestor.ingest_traces("p", body, PB, None))
    assert wal.last_seq == 1
    assert ingestor.counters.accepted_spans == 5


def test_captured_logs_are_logged_as_logs_records(open_wal: OpenWal, fixtures_dir: Path) -> None:
    wal = open_wal()
    ingestor = Ingestor(wal)
    body = (fixtures_dir / "otel_genai" / "openai_tool_call.logs.pb").read_bytes()
    payload, _media = asyncio.run(ingestor.ingest_logs("proj", body, PB, None))
    assert ExportLogsServiceResponse.FromString(payload) == ExportLogsServiceResponse()
    [record] = wal.read_after(0)
    assert record.kind == "logs"
    assert ExportLogsServiceRequest.FromString(
        record.payload
    ) == ExportLogsServiceRequest.FromString(body)
    assert ingestor.counters.accepted_log_records == 2


def test_settings_give_the_body_limit(open_wal: OpenWal, tmp_path: Path) -> None:
    ingestor = Ingestor(open_wal(), Settings(data_dir=tmp_path, max_body_bytes=1234))
    assert ingestor.max_body_bytes == 1234
    assert Ingestor(open_wal(tmp_path / "w2")).max_body_bytes == 16 * 1024 * 1024
