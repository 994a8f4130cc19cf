"""A span written and read back is equal to the original, field by field."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heron.model import Span
from heron.store.telemetry import ClickHouseTelemetryStore

MakeSpan = Callable[..., Span]


def full_span(trace_id: str, new_id: Callable[[str], str], **overrides: Any) -> Span:
    """A span where every field differs from its default."""
    values: dict[str, Any] = {
        "project_id": "proj-a",
        "trace_id": trace_id,
        "span_id": new_id("s"),
        "parent_span_id": new_id("p"),
        "name": "chat gpt-4o ✓",
        "start_time": datetime(2025, 3, 10, 12, 0, 0, 123456, tzinfo=UTC),
        "end_time": datetime(2025, 3, 10, 12, 0, 2, 654321, tzinfo=UTC),
        "kind": "llm",
        "status": "error",
        "status_message": "rate limited",
        "error_type": "RateLimitError",
        "service_name": "checkout",
        "provider": "openai",
        "operation": "chat",
        "request_model": "gpt-4o",
        "response_model": "gpt-4o-2024-08-06",
        "model": "gpt-4o-2024-08-06",
        "streaming": True,
        "input_tokens": 1200,
        "cached_input_tokens": 1000,
        "cache_write_input_tokens": 100,
        "output_tokens": 345,
        "reasoning_tokens": 45,
        "total_tokens": 1545,
        "cost_usd": Decimal("0.001234567890123456"),
        "cost_note": "priced by genai-prices",
        "ttft_ms": 123.456,
        "finish_reasons": ["stop", "tool_call"],
        "finish_reasons_raw": ["end_turn", "tool_use"],
        "input_messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": 'Café? "quotes" and\nnewlines 🦩'},
            {"role": "tool", "content": None, "tool_call_id": "call_1"},
        ],
        "output_messages": [
            {
                "role": "assistant",
                "content": "ok",
                "tool_calls": [{"id": "call_2", "name": "search", "arguments": '{"q": 1}'}],
            }
        ],
        "system_prompt": "Be brief.",
        "tool_calls": [{"id": None, "name": "search", "arguments": "{}"}],
        "user_id": "user-7",
        "session_id": "sess-9",
        "tags": ["prod", "beta", ""],
        "prompt_template": "Hello {name}",
        "prompt_template_version": "v3",
        "prompt_template_variables": {"name": "Ada", "n": 3, "nested": {"a": [1, None, 2.5]}},
        "prompt_template_hash": "abc123",
        "context_window_tokens": 128000,
        "context_window_utilization": 0.009375,
        "duplicate_of": new_id("d"),
        "input_value": '{"messages": []}',
        "output_value": "",
        "environment": "production",
        "workflow_name": "checkout-flow",
        "metadata": {"team": "growth", "flags": [True, False], "deep": {"x": {"y": None}}},
        "convention": "openinference",
        "scope_name": "openinference.instrumentation.openai",
        "scope_version": "0.1.2",
        "otel_kind": 3,
        "attributes": {"llm.model_name": "gpt-4o", "big": 2**62, "f": 1.5, "b": True, "l": ["a"]},
        "resource_attributes": {"service.name": "checkout", "host.arch": "amd64"},
        "events": [
            {
                "name": "exception",
                "time": "2025-03-10T12:00:01.000001Z",
                "attributes": {"exception.type": "RateLimitError"},
            }
        ],
        "truncated": True,
    }
    values.update(overrides)
    return Span(**values)


def test_the_full_span_sets_every_field_away_from_its_default(
    new_id: Callable[[str], str],
) -> None:
    span = full_span("t", new_id)
    for field in dataclasses.fields(Span):
        if field.default is not dataclasses.MISSING:
            assert getattr(span, field.name) != field.default, field.name
        elif field.default_factory is not dataclasses.MISSING:
            assert getattr(span, field.name) != field.default_factory(), field.name


def test_every_field_round_trips(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, new_id: Callable[[str], str]
) -> None:
    root = make_span("trace-rt", span_id="root-rt", name="root")
    span = full_span("trace-rt", new_id, parent_span_id="root-rt")
    store.insert_spans([root, span])

    got = store.get_span("proj-a", span.span_id)
    assert got == span
    assert got is not None
    assert got.cost_usd == Decimal("0.001234567890123456")
    assert got.start_time.tzinfo is not None
    assert got.start_time.utcoffset() == timedelta(0)
    assert [s.span_id for s in store.get_trace("proj-a", "trace-rt")] == ["root-rt", span.span_id]
    assert store.get_trace("proj-a", "trace-rt")[1] == span


def test_empty_and_none_values_stay_distinct(
    store: ClickHouseTelemetryStore, make_span: MakeSpan
) -> None:
    span = make_span(
        "trace-none",
        user_id="",
        session_id=None,
        status_message="",
        cost_usd=None,
        ttft_ms=None,
        context_window_tokens=None,
    )
    store.insert_spans([span])
    assert store.get_span("proj-a", span.span_id) == span


def test_unknown_span_and_trace_are_empty(store: ClickHouseTelemetryStore) -> None:
    assert store.get_span("proj-a", "nope") is None
    assert store.get_trace("proj-a", "nope") == []


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    attributes=st.dictionaries(st.text(max_size=12), json_values, max_size=5),
    micros=st.integers(0, 10**12),
    cost=st.none() | st.decimals(min_value=0, max_value=10**6, places=18),
    text=st.text(),
)
def test_round_trip_property(
    open_store: Callable[[], ClickHouseTelemetryStore],
    make_span: MakeSpan,
    new_id: Callable[[str], str],
    t0: datetime,
    attributes: dict[str, Any],
    micros: int,
    cost: Decimal | None,
    text: str,
) -> None:
    store = _cached_store(open_store)
    start = t0 + timedelta(microseconds=micros)
    span = make_span(
        new_id("t"),
        start=start,
        attributes=attributes,
        cost_usd=cost,
        input_value=text,
        input_messages=[{"role": "user", "content": text}],
        tags=[text],
    )
    store.insert_spans([span])
    assert store.get_span("proj-a", span.span_id) == span


_stores: dict[int, ClickHouseTelemetryStore] = {}


def _cached_store(open_store: Callable[[], ClickHouseTelemetryStore]) -> ClickHouseTelemetryStore:
    # Hypothesis runs many examples in one test call: one database for all of them.
    key = id(open_store)
    if key not in _stores:
        _stores.clear()
        _stores[key] = open_store()
    return _stores[key]


def test_span_details_hold_every_span_field(
    store: ClickHouseTelemetryStore, new_id: Callable[[str], str]
) -> None:
    # The view of migration 0004 lists the fields by name: a Span field added later
    # must be added there too, or trace lookups would return its default.
    store.insert_spans([full_span("trace-keys", new_id)])
    _, rows = store.query_rows(
        f"SELECT detail FROM {store.span_details_table} WHERE trace_id = 'trace-keys'", {}, "t"
    )
    renamed = {
        "start_time_us": "start_time",
        "end_time_us": "end_time",
        "cost_usd_text": "cost_usd",
    }
    stored = {renamed.get(key, key) for key in json.loads(rows[0][0])}
    assert stored == set(Span.__dataclass_fields__) - {"project_id", "trace_id", "span_id"}
