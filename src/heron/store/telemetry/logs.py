"""Log records: insert and read (by trace, or by time window with filters)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from heron.model import LogRecord, TimeRange
from heron.store.telemetry.rows import from_unix_micros, to_utc
from heron.store.telemetry.sql import Params

if TYPE_CHECKING:
    from heron.store.telemetry.store import ClickHouseTelemetryStore

__all__ = ["LOG_COLUMNS", "insert_logs", "list_logs", "log_from_detail"]

LOG_COLUMNS = (
    "project_id",
    "time",
    "log_id",
    "trace_id",
    "span_id",
    "severity_number",
    "severity_text",
    "body",
    "event_name",
    "service_name",
    "scope_name",
    "attributes",
    "resource_attributes",
    "retention_days",
)
_SELECT = ", ".join(LOG_COLUMNS[:-1])


def _row(record: LogRecord, retention_days: int) -> list[Any]:
    return [
        record.project_id,
        to_utc(record.time),
        record.log_id,
        record.trace_id,
        record.span_id,
        max(0, min(255, record.severity_number)),
        record.severity_text,
        record.body,
        record.event_name,
        record.service_name,
        record.scope_name,
        json.dumps(record.attributes, default=str),
        json.dumps(record.resource_attributes, default=str),
        retention_days,
    ]


def _record(row: Sequence[Any]) -> LogRecord:
    (
        project_id,
        time,
        log_id,
        trace_id,
        span_id,
        severity_number,
        severity_text,
        body,
        event_name,
        service_name,
        scope_name,
        attributes,
        resource_attributes,
    ) = row
    return LogRecord(
        project_id=project_id,
        log_id=log_id,
        time=to_utc(time),
        trace_id=trace_id,
        span_id=span_id,
        severity_number=int(severity_number),
        severity_text=severity_text,
        body=body,
        event_name=event_name,
        service_name=service_name,
        scope_name=scope_name,
        attributes=json.loads(attributes),
        resource_attributes=json.loads(resource_attributes),
    )


def log_from_detail(detail: str) -> LogRecord:
    """A ``LogRecord`` from the JSON text of its stored row (``time_us`` for the time)."""
    values = json.loads(detail)
    values["time"] = from_unix_micros(values.pop("time_us"))
    values["severity_number"] = int(values["severity_number"])
    values["attributes"] = json.loads(values["attributes"])
    values["resource_attributes"] = json.loads(values["resource_attributes"])
    return LogRecord(**values)


def insert_logs(
    store: ClickHouseTelemetryStore, records: Sequence[LogRecord], token: str | None = None
) -> None:
    """Insert records; the same log_id twice is kept once."""
    if not records:
        return
    retention: dict[str, int] = {}
    rows = []
    for record in records:
        if record.project_id not in retention:
            retention[record.project_id] = store.retention_days(record.project_id)
        rows.append(_row(record, retention[record.project_id]))
    store.insert_rows(store.logs_table, rows, LOG_COLUMNS, token, "insert log records")


def list_logs(
    store: ClickHouseTelemetryStore,
    project_id: str,
    *,
    trace_id: str | None = None,
    time: TimeRange | None = None,
    min_severity: int = 0,
    q: str | None = None,
    limit: int = 500,
) -> list[LogRecord]:
    """Logs of a trace (any time), or of a time window; oldest first for a trace."""
    params = Params()
    where = [f"project_id = {params.text(project_id)}"]
    if trace_id is not None:
        where.append(f"trace_id = {params.text(trace_id)}")
    if time is not None:
        where.append(params.in_range("time", time))
    if min_severity:
        where.append(f"severity_number >= {params.add(min_severity, 'UInt8')}")
    if q:
        where.append(f"positionCaseInsensitive(ifNull(body, ''), {params.text(q)}) > 0")
    order = "time ASC" if trace_id is not None else "time DESC"
    sql = (
        f"SELECT {_SELECT} FROM {store.logs_table} FINAL WHERE {' AND '.join(where)} "
        f"ORDER BY {order}, log_id LIMIT {params.add(limit, 'UInt32')}"
    )
    _, rows = store.query_rows(sql, params.values, "read log records")
    return [_record(row) for row in rows]
