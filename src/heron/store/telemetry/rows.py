"""Spans and scores to table columns and back, losslessly.

Optional strings are ``Nullable`` so ``None`` and ``""`` stay distinct; nested
values (messages, tool calls, attributes, events, metadata, template
variables) are JSON text written with ``ensure_ascii=False`` so a substring
search sees the characters the user typed. Datetimes are stored as
``DateTime64(6, 'UTC')`` (microseconds, as OTLP nanoseconds are truncated by
``heron.model.utc_from_unix_nano``); cost as ``Decimal(38, 18)``, exact for
any cost with at most 18 decimal places.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson

from heron.errors import StoreError
from heron.model import Score, Span

__all__ = [
    "PREVIEW_CHARS",
    "SCORE_COLUMNS",
    "SCORE_CONTEXT_COLUMNS",
    "SPAN_COLUMNS",
    "from_unix_micros",
    "input_preview",
    "output_preview",
    "score_from_detail",
    "score_from_row",
    "score_to_row",
    "span_columns",
    "span_from_detail",
    "span_from_row",
    "span_to_row",
    "to_utc",
]

PREVIEW_CHARS = 300

# Span fields stored as JSON text, in the order of the table.
_JSON_FIELDS = frozenset(
    {
        "input_messages",
        "output_messages",
        "tool_calls",
        "prompt_template_variables",
        "metadata",
        "attributes",
        "resource_attributes",
        "events",
    }
)
_TIME_FIELDS = frozenset({"start_time", "end_time"})

# Every Span field, in table order; derived columns are appended after them.
_SPAN_FIELDS: tuple[str, ...] = tuple(Span.__dataclass_fields__)
SPAN_COLUMNS: tuple[str, ...] = (
    *_SPAN_FIELDS,
    "duration_ms",
    "input_preview",
    "output_preview",
    "retention_days",
)

SCORE_CONTEXT_COLUMNS: tuple[str, ...] = (
    "span_start_time",
    "model",
    "provider",
    "user_id",
    "session_id",
    "service_name",
    "prompt_template_hash",
    "tags",
)
_SCORE_FIELDS: tuple[str, ...] = tuple(Score.__dataclass_fields__)
SCORE_COLUMNS: tuple[str, ...] = (*_SCORE_FIELDS, *SCORE_CONTEXT_COLUMNS, "retention_days")


def to_utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (naive values are taken to be UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _dumps(value: Any, field: str, span_id: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise StoreError(
            f"span {span_id}: field {field!r} holds a value that is not JSON-serializable "
            f"({exc}); processors must leave only str/int/float/bool/None/list/dict values there"
        ) from exc


def _dumps_fast(value: Any, field: str, span_id: str) -> str:
    """``_dumps`` via orjson, several times faster on the insert path.

    orjson writes the same compact UTF-8 JSON; it refuses what it cannot represent
    exactly (non-str keys, integers beyond 64 bits), which then goes through the
    standard library as before. Non-finite floats become ``null`` (JSON has no NaN).
    The text is returned as ``str``: with ``bytes`` the driver sizes insert blocks
    far larger, which tripled the insert's peak memory.
    """
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:
        return _dumps(value, field, span_id)


def _clip(text: str | None) -> str:
    if not text:
        return ""
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def input_preview(span: Span) -> str:
    """A short input for lists: the last user message, else ``input_value``."""
    for message in reversed(span.input_messages):
        if message.get("role") == "user" and message.get("content"):
            return _clip(message["content"])
    for message in reversed(span.input_messages):
        if message.get("content"):
            return _clip(message["content"])
    return _clip(span.input_value)


def output_preview(span: Span) -> str:
    """A short output for lists: the first output message's text, else ``output_value``."""
    for message in span.output_messages:
        if message.get("content"):
            return _clip(message["content"])
    if span.tool_calls:
        return _clip(", ".join(f"{call['name']}(...)" for call in span.tool_calls))
    return _clip(span.output_value)


def span_to_row(span: Span, retention_days: int = 0) -> list[Any]:
    """The column values of ``span`` in ``SPAN_COLUMNS`` order."""
    row: list[Any] = []
    for name in _SPAN_FIELDS:
        value = getattr(span, name)
        if name in _JSON_FIELDS:
            value = _dumps(value, name, span.span_id)
        elif name in _TIME_FIELDS:
            value = to_utc(value)
        elif name == "cost_usd" and value is not None:
            value = Decimal(value)
        row.append(value)
    row.extend(
        [span.duration_ms, input_preview(span), output_preview(span), max(0, retention_days)]
    )
    return row


def span_columns(spans: Sequence[Span], retention_days: Callable[[str], int]) -> list[list[Any]]:
    """The values of ``spans`` column by column, in ``SPAN_COLUMNS`` order.

    The column-oriented twin of ``span_to_row`` used for inserts: one list per
    column spares the driver a transposition, and JSON columns are written by
    orjson. ``retention_days`` is called once per project.
    """
    columns: list[list[Any]] = []
    for name in _SPAN_FIELDS:
        if name in _JSON_FIELDS:
            column: list[Any] = [_dumps_fast(getattr(s, name), name, s.span_id) for s in spans]
        elif name in _TIME_FIELDS:
            column = [to_utc(getattr(s, name)) for s in spans]
        elif name == "cost_usd":
            column = [None if s.cost_usd is None else Decimal(s.cost_usd) for s in spans]
        else:
            column = [getattr(s, name) for s in spans]
        columns.append(column)
    days: dict[str, int] = {}
    for span in spans:
        if span.project_id not in days:
            days[span.project_id] = max(0, retention_days(span.project_id))
    columns.append([s.duration_ms for s in spans])
    columns.append([input_preview(s) for s in spans])
    columns.append([output_preview(s) for s in spans])
    columns.append([days[s.project_id] for s in spans])
    return columns


def span_from_row(names: Sequence[str], row: Sequence[Any]) -> Span:
    """A ``Span`` from a result row whose columns are ``names`` (derived ones ignored)."""
    values: dict[str, Any] = {}
    for name, value in zip(names, row, strict=True):
        if name not in Span.__dataclass_fields__:
            continue
        if name in _JSON_FIELDS:
            value = json.loads(value) if value else _empty_json(name)
        elif name in _TIME_FIELDS:
            value = to_utc(value)
        elif name in ("finish_reasons", "finish_reasons_raw", "tags"):
            value = list(value)
        values[name] = value
    return Span(**values)


# Keys of a span_details JSON text (migration 0004) that are not Span fields as is.
_DETAIL_TIMES = {"start_time_us": "start_time", "end_time_us": "end_time"}
_DETAIL_INTS = frozenset(
    {
        "input_tokens",
        "cached_input_tokens",
        "cache_write_input_tokens",
        "output_tokens",
        "reasoning_tokens",
        "total_tokens",
        "context_window_tokens",
        "otel_kind",
    }
)


def span_from_detail(project_id: str, trace_id: str, span_id: str, detail: str) -> Span:
    """A ``Span`` from a ``span_details`` row: its key columns and its JSON text.

    The engine writes 64-bit integers as JSON strings, so they are converted back;
    times come as unix microseconds and the cost as decimal text (both exact).
    """
    values: dict[str, Any] = {"project_id": project_id, "trace_id": trace_id, "span_id": span_id}
    for key, value in json.loads(detail).items():
        if key in _DETAIL_TIMES:
            values[_DETAIL_TIMES[key]] = from_unix_micros(value)
        elif key == "cost_usd_text":
            values["cost_usd"] = None if value is None else Decimal(value)
        elif key in _JSON_FIELDS:
            values[key] = json.loads(value) if value else _empty_json(key)
        elif key in _DETAIL_INTS:
            values[key] = None if value is None else int(value)
        else:
            values[key] = value
    return Span(**values)


def from_unix_micros(value: int | str) -> datetime:
    """A UTC datetime from unix microseconds (the engine quotes 64-bit integers in JSON)."""
    return _EPOCH + timedelta(microseconds=int(value))


_EPOCH = datetime.fromtimestamp(0, UTC)


def _empty_json(name: str) -> Any:
    return [] if name in ("input_messages", "output_messages", "tool_calls", "events") else {}


def score_to_row(score: Score, context: Sequence[Any], retention_days: int = 0) -> list[Any]:
    """The column values of ``score`` in ``SCORE_COLUMNS`` order; ``context`` fills the copies."""
    row: list[Any] = []
    for name in _SCORE_FIELDS:
        value = getattr(score, name)
        if name == "metadata":
            value = _dumps(value, name, score.span_id or score.trace_id)
        elif name == "created_at":
            value = to_utc(value)
        elif name == "flags":
            value = list(value)
        row.append(value)
    row.extend(context)
    row.append(max(0, retention_days))
    return row


def score_from_row(names: Sequence[str], row: Sequence[Any]) -> Score:
    """A ``Score`` from a result row whose columns are ``names`` (copies ignored)."""
    values: dict[str, Any] = {}
    for name, value in zip(names, row, strict=True):
        if name not in Score.__dataclass_fields__:
            continue
        if name == "metadata":
            value = json.loads(value) if value else {}
        elif name == "created_at":
            value = to_utc(value)
        elif name == "flags":
            value = list(value)
        values[name] = value
    return Score(**values)


def score_from_detail(detail: str) -> tuple[int, Score]:
    """The row version (``inserted_at_us``) and the ``Score`` of a score's JSON text."""
    values = json.loads(detail)
    version = int(values.pop("inserted_at_us"))
    values["created_at"] = from_unix_micros(values.pop("created_at_us"))
    values["metadata"] = json.loads(values["metadata"]) if values["metadata"] else {}
    for name in ("value", "cost_usd"):  # JSON writes 1.0 as 1
        if values[name] is not None:
            values[name] = float(values[name])
    return version, Score(**values)
