"""The engine-neutral vocabulary of reads: time ranges, filters, pages and result rows.

``heron.query`` builds these from API parameters; ``heron.store`` turns them into
SQL. Keeping them here lets both sides import them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from heron.model.log import LogRecord
from heron.model.score import Score
from heron.model.span import Span

__all__ = [
    "BUCKETS",
    "GROUP_BY_FIELDS",
    "Bucket",
    "Page",
    "SessionSummary",
    "StatsQuery",
    "StatsRow",
    "TimeRange",
    "TraceDetail",
    "TraceFilter",
    "TraceSummary",
    "UserSummary",
]

T = TypeVar("T")

Bucket = Literal["1m", "5m", "1h", "1d"]
BUCKETS: dict[str, int] = {"1m": 60, "5m": 300, "1h": 3600, "1d": 86400}
GROUP_BY_FIELDS: tuple[str, ...] = (
    "model",
    "provider",
    "user_id",
    "prompt_template_hash",
    "tag",
    "service_name",
    "session_id",
)


@dataclass(frozen=True, slots=True)
class TimeRange:
    """A half-open interval [start, end) in UTC."""

    start: datetime
    end: datetime

    @classmethod
    def last(cls, delta: timedelta, now: datetime | None = None) -> TimeRange:
        """The range ending now (or at ``now``) and lasting ``delta``."""
        end = now or datetime.now(UTC)
        return cls(end - delta, end)


@dataclass(frozen=True, slots=True)
class TraceFilter:
    """Filters for the trace list. ``None`` means no filter on that field."""

    time: TimeRange
    model: str | None = None
    provider: str | None = None
    status: Literal["ok", "error"] | None = None
    user_id: str | None = None
    session_id: str | None = None
    prompt_template_hash: str | None = None
    tag: str | None = None
    q: str | None = None
    min_duration_ms: float | None = None
    service_name: str | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of results; ``next_cursor`` is opaque and None on the last page."""

    items: list[T]
    next_cursor: str | None = None


@dataclass(slots=True)
class TraceSummary:
    """A trace as listed: its root span plus totals over every span of the trace."""

    trace_id: str
    root_span_id: str | None
    name: str
    start_time: datetime
    duration_ms: float
    span_count: int
    llm_call_count: int
    total_tokens: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    error: bool
    user_id: str | None
    session_id: str | None
    service_name: str | None
    models: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    input_preview: str | None = None
    output_preview: str | None = None
    eval_score: float | None = None


@dataclass(frozen=True, slots=True)
class TraceDetail:
    """Everything shown for one trace: its spans, the scores attached to it, its logs."""

    spans: list[Span]
    scores: list[Score]
    logs: list[LogRecord]


@dataclass(slots=True)
class SessionSummary:
    """A session with its totals."""

    session_id: str
    user_id: str | None
    trace_count: int
    first_seen: datetime
    last_seen: datetime
    total_tokens: int
    cost_usd: float | None
    error_count: int


@dataclass(frozen=True, slots=True)
class SessionPage:
    """One page of a session's traces, oldest first, with the whole session's totals."""

    items: list[TraceSummary]
    summary: SessionSummary | None = None
    next_cursor: str | None = None


@dataclass(slots=True)
class UserSummary:
    """A user with totals over the time range."""

    user_id: str
    requests: int
    errors: int
    total_tokens: int
    cost_usd: float | None
    p95_latency_ms: float | None
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class StatsQuery:
    """Aggregates over LLM spans (kind llm/embedding, duplicates excluded)."""

    time: TimeRange
    group_by: tuple[str, ...] = ()
    bucket: Bucket | None = None
    model: str | None = None
    provider: str | None = None
    user_id: str | None = None
    prompt_template_hash: str | None = None
    tag: str | None = None
    with_totals: bool = False
    """With ``bucket``: also one row per group over the whole range (``bucket_start``
    None), from the same scan: percentiles cannot be merged from buckets."""


@dataclass(slots=True)
class StatsRow:
    """One group of the stats query; ``group`` maps each group-by field to its value."""

    group: dict[str, Any]
    bucket_start: datetime | None
    requests: int
    errors: int
    error_rate: float
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    total_tokens: int
    cost_usd: float | None
    avg_score: float | None = None
    hallucination_rate: float | None = None
    # How many numeric scores back ``avg_score`` and ``hallucination_rate``: weights
    # to merge groups, and the evidence a reader needs before trusting an average.
    score_count: int = 0
    hallucination_count: int = 0
