"""OTLP span -> raw ``heron.model.Span``: ids, times, status, kind, scope, resource, events.

Only what OTLP itself defines is filled here (plus ``service_name`` and
``environment`` from resource conventions); the LLM fields are left to the
processors that follow.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span as OtlpSpan
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from heron.model import Span, SpanEvent, format_time, utc_from_unix_nano
from heron.normalize.coerce import as_str, first
from heron.normalize.otlp_values import attributes_dict, id_to_hex

__all__ = ["convert_request", "convert_span"]

_ENVIRONMENT_KEYS = ("deployment.environment.name", "deployment.environment")


def convert_request(project_id: str, request: ExportTraceServiceRequest) -> list[Span]:
    """Every span of the request as a raw ``Span``, in request order."""
    return list(_iter_spans(project_id, request))


def _iter_spans(project_id: str, request: ExportTraceServiceRequest) -> Iterator[Span]:
    for resource_spans in request.resource_spans:
        resource = attributes_dict(resource_spans.resource.attributes)
        # Read once per resource, not once per span.
        service_name = as_str(first(resource, "service.name"))
        environment = as_str(first(resource, *_ENVIRONMENT_KEYS))
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope
            for otlp_span in scope_spans.spans:
                yield convert_span(
                    project_id,
                    otlp_span,
                    resource=resource,
                    scope_name=scope.name or None,
                    scope_version=scope.version or None,
                    resource_service_name=service_name,
                    resource_environment=environment,
                )


def convert_span(
    project_id: str,
    otlp_span: OtlpSpan,
    *,
    resource: Mapping[str, Any],
    scope_name: str | None,
    scope_version: str | None,
    resource_service_name: str | None,
    resource_environment: str | None,
) -> Span:
    """One OTLP span as a raw ``Span`` (no LLM fields yet).

    ``resource_service_name``/``resource_environment`` are the resource's own values,
    read once per resource by the caller; a span attribute fills in when they are None.
    """
    attributes = attributes_dict(otlp_span.attributes)
    start = utc_from_unix_nano(otlp_span.start_time_unix_nano)
    # A clock-skewed end before the start would give a negative duration that
    # poisons latency percentiles; such a span is recorded as instantaneous.
    end = utc_from_unix_nano(max(otlp_span.end_time_unix_nano, otlp_span.start_time_unix_nano))
    is_error = otlp_span.status.code == Status.STATUS_CODE_ERROR
    events: list[SpanEvent] = [
        SpanEvent(
            name=event.name,
            time=format_time(utc_from_unix_nano(event.time_unix_nano)),
            attributes=attributes_dict(event.attributes),
        )
        for event in otlp_span.events
    ]
    return Span(
        project_id=project_id,
        trace_id=id_to_hex(otlp_span.trace_id) or "",
        span_id=id_to_hex(otlp_span.span_id) or "",
        parent_span_id=id_to_hex(otlp_span.parent_span_id),
        name=otlp_span.name,
        start_time=start,
        end_time=end,
        status="error" if is_error else "ok",
        status_message=otlp_span.status.message or None,
        service_name=resource_service_name or as_str(attributes.get("service.name")),
        environment=resource_environment or as_str(first(attributes, *_ENVIRONMENT_KEYS)),
        scope_name=scope_name,
        scope_version=scope_version,
        otel_kind=int(otlp_span.kind),
        attributes=attributes,
        resource_attributes=dict(resource),
        events=events,
        # Set by heron.security.limits when ingest cut a value or dropped attributes.
        truncated=attributes.get("heron.truncated") is True,
    )
