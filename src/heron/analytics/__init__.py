"""Prompt and usage analytics, engine-neutral: statistics, rankings, comparisons, reports.

Reads go through an ``AnalyticsSource`` (``heron.store.telemetry.analytics``
implements it in ClickHouse SQL); the significance tests are pure Python in
``heron.analytics.stats``.
"""

from heron.analytics.compare import compare_sides
from heron.analytics.costs import cache_savings, cost_report
from heron.analytics.pressure import context_pressure
from heron.analytics.prompts import (
    SORT_FIELDS,
    TEMPLATE_HASH_PATTERN,
    WORST_BY,
    list_templates,
    template_detail,
    worst_templates,
)
from heron.analytics.source import AnalyticsSource
from heron.analytics.users import degraded_users, usage_dict

__all__ = [
    "SORT_FIELDS",
    "TEMPLATE_HASH_PATTERN",
    "WORST_BY",
    "AnalyticsSource",
    "cache_savings",
    "compare_sides",
    "context_pressure",
    "cost_report",
    "degraded_users",
    "list_templates",
    "template_detail",
    "usage_dict",
    "worst_templates",
]
