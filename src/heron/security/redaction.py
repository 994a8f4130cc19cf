"""Redaction before storage: rewrite a decoded OTLP request in place, before the WAL.

Nothing removed here is ever written to disk, so a deleted prompt cannot be
recovered from a WAL segment, a store backup or a replica. Two modes, chosen
per project by its :class:`~heron.security.policy.RedactionPolicy`:

* ``capture_content`` off: attributes and event attributes that carry prompts
  or completions are dropped in every convention family (``gen_ai.input.messages``,
  ``gen_ai.prompt.N.*``, ``llm.input_messages.*``, ``input.value``,
  ``traceloop.entity.input``, ...), message events keep only their role and
  index, and log bodies are cleared. Spans, events and records themselves stay,
  so counts, tokens, cost and latency are unaffected.
* otherwise every remaining string value (span, event, link, resource and log
  attributes, nested arrays and key/value lists, JSON documents inside strings,
  status messages and log bodies) has PII and secrets replaced by
  ``[REDACTED:<kind>]``.

The attribute deny-list of the policy applies in both modes.
"""

from __future__ import annotations

import json
from collections.abc import MutableSequence
from dataclasses import dataclass, field
from typing import Any, Final

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from heron.security.pii import PiiScanner
from heron.security.policy import RedactionPolicy

__all__ = ["RedactionStats", "redact_logs_request", "redact_text", "redact_traces_request"]

_MESSAGE_EVENTS: Final = frozenset(
    {
        "gen_ai.system.message",
        "gen_ai.user.message",
        "gen_ai.assistant.message",
        "gen_ai.tool.message",
        "gen_ai.choice",
        "gen_ai.content.prompt",
        "gen_ai.content.completion",
        "gen_ai.client.inference.operation.details",
    }
)
# What a message event keeps with content off: enough to count messages by role.
_MESSAGE_EVENT_KEEP: Final = frozenset({"gen_ai.system", "gen_ai.provider.name", "index", "role"})
# JSON documents beyond this size are scanned as plain text (still redacted, just
# without parsing), so one huge attribute cannot cost a full parse and re-dump.
_MAX_JSON_PARSE: Final = 1 << 20


@dataclass
class RedactionStats:
    """What one call removed; the ingest path logs it and may export it as metrics."""

    redacted: dict[str, int] = field(default_factory=dict)
    """Replaced values per kind (``email``, ``card``, a custom pattern's name, ...)."""
    attributes_dropped: int = 0
    bodies_dropped: int = 0

    @property
    def total(self) -> int:
        """Every change made."""
        return sum(self.redacted.values()) + self.attributes_dropped + self.bodies_dropped

    def add(self, counts: dict[str, int]) -> None:
        """Merge per-kind counts."""
        for kind, n in counts.items():
            self.redacted[kind] = self.redacted.get(kind, 0) + n


def redact_text(text: str, scanner: PiiScanner) -> tuple[str, dict[str, int]]:
    """``text`` with PII replaced; JSON documents are redacted value by value.

    Parsing first matters for escaped content (``a\\u0040b.com`` inside a JSON
    string is an e-mail once decoded) and keeps the document valid JSON.
    """
    stripped = text.lstrip()
    if stripped[:1] in ("{", "[") and len(text) <= _MAX_JSON_PARSE:
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        else:
            counts: dict[str, int] = {}
            cleaned = _redact_json(document, scanner, counts)
            if not counts:
                return text, {}
            return json.dumps(cleaned, ensure_ascii=False), counts
    return scanner.redact(text)


def _redact_json(value: Any, scanner: PiiScanner, counts: dict[str, int]) -> Any:
    if isinstance(value, str):
        new, found = redact_text(value, scanner)
        for kind, n in found.items():
            counts[kind] = counts.get(kind, 0) + n
        return new
    if isinstance(value, list):
        return [_redact_json(item, scanner, counts) for item in value]
    if isinstance(value, dict):
        return {key: _redact_json(item, scanner, counts) for key, item in value.items()}
    return value


class _Walker:
    """Applies one policy to attribute lists and values, accumulating stats."""

    def __init__(self, policy: RedactionPolicy) -> None:
        self.policy = policy
        self.scanner = policy.scanner
        self.stats = RedactionStats()
        self.filter_keys = bool(policy.deny_attributes) or not policy.capture_content

    def attributes(
        self, attrs: MutableSequence[KeyValue], keep: frozenset[str] | None = None
    ) -> None:
        if self.filter_keys or keep is not None:
            for i in range(len(attrs) - 1, -1, -1):
                key = attrs[i].key
                if (keep is not None and key not in keep) or self.policy.drops_key(key):
                    del attrs[i]
                    self.stats.attributes_dropped += 1
        if self.scanner:
            for kv in attrs:
                self.value(kv.value)

    def value(self, value: AnyValue) -> None:
        kind = value.WhichOneof("value")
        if kind == "string_value":
            new, counts = redact_text(value.string_value, self.scanner)
            if counts:
                value.string_value = new
                self.stats.add(counts)
        elif kind == "array_value":
            for item in value.array_value.values:
                self.value(item)
        elif kind == "kvlist_value":
            for kv in value.kvlist_value.values:
                self.value(kv.value)

    def text(self, text: str) -> str:
        if not self.scanner or not text:
            return text
        new, counts = redact_text(text, self.scanner)
        self.stats.add(counts)
        return new


def redact_traces_request(
    request: ExportTraceServiceRequest, policy: RedactionPolicy
) -> RedactionStats:
    """Apply ``policy`` to every span of ``request``, in place; returns what changed."""
    walker = _Walker(policy)
    if policy.is_noop:
        return walker.stats
    content_off = not policy.capture_content
    for resource_spans in request.resource_spans:
        walker.attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            walker.attributes(scope_spans.scope.attributes)
            for span in scope_spans.spans:
                walker.attributes(span.attributes)
                for event in span.events:
                    keep = (
                        _MESSAGE_EVENT_KEEP
                        if content_off and event.name in _MESSAGE_EVENTS
                        else None
                    )
                    walker.attributes(event.attributes, keep)
                for link in span.links:
                    walker.attributes(link.attributes)
                if span.status.message:
                    span.status.message = walker.text(span.status.message)
    return walker.stats


def redact_logs_request(
    request: ExportLogsServiceRequest, policy: RedactionPolicy
) -> RedactionStats:
    """Apply ``policy`` to every log record of ``request``, in place; returns what changed."""
    walker = _Walker(policy)
    if policy.is_noop:
        return walker.stats
    for resource_logs in request.resource_logs:
        walker.attributes(resource_logs.resource.attributes)
        for scope_logs in resource_logs.scope_logs:
            walker.attributes(scope_logs.scope.attributes)
            for record in scope_logs.log_records:
                walker.attributes(record.attributes)
                if not policy.capture_content:
                    if record.HasField("body"):
                        record.ClearField("body")
                        walker.stats.bodies_dropped += 1
                elif record.HasField("body") and walker.scanner:
                    walker.value(record.body)
    return walker.stats
