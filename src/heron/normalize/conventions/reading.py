"""What one convention family says about a span, in heron's own semantics.

Each family mapper returns a ``Reading`` whose fields are None where the family
said nothing. Readings are merged first-non-None, primary family first, so a
family's own keys always win over another family's fallback reading of the
same span (no shadowing), and ``apply`` writes the merge onto the span.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from operator import attrgetter
from typing import Any

from heron.model import Message, Span

__all__ = ["Reading", "mentions", "merge"]


@dataclass(slots=True)
class Reading:
    """Normalized values one family read from a span; None means "not said"."""

    kind: str | None = None
    provider: str | None = None
    operation: str | None = None
    request_model: str | None = None
    response_model: str | None = None
    streaming: bool | None = None
    # Token counts with heron's meaning: input INCLUDES cache reads and writes.
    input_tokens: int | None = None
    cached_input_tokens: int | None = None
    cache_write_input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int | None = None
    total_tokens: int | None = None
    ttft_ms: float | None = None
    finish_reasons_raw: list[str] | None = None
    input_messages: list[Message] | None = None
    output_messages: list[Message] | None = None
    system_prompt: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    tags: list[str] | None = None
    metadata: dict[str, Any] | None = None
    prompt_template: str | None = None
    prompt_template_version: str | None = None
    prompt_template_variables: dict[str, Any] | None = None
    workflow_name: str | None = None
    input_value: str | None = None
    output_value: str | None = None
    cost_usd: Decimal | None = None
    cost_note: str | None = None
    error_type: str | None = None


_FIELDS = tuple(f.name for f in fields(Reading))
_ALL_FIELDS = attrgetter(*_FIELDS)


def mentions(
    span: Span, key_prefixes: tuple[str, ...], event_prefixes: tuple[str, ...] = ()
) -> bool:
    """Whether any attribute key (or event name) of ``span`` starts with one of the prefixes.

    A fallback reader whose keys are all absent returns an empty ``Reading``; this
    check (one C-level ``startswith`` per key) lets the mapper skip it.
    """
    for key in span.attributes:
        if key.startswith(key_prefixes):
            return True
    if event_prefixes:
        for event in span.events:
            if event["name"].startswith(event_prefixes):
                return True
    return False


def merge(*readings: Reading) -> Reading:
    """The first non-None value of every field, in the order given."""
    if not readings:
        return Reading()
    # One C-level attrgetter call per reading instead of a getattr per field: this
    # runs for every span with two to four readings.
    values = list(_ALL_FIELDS(readings[0]))
    for reading in readings[1:]:
        if None not in values:
            break
        for index, value in enumerate(_ALL_FIELDS(reading)):
            if value is not None and values[index] is None:
                values[index] = value
    return Reading(*values)


def apply(reading: Reading, span: Span) -> Span:
    """Write a merged reading onto the span's normalized fields."""
    span.kind = reading.kind or "span"
    span.provider = reading.provider
    span.operation = reading.operation
    span.request_model = reading.request_model
    span.response_model = reading.response_model
    span.model = reading.response_model or reading.request_model
    span.streaming = bool(reading.streaming)
    span.input_tokens = reading.input_tokens or 0
    span.cached_input_tokens = reading.cached_input_tokens or 0
    span.cache_write_input_tokens = reading.cache_write_input_tokens or 0
    span.output_tokens = reading.output_tokens or 0
    span.reasoning_tokens = reading.reasoning_tokens or 0
    span.total_tokens = reading.total_tokens or 0
    span.ttft_ms = reading.ttft_ms
    span.finish_reasons_raw = list(reading.finish_reasons_raw or [])
    span.input_messages = list(reading.input_messages or [])
    span.output_messages = list(reading.output_messages or [])
    span.system_prompt = reading.system_prompt
    span.user_id = reading.user_id
    span.session_id = reading.session_id
    span.tags = list(reading.tags or [])
    span.metadata = dict(reading.metadata or {})
    span.prompt_template = reading.prompt_template
    span.prompt_template_version = reading.prompt_template_version
    span.prompt_template_variables = dict(reading.prompt_template_variables or {})
    span.workflow_name = reading.workflow_name
    span.input_value = reading.input_value
    span.output_value = reading.output_value
    span.cost_usd = reading.cost_usd
    span.cost_note = reading.cost_note
    if span.status == "error":
        span.error_type = _exception_type(span) or reading.error_type
        span.status_message = span.status_message or _exception_message(span)
    return span


def _exception_type(span: Span) -> str | None:
    for event in span.events:
        if event["name"] == "exception":
            value = event["attributes"].get("exception.type")
            if isinstance(value, str) and value:
                return value
    return None


def _exception_message(span: Span) -> str | None:
    for event in span.events:
        if event["name"] == "exception":
            value = event["attributes"].get("exception.message")
            if isinstance(value, str) and value:
                return value
    return None
