"""OTLP log records -> LogRecord: correlation ids, bodies, content-addressed ids."""

from __future__ import annotations

from pathlib import Path

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord as OtlpLogRecord
from opentelemetry.proto.logs.v1.logs_pb2 import ResourceLogs, ScopeLogs

from heron.normalize import normalize_logs


def test_fixture_log_events_keep_trace_and_span(fixtures_dir: Path) -> None:
    pb = (fixtures_dir / "otel_genai" / "openai_chat.logs.pb").read_bytes()
    request = ExportLogsServiceRequest.FromString(pb)
    records = normalize_logs("p1", request)
    raw = [r for rl in request.resource_logs for sl in rl.scope_logs for r in sl.log_records]
    assert len(records) == len(raw)
    for rec, src in zip(records, raw, strict=True):
        assert rec.trace_id == src.trace_id.hex()
        assert rec.span_id == src.span_id.hex()
        assert rec.project_id == "p1"
        assert rec.service_name is not None
    assert normalize_logs("p1", request) == records  # deterministic for WAL replays
    assert normalize_logs("p2", request)[0].log_id != records[0].log_id


def test_structured_bodies_become_json_and_zero_ids_none() -> None:
    body = AnyValue()
    body.kvlist_value.values.append(KeyValue(key="model", value=AnyValue(string_value="m")))
    record = OtlpLogRecord(
        time_unix_nano=1_700_000_000_000_000_000,
        severity_number=9,
        severity_text="INFO",
        body=body,
        trace_id=b"\x00" * 16,
        span_id=b"\x00" * 8,
        attributes=[KeyValue(key="event.name", value=AnyValue(string_value="llm_call"))],
    )
    request = ExportLogsServiceRequest(
        resource_logs=[ResourceLogs(scope_logs=[ScopeLogs(log_records=[record])])]
    )
    (rec,) = normalize_logs("p", request)
    assert rec.body == '{"model": "m"}'
    assert rec.trace_id is None
    assert rec.span_id is None
    assert rec.event_name == "llm_call"
    assert rec.severity_number == 9
    assert rec.time.year == 2023
