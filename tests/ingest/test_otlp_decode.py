"""Decoding OTLP/HTTP bodies: the real captured requests, every encoding, every refusal."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from heron.errors import InvalidPayloadError, PayloadTooLargeError, UnsupportedMediaError
from heron.ingest.otlp_decode import (
    JSON,
    PROTOBUF,
    DecompressedTooLargeError,
    decode_logs,
    decode_traces,
    encode_message,
    media_type_of,
    response_media_type,
)

LIMIT = 4 * 1024 * 1024


def _json_ids(path: Path) -> list[tuple[str, str, str]]:
    data = json.loads(path.read_text())
    return [
        (span["traceId"], span["spanId"], span.get("parentSpanId", ""))
        for rs in data["resourceSpans"]
        for ss in rs["scopeSpans"]
        for span in ss["spans"]
    ]


def test_every_captured_trace_body_decodes_the_same_from_protobuf_and_json(
    trace_fixture_files: list[Path],
) -> None:
    for pb_path in trace_fixture_files:
        from_pb = decode_traces(pb_path.read_bytes(), PROTOBUF, None, max_bytes=LIMIT)
        json_path = pb_path.with_suffix(".json")
        from_json = decode_traces(json_path.read_bytes(), JSON, None, max_bytes=LIMIT)
        assert from_pb == from_json, pb_path
        spans = [s for rs in from_pb.resource_spans for ss in rs.scope_spans for s in ss.spans]
        assert spans, pb_path
        # The hex ids of the JSON file are the raw bytes of the protobuf ids.
        assert [
            (s.trace_id.hex(), s.span_id.hex(), s.parent_span_id.hex()) for s in spans
        ] == _json_ids(json_path)


def test_gzip_bodies_decode_like_plain_ones(trace_fixture_files: list[Path]) -> None:
    for pb_path in trace_fixture_files[:4]:
        plain = decode_traces(pb_path.read_bytes(), PROTOBUF, None, max_bytes=LIMIT)
        zipped = gzip.compress(pb_path.read_bytes())
        assert decode_traces(zipped, PROTOBUF, "gzip", max_bytes=LIMIT) == plain
        json_zipped = gzip.compress(pb_path.with_suffix(".json").read_bytes())
        assert decode_traces(json_zipped, JSON, "GZIP", max_bytes=LIMIT) == plain


def test_multi_member_gzip_is_inflated_whole(fixtures_dir: Path) -> None:
    body = (fixtures_dir / "otel_genai" / "openai_chat.pb").read_bytes()
    half = len(body) // 2
    two_members = gzip.compress(body[:half]) + gzip.compress(body[half:])
    assert decode_traces(two_members, PROTOBUF, "gzip", max_bytes=LIMIT) == decode_traces(
        body, PROTOBUF, None, max_bytes=LIMIT
    )


def test_captured_log_bodies_decode_from_protobuf_and_json(fixtures_dir: Path) -> None:
    files = sorted(fixtures_dir.glob("*/*.logs.pb"))
    assert files
    for pb_path in files:
        from_pb = decode_logs(pb_path.read_bytes(), PROTOBUF, None, max_bytes=LIMIT)
        from_json = decode_logs(
            pb_path.with_suffix(".json").read_bytes(), JSON, None, max_bytes=LIMIT
        )
        assert from_pb == from_json
        records = [
            r for rl in from_pb.resource_logs for sl in rl.scope_logs for r in sl.log_records
        ]
        assert records
        assert any(r.trace_id for r in records), "captured GenAI events carry their trace id"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("application/x-protobuf", PROTOBUF),
        ("application/protobuf", PROTOBUF),
        ("Application/JSON; charset=utf-8", JSON),
        ("application/json", JSON),
    ],
)
def test_content_types_are_recognised_with_parameters(header: str, expected: str) -> None:
    assert media_type_of(header) == expected
    assert response_media_type(header) == expected


@pytest.mark.parametrize("header", ["text/plain", "application/grpc", "", None])
def test_unsupported_content_types_are_refused_with_the_accepted_list(header: str | None) -> None:
    with pytest.raises(UnsupportedMediaError) as info:
        decode_traces(b"{}", header, None, max_bytes=LIMIT)  # type: ignore[arg-type]
    message = str(info.value)
    assert "application/x-protobuf" in message
    assert "application/json" in message
    assert (repr(header) if header else "no Content-Type header") in message
    assert response_media_type(header) == JSON


def test_unsupported_content_encoding_is_refused() -> None:
    with pytest.raises(UnsupportedMediaError, match=r"Content-Encoding 'br'.*gzip"):
        decode_traces(b"x", PROTOBUF, "br", max_bytes=LIMIT)


def test_a_body_over_the_limit_is_refused_with_the_limit(fixtures_dir: Path) -> None:
    body = (fixtures_dir / "otel_genai" / "openai_chat.pb").read_bytes()
    with pytest.raises(PayloadTooLargeError) as info:
        decode_traces(body, PROTOBUF, None, max_bytes=len(body) - 1)
    assert f"limit of {len(body) - 1} bytes" in str(info.value)
    assert info.value.size == len(body)


def test_a_gzip_bomb_stops_inflating_at_the_limit() -> None:
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024))
    assert len(bomb) < 64 * 1024
    with pytest.raises(DecompressedTooLargeError) as info:
        decode_traces(bomb, PROTOBUF, "gzip", max_bytes=1024 * 1024)
    assert isinstance(info.value, PayloadTooLargeError)
    assert "inflates to more than the limit of 1048576 bytes" in str(info.value)


def test_gzip_that_is_not_gzip_or_is_truncated_is_invalid(fixtures_dir: Path) -> None:
    body = (fixtures_dir / "otel_genai" / "openai_chat.pb").read_bytes()
    with pytest.raises(InvalidPayloadError, match=r"declared gzip.*cannot be inflated"):
        decode_traces(body, PROTOBUF, "gzip", max_bytes=LIMIT)
    with pytest.raises(InvalidPayloadError, match="gzip body is truncated"):
        decode_traces(gzip.compress(body)[:-20], PROTOBUF, "gzip", max_bytes=LIMIT)


def test_garbage_protobuf_is_named_as_not_a_request() -> None:
    with pytest.raises(InvalidPayloadError) as info:
        decode_traces(b"\xff\xff\xff\xff not protobuf", PROTOBUF, None, max_bytes=LIMIT)
    assert str(info.value).startswith("body is not an ExportTraceServiceRequest in protobuf: ")


def test_invalid_json_and_non_object_json_are_named() -> None:
    with pytest.raises(InvalidPayloadError, match="body is not valid JSON"):
        decode_traces(b'{"resourceSpans": [', JSON, None, max_bytes=LIMIT)
    with pytest.raises(InvalidPayloadError, match=r"expected a JSON object.*got list"):
        decode_traces(b"[]", JSON, None, max_bytes=LIMIT)


def test_json_schema_errors_name_the_message_and_field() -> None:
    body = {
        "resourceSpans": [{"scopeSpans": [{"spans": [{"name": "x", "startTimeUnixNano": "soon"}]}]}]
    }
    with pytest.raises(InvalidPayloadError) as info:
        decode_traces(json.dumps(body).encode(), JSON, None, max_bytes=LIMIT)
    message = str(info.value)
    assert message.startswith("body is not an ExportTraceServiceRequest: ")
    assert "startTimeUnixNano" in message


def test_base64_ids_are_refused_with_the_path_and_the_hex_rule() -> None:
    body = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {"spans": []},
                    {
                        "spans": [
                            {"traceId": "/gWzy1bO8yM8cnJr2fnzog==", "spanId": "8725e41ca8f6b88d"}
                        ]
                    },
                ]
            }
        ]
    }
    with pytest.raises(InvalidPayloadError) as info:
        decode_traces(json.dumps(body).encode(), JSON, None, max_bytes=LIMIT)
    message = str(info.value)
    assert message.startswith("resourceSpans[0].scopeSpans[1].spans[0].traceId is not a hex string")
    assert "not base64" in message


def test_link_and_log_ids_are_hex_too() -> None:
    trace_id, span_id = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
    traces = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": trace_id,
                                "spanId": span_id,
                                "name": "s",
                                "kind": 2,
                                "links": [{"traceId": trace_id, "spanId": span_id}],
                            }
                        ]
                    }
                ]
            }
        ]
    }
    request = decode_traces(json.dumps(traces).encode(), JSON, None, max_bytes=LIMIT)
    span = request.resource_spans[0].scope_spans[0].spans[0]
    assert span.links[0].trace_id.hex() == trace_id
    assert span.links[0].span_id.hex() == span_id
    assert span.kind == 2
    logs = {
        "resourceLogs": [
            {
                "scopeLogs": [
                    {"logRecords": [{"traceId": trace_id, "spanId": span_id, "severityNumber": 9}]}
                ]
            }
        ]
    }
    record = decode_logs(json.dumps(logs).encode(), JSON, None, max_bytes=LIMIT).resource_logs[0]
    assert record.scope_logs[0].log_records[0].trace_id.hex() == trace_id
    assert record.scope_logs[0].log_records[0].severity_number == 9


def test_snake_case_keys_and_unknown_fields_are_accepted() -> None:
    body = {
        "resource_spans": [
            {
                "scope_spans": [
                    {
                        "spans": [
                            {
                                "trace_id": "0af7651916cd43dd8448eb211c80319c",
                                "span_id": "b7ad6b7169203331",
                                "name": "s",
                                "start_time_unix_nano": 5,
                                "fieldFromTheFuture": {"x": 1},
                            }
                        ]
                    }
                ]
            }
        ]
    }
    request = decode_traces(json.dumps(body).encode(), JSON, None, max_bytes=LIMIT)
    span = request.resource_spans[0].scope_spans[0].spans[0]
    assert span.trace_id.hex() == "0af7651916cd43dd8448eb211c80319c"
    assert span.start_time_unix_nano == 5


def test_hex_ids_of_the_wrong_length_decode_and_are_left_to_validation() -> None:
    body = {
        "resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "ab" * 15, "spanId": "cd" * 8}]}]}]
    }
    request = decode_traces(json.dumps(body).encode(), JSON, None, max_bytes=LIMIT)
    assert len(request.resource_spans[0].scope_spans[0].spans[0].trace_id) == 15


@pytest.mark.parametrize("suffix", [".pb", ".json"])
def test_a_logs_request_sent_to_traces_is_named(fixtures_dir: Path, suffix: str) -> None:
    body = (fixtures_dir / "otel_genai" / f"openai_chat.logs{suffix}").read_bytes()
    media = JSON if suffix == ".json" else PROTOBUF
    with pytest.raises(InvalidPayloadError) as info:
        decode_traces(body, media, None, max_bytes=LIMIT)
    assert str(info.value) == (
        "this looks like an OTLP logs request sent to /v1/traces; send it to /v1/logs"
    )


@pytest.mark.parametrize("suffix", [".pb", ".json"])
def test_a_traces_request_sent_to_logs_is_named(fixtures_dir: Path, suffix: str) -> None:
    body = (fixtures_dir / "openinference" / f"openai_chat{suffix}").read_bytes()
    media = JSON if suffix == ".json" else PROTOBUF
    with pytest.raises(
        InvalidPayloadError, match="OTLP traces request sent to /v1/logs; send it to /v1/traces"
    ):
        decode_logs(body, media, None, max_bytes=LIMIT)


@pytest.mark.parametrize("suffix", [".pb", ".json"])
def test_metrics_requests_are_named_on_both_routes(fixtures_dir: Path, suffix: str) -> None:
    body = (fixtures_dir / "openllmetry" / f"openai_chat.metrics{suffix}").read_bytes()
    media = JSON if suffix == ".json" else PROTOBUF
    with pytest.raises(InvalidPayloadError, match="OTLP metrics request sent to /v1/traces"):
        decode_traces(body, media, None, max_bytes=LIMIT)
    with pytest.raises(InvalidPayloadError, match="OTLP metrics request sent to /v1/logs"):
        decode_logs(body, media, None, max_bytes=LIMIT)


def test_responses_are_encoded_in_the_request_encoding() -> None:
    response = ExportTraceServiceResponse()
    assert encode_message(response, JSON) == b"{}"
    assert encode_message(response, PROTOBUF) == b""
    response.partial_success.rejected_spans = 2
    response.partial_success.error_message = "two bad spans"
    as_json = json.loads(encode_message(response, JSON))
    assert as_json == {"partialSuccess": {"rejectedSpans": "2", "errorMessage": "two bad spans"}}
    assert ExportTraceServiceResponse.FromString(encode_message(response, PROTOBUF)) == response
    parsed = json_format.Parse(encode_message(response, JSON), ExportTraceServiceResponse())
    assert parsed == response


def test_empty_requests_decode_to_empty_messages() -> None:
    assert decode_traces(b"", PROTOBUF, None, max_bytes=LIMIT) == ExportTraceServiceRequest()
    assert decode_traces(b"{}", JSON, None, max_bytes=LIMIT) == ExportTraceServiceRequest()
    assert decode_logs(b"{}", JSON, None, max_bytes=LIMIT) == ExportLogsServiceRequest()
