"""Per-span validation: bad spans are dropped and counted, good ones kept untouched."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.trace.v1.trace_pb2 import Span as OtlpSpan

from heron.ingest.validate import MAX_REASONS, validate_logs, validate_traces

GOOD = {
    "trace_id": bytes(range(1, 17)),
    "span_id": bytes(range(1, 9)),
    "name": "ok",
    "start_time_unix_nano": 1_000,
    "end_time_unix_nano": 2_000,
}


def _span(**changes: object) -> OtlpSpan:
    return OtlpSpan(**{**GOOD, **changes})  # type: ignore[arg-type]


def _request(*scopes: list[OtlpSpan]) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource = request.resource_spans.add()
    resource.resource.attributes.add(key="service.name").value.string_value = "svc"
    for spans in scopes:
        scope = resource.scope_spans.add()
        scope.scope.name = "lib"
        scope.spans.extend(spans)
    return request


def test_captured_requests_are_valid_and_kept_whole(trace_fixture_files: list[Path]) -> None:
    for path in trace_fixture_files:
        request = ExportTraceServiceRequest.FromString(path.read_bytes())
        result = validate_traces(request)
        assert result.rejected == 0
        assert result.error_message == ""
        assert result.request == request
        assert result.accepted == sum(
            len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans
        )


@pytest.mark.parametrize(
    ("changes", "reason", "problem"),
    [
        ({"trace_id": b"\x01" * 15}, "invalid_trace_id", "traceId has 15 bytes, expected 16"),
        ({"trace_id": b""}, "invalid_trace_id", "traceId has 0 bytes, expected 16"),
        ({"trace_id": b"\0" * 16}, "invalid_trace_id", "traceId is all zeros"),
        ({"span_id": b"\x01" * 9}, "invalid_span_id", "spanId has 9 bytes, expected 8"),
        ({"span_id": b"\0" * 8}, "invalid_span_id", "spanId is all zeros"),
        (
            {"parent_span_id": b"\x01" * 4},
            "invalid_parent_span_id",
            "parentSpanId has 4 bytes, expected 0 or 8",
        ),
        ({"name": ""}, "missing_name", "name is empty"),
        ({"start_time_unix_nano": 0}, "missing_start_time", "startTimeUnixNano is missing"),
        (
            {"end_time_unix_nano": 999},
            "end_before_start",
            "endTimeUnixNano (999) is before startTimeUnixNano (1000)",
        ),
    ],
)
def test_each_problem_rejects_the_span_with_its_path_and_reason(
    changes: dict[str, object], reason: str, problem: str
) -> None:
    request = _request(
        [_span(), _span(span_id=b"\x09" * 8)], [_span(span_id=b"\x07" * 8), _span(**changes)]
    )
    result = validate_traces(request)
    assert (result.accepted, result.rejected) == (3, 1)
    assert dict(result.reasons) == {reason: 1}
    assert len(result.problems) == 1
    assert result.problems[0].startswith(f"resourceSpans[0].scopeSpans[1].spans[1].{problem}")
    assert result.error_message.startswith(
        "rejected 1 of 4: resourceSpans[0].scopeSpans[1].spans[1]."
    )
    kept = result.request.resource_spans[0]
    assert kept.resource == request.resource_spans[0].resource
    assert [len(ss.spans) for ss in kept.scope_spans] == [2, 1]
    assert kept.scope_spans[1].spans[0].span_id == b"\x07" * 8
    assert kept.scope_spans[1].scope.name == "lib"


def test_a_parent_id_may_be_absent_and_end_may_equal_start() -> None:
    result = validate_traces(_request([_span(parent_span_id=b""), _span(end_time_unix_nano=1_000)]))
    assert (result.accepted, result.rejected) == (2, 0)


def test_scopes_and_resources_left_empty_are_removed() -> None:
    request = _request([_span(name="")], [_span()])
    request.resource_spans.add().scope_spans.add().spans.append(_span(trace_id=b""))
    result = validate_traces(request)
    assert (result.accepted, result.rejected) == (1, 2)
    assert len(result.request.resource_spans) == 1
    assert len(result.request.resource_spans[0].scope_spans) == 1


def test_the_message_quotes_the_first_problems_and_counts_the_rest() -> None:
    bad = [_span(name="") for _ in range(MAX_REASONS + 4)]
    result = validate_traces(_request(bad))
    assert result.rejected == MAX_REASONS + 4
    assert len(result.problems) == MAX_REASONS
    assert result.error_message.endswith("; and 4 more rejected")
    assert result.reasons["missing_name"] == MAX_REASONS + 4
    assert len(result.request.resource_spans) == 0


def test_an_empty_request_is_an_empty_success() -> None:
    result = validate_traces(ExportTraceServiceRequest())
    assert (result.accepted, result.rejected, result.error_message) == (0, 0, "")


def test_synthetic_traffic_is_valid(make_traces: Callable[..., ExportTraceServiceRequest]) -> None:
    request = make_traces(3)
    result = validate_traces(request)
    assert (result.accepted, result.rejected) == (15, 0)


def test_log_records_need_well_formed_ids_only_when_present() -> None:
    request = ExportLogsServiceRequest()
    scope = request.resource_logs.add().scope_logs.add()
    scope.log_records.extend(
        [
            LogRecord(time_unix_nano=1),
            LogRecord(trace_id=GOOD["trace_id"], span_id=GOOD["span_id"]),  # type: ignore[arg-type]
            LogRecord(trace_id=b"\x01" * 3),
            LogRecord(span_id=b"\0" * 8),
        ]
    )
    result = validate_logs(request)
    assert (result.accepted, result.rejected) == (2, 2)
    assert dict(result.reasons) == {"invalid_trace_id": 1, "invalid_span_id": 1}
    assert result.problems == [
        "resourceLogs[0].scopeLogs[0].logRecords[2].traceId has 3 bytes, expected 16",
        "resourceLogs[0].scopeLogs[0].logRecords[3].spanId is all zeros, "
        "which OTLP defines as invalid",
    ]
    assert len(result.request.resource_logs[0].scope_logs[0].log_records) == 2
