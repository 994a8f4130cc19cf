"""OTLP log records -> ``heron.model.LogRecord`` (the logs pillar's normalizer).

Bodies that are not strings (maps, arrays: structured events such as the GenAI
``gen_ai.*.message`` events or heron-sdk's ``llm_call``) are stored as JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from heron.model import LogRecord, utc_from_unix_nano
from heron.normalize.otlp_values import any_value, attributes_dict, id_to_hex

__all__ = ["normalize_logs"]


def _body_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def normalize_logs(project_id: str, request: ExportLogsServiceRequest) -> list[LogRecord]:
    """Every log record of the request, in order; deterministic for WAL replays."""
    return list(_iter_records(project_id, request))


def _iter_records(project_id: str, request: ExportLogsServiceRequest) -> Iterator[LogRecord]:
    for resource_logs in request.resource_logs:
        resource = attributes_dict(resource_logs.resource.attributes)
        service = resource.get("service.name")
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                nanos = record.time_unix_nano or record.observed_time_unix_nano
                time = utc_from_unix_nano(nanos) if nanos else datetime.fromtimestamp(0, UTC)
                attributes = attributes_dict(record.attributes)
                body = _body_text(any_value(record.body)) if record.HasField("body") else None
                event_name = getattr(record, "event_name", "") or attributes.get("event.name")
                digest = hashlib.sha256(record.SerializeToString(deterministic=True))
                digest.update(project_id.encode())
                yield LogRecord(
                    project_id=project_id,
                    log_id=digest.hexdigest()[:32],
                    time=time,
                    severity_number=int(record.severity_number),
                    severity_text=record.severity_text or None,
                    body=body,
                    trace_id=id_to_hex(record.trace_id) if any(record.trace_id) else None,
                    span_id=id_to_hex(record.span_id) if any(record.span_id) else None,
                    event_name=str(event_name) if event_name else None,
                    service_name=str(service) if service is not None else None,
                    scope_name=scope_logs.scope.name or None,
                    attributes=attributes,
                    resource_attributes=resource,
                )
