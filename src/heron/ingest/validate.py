"""Per-record validation of decoded OTLP requests: keep the good records, count the bad.

OTLP's partial success lets a receiver accept the valid part of a request and tell the
client how many records it rejected and why. A request is never refused as a whole for
one bad span: the client would retry it forever.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.trace.v1.trace_pb2 import Span as OtlpSpan

__all__ = ["MAX_REASONS", "ValidationResult", "validate_logs", "validate_traces"]

MAX_REASONS = 3
"""How many individual problems the partial-success message quotes."""

RequestT = TypeVar("RequestT", ExportTraceServiceRequest, ExportLogsServiceRequest)

_TRACE_ID_BYTES = 16
_SPAN_ID_BYTES = 8


@dataclass(slots=True)
class ValidationResult(Generic[RequestT]):
    """The valid part of a request and an account of what was dropped."""

    request: RequestT
    """A new request holding only the valid records (empty containers removed)."""
    accepted: int
    rejected: int
    reasons: Counter[str] = field(default_factory=Counter)
    """Rejected records per reason code (``invalid_trace_id``, ``missing_name``...)."""
    problems: list[str] = field(default_factory=list)
    """The first MAX_REASONS problems, each naming the record by its JSON path."""

    @property
    def error_message(self) -> str:
        """The partial-success message: empty when nothing was rejected."""
        if not self.rejected:
            return ""
        more = self.rejected - len(self.problems)
        tail = f"; and {more} more rejected" if more > 0 else ""
        return f"rejected {self.rejected} of {self.accepted + self.rejected}: " + (
            "; ".join(self.problems) + tail
        )


def _check_id(value: bytes, expected: int, what: str, where: str) -> str | None:
    if len(value) != expected:
        return f"{where}.{what} has {len(value)} bytes, expected {expected}"
    if not any(value):
        return f"{where}.{what} is all zeros, which OTLP defines as invalid"
    return None


def _span_problem(span: OtlpSpan, where: str) -> tuple[str, str] | None:
    problem = _check_id(span.trace_id, _TRACE_ID_BYTES, "traceId", where)
    if problem:
        return "invalid_trace_id", problem
    problem = _check_id(span.span_id, _SPAN_ID_BYTES, "spanId", where)
    if problem:
        return "invalid_span_id", problem
    if span.parent_span_id and len(span.parent_span_id) != _SPAN_ID_BYTES:
        return (
            "invalid_parent_span_id",
            f"{where}.parentSpanId has {len(span.parent_span_id)} bytes, expected 0 or 8",
        )
    if not span.name:
        return "missing_name", f"{where}.name is empty; every span needs a name"
    if not span.start_time_unix_nano:
        return "missing_start_time", f"{where}.startTimeUnixNano is missing"
    if span.end_time_unix_nano < span.start_time_unix_nano:
        return (
            "end_before_start",
            f"{where}.endTimeUnixNano ({span.end_time_unix_nano}) is before "
            f"startTimeUnixNano ({span.start_time_unix_nano})",
        )
    return None


def _log_problem(record: LogRecord, where: str) -> tuple[str, str] | None:
    # Logs need not belong to a trace: ids are checked only when present.
    if record.trace_id:
        problem = _check_id(record.trace_id, _TRACE_ID_BYTES, "traceId", where)
        if problem:
            return "invalid_trace_id", problem
    if record.span_id:
        problem = _check_id(record.span_id, _SPAN_ID_BYTES, "spanId", where)
        if problem:
            return "invalid_span_id", problem
    return None


def validate_traces(
    request: ExportTraceServiceRequest,
) -> ValidationResult[ExportTraceServiceRequest]:
    """Split a traces request into its valid spans and the reasons for the rejected ones."""
    result = ValidationResult(request=ExportTraceServiceRequest(), accepted=0, rejected=0)
    for i, resource_spans in enumerate(request.resource_spans):
        kept_scopes = []
        for j, scope_spans in enumerate(resource_spans.scope_spans):
            good = []
            for k, span in enumerate(scope_spans.spans):
                where = f"resourceSpans[{i}].scopeSpans[{j}].spans[{k}]"
                verdict = _span_problem(span, where)
                if verdict is None:
                    good.append(span)
                else:
                    _reject(result, *verdict)
            if good:
                kept_scopes.append((scope_spans, good))
        if kept_scopes:
            out = result.request.resource_spans.add(
                resource=resource_spans.resource, schema_url=resource_spans.schema_url
            )
            for scope_spans, good in kept_scopes:
                out.scope_spans.add(
                    scope=scope_spans.scope, schema_url=scope_spans.schema_url, spans=good
                )
            result.accepted += sum(len(good) for _s, good in kept_scopes)
    return result


def validate_logs(request: ExportLogsServiceRequest) -> ValidationResult[ExportLogsServiceRequest]:
    """Split a logs request into its valid log records and the reasons for the rejected ones."""
    result = ValidationResult(request=ExportLogsServiceRequest(), accepted=0, rejected=0)
    for i, resource_logs in enumerate(request.resource_logs):
        kept_scopes = []
        for j, scope_logs in enumerate(resource_logs.scope_logs):
            good = []
            for k, record in enumerate(scope_logs.log_records):
                where = f"resourceLogs[{i}].scopeLogs[{j}].logRecords[{k}]"
                verdict = _log_problem(record, where)
                if verdict is None:
                    good.append(record)
                else:
                    _reject(result, *verdict)
            if good:
                kept_scopes.append((scope_logs, good))
        if kept_scopes:
            out = result.request.resource_logs.add(
                resource=resource_logs.resource, schema_url=resource_logs.schema_url
            )
            for scope_logs, good in kept_scopes:
                out.scope_logs.add(
                    scope=scope_logs.scope, schema_url=scope_logs.schema_url, log_records=good
                )
            result.accepted += sum(len(good) for _s, good in kept_scopes)
    return result


def _reject(result: ValidationResult[RequestT], reason: str, problem: str) -> None:
    result.rejected += 1
    result.reasons[reason] += 1
    if len(result.problems) < MAX_REASONS:
        result.problems.append(problem)
