"""OTLP span -> raw Span: ids, times, status, kind, scope, resource, events."""

from __future__ import annotations

from heron.model import format_time
from heron.normalize.convert import convert_request

from .conftest import load_pb, make_request, make_span


def test_raw_fields_of_a_captured_span() -> None:
    spans = convert_request("proj", load_pb("openllmetry", "openai_error"))
    root, llm = spans
    assert root.parent_span_id is None
    assert llm.parent_span_id == root.span_id
    assert len(llm.trace_id) == 32
    assert len(llm.span_id) == 16
    assert llm.project_id == "proj"
    assert llm.status == "error"
    assert llm.status_message
    assert "429" in llm.status_message
    assert llm.otel_kind == 3
    assert root.otel_kind == 1
    assert llm.scope_name == "opentelemetry.instrumentation.openai.v1"
    assert llm.scope_version == "0.62.4"
    assert llm.service_name == "heron-fixture-openllmetry"
    assert llm.environment == "fixture"
    assert llm.attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert llm.resource_attributes["service.name"] == "heron-fixture-openllmetry"
    assert [e["name"] for e in llm.events] == ["exception"]
    assert llm.events[0]["time"].endswith("Z")
    assert 0 < llm.duration_ms < root.duration_ms


def test_end_before_start_is_clamped_to_an_instant() -> None:
    (span,) = convert_request(
        "p", make_request(("x", [make_span("ab" * 8, start_ms=50, end_ms=10)]))
    )
    assert span.duration_ms == 0.0
    assert format_time(span.start_time) == format_time(span.end_time)
