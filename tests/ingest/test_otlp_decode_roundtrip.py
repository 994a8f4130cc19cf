"""Property: any trace request survives protobuf and OTLP/JSON encoding through the decoder."""

from __future__ import annotations

import base64
import json
from typing import Any

from google.protobuf import json_format
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from heron.ingest.otlp_decode import JSON, PROTOBUF, decode_traces

_values = st.one_of(
    st.builds(AnyValue, string_value=st.text(max_size=20)),
    st.builds(AnyValue, int_value=st.integers(-(2**63), 2**63 - 1)),
    st.builds(AnyValue, bool_value=st.booleans()),
    st.builds(AnyValue, double_value=st.floats(allow_nan=False, allow_infinity=False)),
)
_spans = st.builds(
    Span,
    trace_id=st.binary(min_size=16, max_size=16),
    span_id=st.binary(min_size=8, max_size=8),
    parent_span_id=st.one_of(st.just(b""), st.binary(min_size=8, max_size=8)),
    name=st.text(min_size=1, max_size=30),
    kind=st.integers(0, 5),
    start_time_unix_nano=st.integers(0, 2**64 - 1),
    end_time_unix_nano=st.integers(0, 2**64 - 1),
    attributes=st.lists(st.builds(KeyValue, key=st.text(max_size=10), value=_values), max_size=4),
    status=st.builds(Status, code=st.integers(0, 2), message=st.text(max_size=10)),
)
_requests = st.builds(
    lambda groups: ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=g) for g in groups])]
    ),
    st.lists(st.lists(_spans, max_size=3), max_size=3),
)


def _to_otlp_json(request: ExportTraceServiceRequest) -> bytes:
    """protobuf JSON with the OTLP exception: ids as hex instead of base64."""
    data: dict[str, Any] = json_format.MessageToDict(request, use_integers_for_enums=True)
    for rs in data.get("resourceSpans", []):
        for ss in rs.get("scopeSpans", []):
            for span in ss.get("spans", []):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64decode(span[key]).hex()
    return json.dumps(data).encode()


@settings(max_examples=40, deadline=None, database=None)
@given(_requests)
def test_requests_round_trip_through_both_encodings(request: ExportTraceServiceRequest) -> None:
    limit = 1 << 20
    assert decode_traces(request.SerializeToString(), PROTOBUF, None, max_bytes=limit) == request
    assert decode_traces(_to_otlp_json(request), JSON, None, max_bytes=limit) == request
