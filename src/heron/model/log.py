"""A log record correlated with a trace and span (the logs pillar)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from heron.model.span import format_time

__all__ = ["LogRecord"]


@dataclass(slots=True)
class LogRecord:
    """One OTLP log record, as stored. ``log_id`` is a content hash: a replay is stored once."""

    project_id: str
    log_id: str
    time: datetime
    severity_number: int = 0
    severity_text: str | None = None
    body: str | None = None
    trace_id: str | None = None
    span_id: str | None = None
    event_name: str | None = None
    service_name: str | None = None
    scope_name: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    resource_attributes: dict[str, Any] = field(default_factory=dict)

    def to_api_dict(self) -> dict[str, Any]:
        """The record as the REST API returns it."""
        return {
            "log_id": self.log_id,
            "time": format_time(self.time),
            "severity_number": self.severity_number,
            "severity_text": self.severity_text,
            "body": self.body,
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "event_name": self.event_name,
            "service_name": self.service_name,
            "scope_name": self.scope_name,
            "attributes": dict(self.attributes),
            "resource_attributes": dict(self.resource_attributes),
        }
