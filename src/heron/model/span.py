"""The normalized span: one row per OTLP span, with the LLM fields of span-model.md.

Field names are exactly those of ``shared/design/span-model.md`` because the
REST API returns them verbatim. The raw OTLP attributes, resource and events
are kept beside the normalized fields so nothing the client sent is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal, NotRequired, TypedDict

__all__ = [
    "FINISH_REASONS",
    "SPAN_KINDS",
    "Message",
    "Span",
    "SpanEvent",
    "SpanKind",
    "ToolCall",
    "format_time",
    "utc_from_unix_nano",
]

SpanKind = Literal[
    "llm",
    "embedding",
    "chain",
    "tool",
    "retriever",
    "agent",
    "reranker",
    "guardrail",
    "evaluator",
    "span",
]
SPAN_KINDS: tuple[str, ...] = (
    "llm",
    "embedding",
    "chain",
    "tool",
    "retriever",
    "agent",
    "reranker",
    "guardrail",
    "evaluator",
    "span",
)
FINISH_REASONS: tuple[str, ...] = ("stop", "length", "tool_call", "content_filter", "error")


class ToolCall(TypedDict):
    """A tool call requested by the model."""

    id: str | None
    name: str
    arguments: str


class Message(TypedDict):
    """One chat message, whichever convention carried it."""

    role: str
    content: str | None
    tool_calls: NotRequired[list[ToolCall]]
    tool_call_id: NotRequired[str]


class SpanEvent(TypedDict):
    """A raw OTLP span event."""

    name: str
    time: str
    attributes: dict[str, Any]


def format_time(value: datetime) -> str:
    """RFC 3339 with microseconds, UTC, ``Z`` suffix (the API's time format)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(slots=True)
class Span:
    """A normalized span. Processors fill the LLM fields; the raw ones are as sent."""

    project_id: str
    trace_id: str
    span_id: str
    name: str
    start_time: datetime
    end_time: datetime
    parent_span_id: str | None = None
    kind: str = "span"
    status: Literal["ok", "error"] = "ok"
    status_message: str | None = None
    error_type: str | None = None
    service_name: str | None = None
    provider: str | None = None
    operation: str | None = None
    request_model: str | None = None
    response_model: str | None = None
    model: str | None = None
    streaming: bool = False
    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    total_tokens: int = 0
    cost_usd: Decimal | None = None
    cost_note: str | None = None
    ttft_ms: float | None = None
    finish_reasons: list[str] = field(default_factory=list)
    finish_reasons_raw: list[str] = field(default_factory=list)
    input_messages: list[Message] = field(default_factory=list)
    output_messages: list[Message] = field(default_factory=list)
    system_prompt: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    user_id: str | None = None
    session_id: str | None = None
    tags: list[str] = field(default_factory=list)
    prompt_template: str | None = None
    prompt_template_version: str | None = None
    prompt_template_variables: dict[str, Any] = field(default_factory=dict)
    prompt_template_hash: str | None = None
    context_window_tokens: int | None = None
    context_window_utilization: float | None = None
    duplicate_of: str | None = None
    # Beyond span-model.md: what the UI, analytics and security issues need.
    input_value: str | None = None
    output_value: str | None = None
    environment: str | None = None
    workflow_name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    convention: str | None = None
    scope_name: str | None = None
    scope_version: str | None = None
    otel_kind: int = 0
    attributes: dict[str, Any] = field(default_factory=dict)
    resource_attributes: dict[str, Any] = field(default_factory=dict)
    events: list[SpanEvent] = field(default_factory=list)
    truncated: bool = False

    @property
    def duration_ms(self) -> float:
        """Wall time of the span in milliseconds."""
        return (self.end_time - self.start_time).total_seconds() * 1000.0

    @property
    def is_llm(self) -> bool:
        """True for spans that represent a model call (chat, completion, embedding)."""
        return self.kind in ("llm", "embedding")

    def to_api_dict(self) -> dict[str, Any]:
        """The span as the REST API returns it (names of span-model.md, JSON types)."""
        return {
            "project_id": self.project_id,
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_span_id": self.parent_span_id,
            "name": self.name,
            "kind": self.kind,
            "start_time": format_time(self.start_time),
            "end_time": format_time(self.end_time),
            "duration_ms": round(self.duration_ms, 3),
            "status": self.status,
            "status_message": self.status_message,
            "error_type": self.error_type,
            "service_name": self.service_name,
            "provider": self.provider,
            "operation": self.operation,
            "request_model": self.request_model,
            "response_model": self.response_model,
            "model": self.model,
            "streaming": self.streaming,
            "input_tokens": self.input_tokens,
            "cached_input_tokens": self.cached_input_tokens,
            "cache_write_input_tokens": self.cache_write_input_tokens,
            "output_tokens": self.output_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "total_tokens": self.total_tokens,
            "cost_usd": float(self.cost_usd) if self.cost_usd is not None else None,
            "cost_note": self.cost_note,
            "ttft_ms": self.ttft_ms,
            "finish_reasons": list(self.finish_reasons),
            "finish_reasons_raw": list(self.finish_reasons_raw),
            "input_messages": list(self.input_messages),
            "output_messages": list(self.output_messages),
            "system_prompt": self.system_prompt,
            "tool_calls": list(self.tool_calls),
            "user_id": self.user_id,
            "session_id": self.session_id,
            "tags": list(self.tags),
            "prompt_template": self.prompt_template,
            "prompt_template_version": self.prompt_template_version,
            "prompt_template_variables": dict(self.prompt_template_variables),
            "prompt_template_hash": self.prompt_template_hash,
            "context_window_tokens": self.context_window_tokens,
            "context_window_utilization": self.context_window_utilization,
            "duplicate_of": self.duplicate_of,
            "input_value": self.input_value,
            "output_value": self.output_value,
            "environment": self.environment,
            "workflow_name": self.workflow_name,
            "metadata": dict(self.metadata),
            "convention": self.convention,
            "scope_name": self.scope_name,
            "scope_version": self.scope_version,
            "otel_kind": self.otel_kind,
            "attributes": dict(self.attributes),
            "resource_attributes": dict(self.resource_attributes),
            "events": list(self.events),
            "truncated": self.truncated,
        }


def utc_from_unix_nano(nanos: int) -> datetime:
    """A UTC datetime (µs precision) from OTLP's unix nanoseconds."""
    return datetime.fromtimestamp(nanos // 1000 / 1_000_000, tz=UTC)
