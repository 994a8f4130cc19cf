"""The benchmarks' synthetic traffic: valid OTLP, distinct traces, reproducible."""

from __future__ import annotations

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from heron.testing.traffic import encoded_requests

START_NS = 1_750_000_000 * 10**9


def _decode(body: bytes) -> ExportTraceServiceRequest:
    return ExportTraceServiceRequest.FromString(body)


def test_encoded_requests_hold_five_span_traces_all_distinct() -> None:
    bodies = encoded_requests(3, traces_per_request=4, start_ns=START_NS)
    spans = [
        span
        for body in bodies
        for rs in _decode(body).resource_spans
        for ss in rs.scope_spans
        for span in ss.spans
    ]
    assert len(bodies) == 3
    assert len(spans) == 3 * 4 * 5
    assert len({s.trace_id for s in spans}) == 12
    assert len({(s.trace_id, s.span_id) for s in spans}) == 60
    # Request i starts i seconds after the first.
    first_starts = [
        min(s.start_time_unix_nano for rs in _decode(b).resource_spans for ss in rs.scope_spans
            for s in ss.spans)
        for b in bodies
    ]  # fmt: skip
    assert [t - START_NS for t in first_starts] == [0, 1_000_000_000, 2_000_000_000]


def test_encoded_requests_are_reproducible() -> None:
    once = encoded_requests(2, traces_per_request=2, start_ns=START_NS)
    assert once == encoded_requests(2, traces_per_request=2, start_ns=START_NS)
    assert once[0] != once[1]
