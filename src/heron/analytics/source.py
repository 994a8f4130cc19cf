"""``AnalyticsSource``: the queries analytics needs from a telemetry store.

``heron.store.telemetry.analytics.TelemetryAnalytics`` implements it on
ClickHouse SQL; everything in ``heron.analytics`` speaks only this protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

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

__all__ = ["AnalyticsSource"]


@runtime_checkable
class AnalyticsSource(Protocol):
    """Project- and range-bound analytics reads (LLM calls only, duplicates excluded)."""

    def template_stats(
        self, project_id: str, time: TimeRange, template_hash: str | None = None
    ) -> list[TemplateStats]:
        """Per-template aggregates, scores merged in; with ``template_hash``, also the
        example call's full ``template_text``."""
        ...

    def template_variables(
        self, project_id: str, time: TimeRange, template_hash: str, top: int = 5
    ) -> list[VariableStats]:
        """Distribution of each template variable, with the calls read (``of_calls``)."""
        ...

    def worst_calls(
        self, project_id: str, time: TimeRange, template_hash: str, limit: int = 10
    ) -> list[CallRef]:
        """Errors first, then slowest."""
        ...

    def lowest_scored_calls(
        self, project_id: str, time: TimeRange, template_hash: str, limit: int = 10
    ) -> list[CallRef]:
        """Calls with the lowest numeric scores."""
        ...

    def compare_ranks(
        self,
        project_id: str,
        a: CompareSide,
        b: CompareSide,
        measure: str,
        score_name: str | None = None,
    ) -> RankSample:
        """Pooled ranking of latency, cost or score over groups 'a' and 'b'."""
        ...

    def compare_rankings(
        self,
        project_id: str,
        a: CompareSide,
        b: CompareSide,
        measures: Sequence[str],
        score_name: str | None = None,
    ) -> dict[str, RankSample]:
        """``compare_ranks`` of several measures at once (fewer scans), by measure."""
        ...

    def compare_counts(
        self, project_id: str, a: CompareSide, b: CompareSide, what: str
    ) -> dict[str, CountGroup]:
        """Errors or hallucinations per side."""
        ...

    def user_ranks(self, project_id: str, time: TimeRange, measure: str) -> RankSample:
        """Pooled ranking of latency or score, grouped by user ('' = no user)."""
        ...

    def user_counts(self, project_id: str, time: TimeRange) -> dict[str, CountGroup]:
        """Calls and errors per user."""
        ...

    def user_usage(
        self, project_id: str, user_id: str, time: TimeRange, bucket: str
    ) -> list[UsagePoint]:
        """One user's usage per bucket."""
        ...

    def cost_points(
        self, project_id: str, time: TimeRange, by: str | None, bucket: str | None
    ) -> list[CostPoint]:
        """Cost and tokens per feature value and bucket."""
        ...

    def cost_rollup(
        self, project_id: str, time: TimeRange, week: TimeRange, by: str, bucket: str | None
    ) -> dict[str, list[CostPoint]]:
        """A cost report's figures in one read, by part.

        ``totals`` (per ``by`` value over ``time``), ``week`` (per value over
        ``week``), ``series`` (per value and bucket over ``time``; empty when
        ``bucket`` is None), ``project`` and ``project_week`` (the project's
        totals, each call once): each equal to the matching ``cost_points``.
        """
        ...

    def cache_usage(self, project_id: str, time: TimeRange) -> list[CacheUsage]:
        """Cache-read tokens per model."""
        ...

    def context_pressure(self, project_id: str, time: TimeRange) -> list[PressureRow]:
        """Context-window utilization overall, per model and per template."""
        ...
