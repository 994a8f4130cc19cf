"""The vocabulary of prompt and usage analytics: what the store's analytics queries return.

These are sufficient statistics and small result rows, engine-neutral, so
``heron.analytics`` (statistics, ranking, reports) never sees SQL and the
store never sees a significance test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from heron.model.query import TimeRange

__all__ = [
    "CONTEXT_HISTOGRAM_EDGES",
    "CacheUsage",
    "CallRef",
    "CompareSide",
    "CostPoint",
    "CountGroup",
    "PressureRow",
    "RankGroup",
    "RankSample",
    "TemplateStats",
    "UsagePoint",
    "VariableStats",
    "VersionStats",
]

# Lower edges of the context-window utilization histogram; the last bin is ">= 1.0".
CONTEXT_HISTOGRAM_EDGES: tuple[float, ...] = (
    0.0,
    0.1,
    0.2,
    0.3,
    0.4,
    0.5,
    0.6,
    0.7,
    0.8,
    0.9,
    0.95,
    1.0,
)


@dataclass(slots=True)
class TemplateStats:
    """Aggregates of one prompt template's LLM calls in a range (duplicates excluded)."""

    prompt_template_hash: str
    calls: int
    errors: int
    latency_avg_ms: float
    latency_p95_ms: float
    ttft_p95_ms: float | None
    input_tokens_avg: float
    output_tokens_avg: float
    cost_usd: float | None
    priced_calls: int
    first_seen: datetime
    last_seen: datetime
    versions: list[str]
    example_trace_id: str
    example_preview: str
    template_preview: str | None
    avg_score: float | None = None
    scored: int = 0
    hallucination_rate: float | None = None
    judged: int = 0
    template_text: str | None = None
    """The example call's full template text; read only when one template is asked for."""
    by_version: list[VersionStats] = field(default_factory=list)
    """Per recorded version, oldest first; filled only when one template is asked for."""


@dataclass(frozen=True, slots=True)
class VersionStats:
    """Aggregates of one recorded version of a template (``None``: calls without one)."""

    version: str | None
    calls: int
    errors: int
    latency_avg_ms: float
    latency_p95_ms: float
    input_tokens_avg: float
    output_tokens_avg: float
    cost_usd: float | None
    priced_calls: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class CompareSide:
    """One side of a comparison: a template (optionally one version) in a time range."""

    template_hash: str
    time: TimeRange
    version: str | None = None


@dataclass(slots=True)
class RankGroup:
    """A group's share of a pooled ranking: size, sum of average ranks, mean and median."""

    key: str
    n: int
    rank_sum: float
    mean: float
    median: float


@dataclass(slots=True)
class RankSample:
    """A pooled ranking of one measure over several groups (Mann-Whitney input)."""

    groups: dict[str, RankGroup]
    tie_term: float
    """``sum(t**3 - t)`` over runs of equal values in the pooled sample."""
    total: int
    """Size of the pooled sample (may include values of no reported group)."""
    mean: float | None = None
    median: float | None = None


@dataclass(slots=True)
class CountGroup:
    """Trials and successes (e.g. calls and errors) of one group."""

    key: str
    n: int
    x: int


@dataclass(slots=True)
class CallRef:
    """One LLM call worth looking at, with what makes it interesting."""

    trace_id: str
    span_id: str
    start_time: datetime
    status: str
    duration_ms: float
    model: str | None
    error: str | None
    preview: str
    score: float | None = None
    score_name: str | None = None


@dataclass(slots=True)
class VariableStats:
    """The distribution of one template variable: how often it is set and its top values."""

    name: str
    calls: int
    distinct: int
    top: list[tuple[str, int]] = field(default_factory=list)
    of_calls: int = 0
    """Calls of the template read (with or without the variable): ``calls``' denominator."""


@dataclass(slots=True)
class UsagePoint:
    """Requests, tokens and cost in one time bucket."""

    bucket_start: datetime
    requests: int
    errors: int
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    total_tokens: int
    cost_usd: float | None


@dataclass(slots=True)
class CostPoint:
    """Cost and tokens of one feature value in one bucket (bucket None = whole range)."""

    key: str | None
    bucket_start: datetime | None
    requests: int
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    cost_usd: float
    priced_calls: int


@dataclass(slots=True)
class CacheUsage:
    """Cache-read tokens of one model in a range, for pricing what the cache saved."""

    model: str | None
    provider: str | None
    request_model: str | None
    response_model: str | None
    calls: int
    cached_input_tokens: int
    last_seen: datetime


@dataclass(slots=True)
class PressureRow:
    """Context-window utilization of one group (``level``: all, model or template)."""

    level: str
    key: str | None
    calls: int
    measured: int
    p50: float | None
    p95: float | None
    max: float | None
    histogram: list[int]
    over_80: int
    over_95: int
    length_finishes: int
    length_examples: list[str]
