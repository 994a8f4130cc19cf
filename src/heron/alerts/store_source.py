"""The alert metrics computed by the telemetry store's stats query.

Each rule metric is one field of :meth:`heron.protocols.TelemetryStore.stats`
over the rule's window and filter (LLM calls only, duplicates excluded),
converted to the unit :data:`heron.alerts.METRIC_UNITS` lists: latencies from
milliseconds to seconds, cost and tokens scaled from the window to one hour,
requests to per minute. Scores count when the span they score started in the
window (the store keeps each score's span start time).

No LLM call in the window means no data (None) for every metric, as do
``ttft_p95`` without streamed calls and the score metrics without scores.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from heron.alerts.rule import MetricName, RuleFilter
from heron.model import StatsQuery, StatsRow, TimeRange
from heron.protocols import TelemetryStore

__all__ = ["StoreMetricSource", "metric_value"]

_CacheKey = tuple[str, RuleFilter, timedelta]


def _seconds(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000.0


_EXTRACT: dict[str, Callable[[StatsRow, timedelta], float | None]] = {
    "p95_latency": lambda row, _: _seconds(row.latency_p95_ms),
    "p99_latency": lambda row, _: _seconds(row.latency_p99_ms),
    "ttft_p95": lambda row, _: _seconds(row.ttft_p95_ms),
    "error_rate": lambda row, _: row.error_rate,
    "cost_per_hour": lambda row, w: (row.cost_usd or 0.0) * 3600.0 / w.total_seconds(),
    "tokens_per_hour": lambda row, w: row.total_tokens * 3600.0 / w.total_seconds(),
    "request_rate": lambda row, w: row.requests * 60.0 / w.total_seconds(),
    "avg_eval_score": lambda row, _: row.avg_score,
    "hallucination_rate": lambda row, _: row.hallucination_rate,
}


def metric_value(metric: MetricName, row: StatsRow | None, window: timedelta) -> float | None:
    """One rule metric from the stats row of its window (None row: no LLM call)."""
    if row is None or row.requests == 0:
        return None
    return _EXTRACT[metric](row, window)


class StoreMetricSource:
    """A :class:`heron.alerts.MetricSource` over a :class:`heron.protocols.TelemetryStore`.

    Rules of one project with the same filter and window share one stats query
    per evaluation time: the engine evaluates every rule at the same ``now``,
    so the four default rules of a project cost two queries, not four.
    """

    def __init__(self, store: TelemetryStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._cache_now: datetime | None = None
        self._cache: dict[_CacheKey, StatsRow | None] = {}

    def value(
        self, project_id: str, metric: MetricName, filter: RuleFilter, window: timedelta,
        now: datetime,
    ) -> float | None:  # fmt: skip
        """See :class:`heron.alerts.MetricSource`; raises StoreError when the store fails."""
        return metric_value(metric, self.row(project_id, filter, window, now), window)

    def row(
        self, project_id: str, filter: RuleFilter, window: timedelta, now: datetime
    ) -> StatsRow | None:
        """The stats of the window ending at ``now`` (cached for that ``now``)."""
        key = (project_id, filter, window)
        with self._lock:
            if self._cache_now != now:
                self._cache_now, self._cache = now, {}
            elif key in self._cache:
                return self._cache[key]
        query = StatsQuery(
            time=TimeRange(now - window, now),
            model=filter.model,
            provider=filter.provider,
            user_id=filter.user_id,
            prompt_template_hash=filter.prompt_template_hash,
            tag=filter.tag,
        )
        rows = self.store.stats(project_id, query)
        row = rows[0] if rows else None
        with self._lock:
            if self._cache_now == now:
                self._cache[key] = row
        return row
