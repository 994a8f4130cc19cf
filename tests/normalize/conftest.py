"""Normalize test helpers: the captured fixtures and a builder of synthetic OTLP requests."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from heron.testing import shared_dir

FIXTURES = shared_dir() / "fixtures"
TRACE_ID = bytes.fromhex("0af7651916cd43dd8448eb211c80319c")
BASE_NS = 1_795_847_000_000_000_000


def fixture_cases() -> list[tuple[str, str]]:
    """(folder, case) for every case of every folder's manifest."""
    cases = []
    for manifest in sorted(FIXTURES.glob("*/manifest.json")):
        data = json.loads(manifest.read_text())
        cases.extend((manifest.parent.name, case) for case in sorted(data["cases"]))
    return cases


def manifest(folder: str) -> dict[str, Any]:
    """The parsed manifest of one fixture folder."""
    return dict(json.loads((FIXTURES / folder / "manifest.json").read_text()))


def load_pb(folder: str, case: str) -> ExportTraceServiceRequest:
    """A captured request from its protobuf file."""
    return ExportTraceServiceRequest.FromString((FIXTURES / folder / f"{case}.pb").read_bytes())


def any_value(value: Any) -> AnyValue:
    """A Python value as an OTLP AnyValue (None -> unset)."""
    if value is None:
        return AnyValue()
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, str):
        return AnyValue(string_value=value)
    if isinstance(value, Mapping):
        out = AnyValue()
        out.kvlist_value.values.extend(kvs(value))
        return out
    out = AnyValue()
    out.array_value.values.extend(any_value(item) for item in value)
    return out


def kvs(attrs: Mapping[str, Any]) -> list[KeyValue]:
    """A dict as OTLP attributes."""
    return [KeyValue(key=key, value=any_value(value)) for key, value in attrs.items()]


def make_span(
    span_id: str,
    *,
    parent: str | None = None,
    name: str = "span",
    start_ms: float = 0.0,
    end_ms: float = 100.0,
    attrs: Mapping[str, Any] | None = None,
    events: Sequence[tuple[str, float, Mapping[str, Any]]] = (),
    error: str | None = None,
    trace_id: bytes = TRACE_ID,
) -> Span:
    """An OTLP span; ids are hex strings, times in ms after a fixed base."""
    span = Span(
        trace_id=trace_id,
        span_id=bytes.fromhex(span_id),
        parent_span_id=bytes.fromhex(parent) if parent else b"",
        name=name,
        kind=Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=BASE_NS + int(start_ms * 1_000_000),
        end_time_unix_nano=BASE_NS + int(end_ms * 1_000_000),
        attributes=kvs(attrs or {}),
    )
    for event_name, at_ms, event_attrs in events:
        span.events.add(
            name=event_name,
            time_unix_nano=BASE_NS + int(at_ms * 1_000_000),
            attributes=kvs(event_attrs),
        )
    if error is not None:
        span.status.CopyFrom(Status(code=Status.STATUS_CODE_ERROR, message=error))
    return span


def make_request(
    *scopes: tuple[str, Sequence[Span]],
    resource: Mapping[str, Any] | None = None,
) -> ExportTraceServiceRequest:
    """A request with one resource and the given (scope name, spans) groups."""
    resource_attrs = {"service.name": "synthetic-app", **(resource or {})}
    return ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=Resource(attributes=kvs(resource_attrs)),
                scope_spans=[
                    ScopeSpans(scope=InstrumentationScope(name=name), spans=list(spans))
                    for name, spans in scopes
                ],
            )
        ]
    )


@pytest.fixture
def fixtures_dir() -> Path:
    """The shared captured-span fixtures."""
    return FIXTURES
