"""Canonical types heron speaks everywhere (no I/O here)."""

from heron.model.log import LogRecord
from heron.model.query import (
    BUCKETS,
    GROUP_BY_FIELDS,
    Page,
    SessionPage,
    SessionSummary,
    StatsQuery,
    StatsRow,
    TimeRange,
    TraceDetail,
    TraceFilter,
    TraceSummary,
    UserSummary,
)
from heron.model.score import Score, ScoreSource
from heron.model.span import Message, Span, SpanEvent, ToolCall, format_time, utc_from_unix_nano

__all__ = [
    "BUCKETS",
    "GROUP_BY_FIELDS",
    "LogRecord",
    "Message",
    "Page",
    "Score",
    "ScoreSource",
    "SessionPage",
    "SessionSummary",
    "Span",
    "SpanEvent",
    "StatsQuery",
    "StatsRow",
    "TimeRange",
    "ToolCall",
    "TraceDetail",
    "TraceFilter",
    "TraceSummary",
    "UserSummary",
    "format_time",
    "utc_from_unix_nano",
]
