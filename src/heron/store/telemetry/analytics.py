"""SQL of prompt and usage analytics (``heron.analytics`` does the statistics).

Every query is bound to one project and a time range, reads LLM calls only
(kind ``llm``/``embedding``) and leaves out ``duplicate_of`` spans, so a call
reported by two instrumentations is counted and costed once. Scores are read
from the scores table's copies of their span's context (no join).

The rankings and counts behind the significance tests are in
``heron.store.telemetry.ranking``, usage, cost and context-window queries in
``analytics_usage``, prompt-template queries in ``templates``; shared filters in
``analytics_sql``.

Functions take the store as first argument; ``TelemetryAnalytics`` binds them
to a store for callers that want an object.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from heron.model import TimeRange
from heron.model.analytics import (
    CacheUsage,
    CallRef,
    CompareSide,
    CostPoint,
    CountGroup,
    PressureRow,
    RankSample,
    TemplateStats,
    UsagePoint,
    VariableStats,
)
from heron.store.telemetry.analytics_sql import COST_DIMENSIONS
from heron.store.telemetry.analytics_usage import (
    cache_usage,
    context_pressure,
    cost_points,
    cost_rollup,
    user_usage,
)
from heron.store.telemetry.ranking import (
    compare_counts,
    compare_rankings,
    compare_ranks,
    user_counts,
    user_ranks,
)
from heron.store.telemetry.templates import (
    lowest_scored_calls,
    template_stats,
    template_text,
    template_variables,
    worst_calls,
)

if TYPE_CHECKING:
    from heron.store.telemetry.store import ClickHouseTelemetryStore

__all__ = [
    "COST_DIMENSIONS",
    "TelemetryAnalytics",
    "cache_usage",
    "compare_counts",
    "compare_rankings",
    "compare_ranks",
    "context_pressure",
    "cost_points",
    "cost_rollup",
    "lowest_scored_calls",
    "template_stats",
    "template_text",
    "template_variables",
    "user_counts",
    "user_ranks",
    "user_usage",
    "worst_calls",
]


class TelemetryAnalytics:
    """The analytics queries bound to one ``ClickHouseTelemetryStore``."""

    def __init__(self, store: ClickHouseTelemetryStore) -> None:
        self.store = store

    def template_stats(
        self, project_id: str, time: TimeRange, template_hash: str | None = None
    ) -> list[TemplateStats]:
        """See :func:`template_stats`."""
        return template_stats(self.store, project_id, time, template_hash)

    def template_variables(
        self, project_id: str, time: TimeRange, template_hash: str, top: int = 5
    ) -> list[VariableStats]:
        """See :func:`template_variables`."""
        return template_variables(self.store, project_id, time, template_hash, top)

    def template_text(self, project_id: str, time: TimeRange, template_hash: str) -> str | None:
        """The template's latest full text in the range."""
        return template_text(self.store, project_id, time, template_hash)

    def worst_calls(
        self, project_id: str, time: TimeRange, template_hash: str, limit: int = 10
    ) -> list[CallRef]:
        """See :func:`worst_calls`."""
        return worst_calls(self.store, project_id, time, template_hash, limit)

    def lowest_scored_calls(
        self, project_id: str, time: TimeRange, template_hash: str, limit: int = 10
    ) -> list[CallRef]:
        """See :func:`lowest_scored_calls`."""
        return lowest_scored_calls(self.store, project_id, time, template_hash, limit)

    def compare_ranks(
        self,
        project_id: str,
        a: CompareSide,
        b: CompareSide,
        measure: str,
        score_name: str | None = None,
    ) -> RankSample:
        """See :func:`compare_ranks`."""
        return compare_ranks(self.store, project_id, a, b, measure, score_name)

    def compare_rankings(
        self,
        project_id: str,
        a: CompareSide,
        b: CompareSide,
        measures: Sequence[str],
        score_name: str | None = None,
    ) -> dict[str, RankSample]:
        """See :func:`heron.store.telemetry.ranking.compare_rankings`."""
        return compare_rankings(self.store, project_id, a, b, measures, score_name)

    def compare_counts(
        self, project_id: str, a: CompareSide, b: CompareSide, what: str
    ) -> dict[str, CountGroup]:
        """See :func:`compare_counts`."""
        return compare_counts(self.store, project_id, a, b, what)

    def user_ranks(self, project_id: str, time: TimeRange, measure: str) -> RankSample:
        """See :func:`user_ranks`."""
        return user_ranks(self.store, project_id, time, measure)

    def user_counts(self, project_id: str, time: TimeRange) -> dict[str, CountGroup]:
        """See :func:`user_counts`."""
        return user_counts(self.store, project_id, time)

    def user_usage(
        self, project_id: str, user_id: str, time: TimeRange, bucket: str
    ) -> list[UsagePoint]:
        """See :func:`user_usage`."""
        return user_usage(self.store, project_id, user_id, time, bucket)

    def cost_points(
        self, project_id: str, time: TimeRange, by: str | None, bucket: str | None
    ) -> list[CostPoint]:
        """See :func:`cost_points`."""
        return cost_points(self.store, project_id, time, by, bucket)

    def cost_rollup(
        self, project_id: str, time: TimeRange, week: TimeRange, by: str, bucket: str | None
    ) -> dict[str, list[CostPoint]]:
        """See :func:`heron.store.telemetry.analytics_usage.cost_rollup`."""
        return cost_rollup(self.store, project_id, time, week, by, bucket)

    def cache_usage(self, project_id: str, time: TimeRange) -> list[CacheUsage]:
        """See :func:`cache_usage`."""
        return cache_usage(self.store, project_id, time)

    def context_pressure(self, project_id: str, time: TimeRange) -> list[PressureRow]:
        """See :func:`context_pressure`."""
        return context_pressure(self.store, project_id, time)
