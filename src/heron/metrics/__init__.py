"""Prometheus series for LLM calls and for heron itself, plus exportable rules and dashboards."""

from heron.metrics.cardinality import OTHER, UNKNOWN, LabelLimiter, RecentKeys, RecentValues
from heron.metrics.eval_score import EvalScoreWindows
from heron.metrics.health import FlushStats, HealthCollector, HealthCounters, HealthSource
from heron.metrics.llm import LlmMetrics

__all__ = [
    "OTHER",
    "UNKNOWN",
    "EvalScoreWindows",
    "FlushStats",
    "HealthCollector",
    "HealthCounters",
    "HealthSource",
    "LabelLimiter",
    "LlmMetrics",
    "RecentKeys",
    "RecentValues",
]
