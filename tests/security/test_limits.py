"""Token-bucket rate limits and attribute caps."""

from __future__ import annotations

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from heron.auth import Principal
from heron.config import Settings
from heron.errors import BackpressureError, RateLimitedError
from heron.normalize.convert import convert_request
from heron.security import (
    TRUNCATED_ATTRIBUTE,
    PayloadCaps,
    RateLimiter,
    RateLimits,
    cap_traces_request,
)


class Clock:
    """A settable monotonic clock, so bucket refills are exact."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_requests_are_limited_per_key_with_retry_after() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimits(requests_per_s=1, request_burst=2, spans_per_s=0), clock=clock)
    alice = Principal("p", "ingest", "key-a")
    limiter.check(alice)
    limiter.check(alice)
    with pytest.raises(RateLimitedError) as refused:
        limiter.check(alice)
    assert isinstance(refused.value, BackpressureError)
    assert refused.value.retry_after_s == 1
    limiter.check(Principal("p", "ingest", "key-b"))  # another key has its own bucket
    clock.now += 1.0
    limiter.check(alice)


def test_spans_budget_and_oversized_batches() -> None:
    clock = Clock()
    limiter = RateLimiter(
        RateLimits(requests_per_s=0, spans_per_s=100, span_burst=1000), clock=clock
    )
    me = Principal("p", "ingest", None)  # auth off: the project's budget
    limiter.check(me, spans=900)
    with pytest.raises(RateLimitedError, match="spans") as refused:
        limiter.check(me, spans=200)
    assert refused.value.retry_after_s == 1  # 100 missing at 100/s
    limiter.check(me, spans=100)  # the refused call spent nothing
    clock.now += 10.0
    # A batch larger than the burst passes on a full bucket and leaves it in debt.
    limiter.check(me, spans=5000)
    with pytest.raises(RateLimitedError) as refused:
        limiter.check(me, spans=1)
    assert refused.value.retry_after_s == 41  # 4001 tokens short at 100/s, rounded up


def test_limits_come_from_settings() -> None:
    limits = RateLimits.from_settings(
        Settings(rate_limit_requests_per_s=3, rate_limit_request_burst=4)
    )
    assert (limits.requests_per_s, limits.request_burst) == (3, 4)


def _span_request(attrs: list[KeyValue]) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = b"\x01" * 16, b"\x02" * 8, "s"
    span.start_time_unix_nano = span.end_time_unix_nano = 1_700_000_000_000_000_000
    span.attributes.extend(attrs)
    return request


def test_long_values_are_cut_on_utf8_boundaries_and_flagged() -> None:
    nested = AnyValue()
    nested.array_value.values.add().string_value = "é" * 100
    request = _span_request(
        [
            KeyValue(key="input.value", value=AnyValue(string_value="é" * 100)),
            KeyValue(key="list", value=nested),
            KeyValue(key="short", value=AnyValue(string_value="ok")),
        ]
    )
    assert cap_traces_request(request, PayloadCaps(max_value_bytes=51, max_attributes=10)) == 1
    span = request.resource_spans[0].scope_spans[0].spans[0]
    values = {kv.key: kv.value for kv in span.attributes}
    assert values["input.value"].string_value == "é" * 25  # 50 bytes, no half character
    assert values["list"].array_value.values[0].string_value == "é" * 25
    assert values["short"].string_value == "ok"
    assert values[TRUNCATED_ATTRIBUTE].bool_value is True
    [normalized] = convert_request("p", request)
    assert normalized.truncated is True


def test_attribute_count_is_capped_and_recorded() -> None:
    request = _span_request([KeyValue(key=f"k{i}", value=AnyValue(int_value=i)) for i in range(20)])
    assert cap_traces_request(request, PayloadCaps(max_value_bytes=100, max_attributes=5)) == 1
    span = request.resource_spans[0].scope_spans[0].spans[0]
    assert [kv.key for kv in span.attributes] == ["k0", "k1", "k2", "k3", "k4", TRUNCATED_ATTRIBUTE]
    assert span.dropped_attributes_count == 15


def test_spans_within_caps_are_untouched() -> None:
    request = _span_request([KeyValue(key="a", value=AnyValue(string_value="x" * 10))])
    before = request.SerializeToString()
    assert cap_traces_request(request, PayloadCaps(max_value_bytes=10, max_attributes=1)) == 0
    assert request.SerializeToString() == before
    [normalized] = convert_request("p", request)
    assert normalized.truncated is False
