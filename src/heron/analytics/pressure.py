"""Context-window pressure: how close calls come to their model's window, and who hits it."""

from __future__ import annotations

import itertools
from typing import Any

from heron.analytics.source import AnalyticsSource
from heron.model import TimeRange, format_time
from heron.model.analytics import CONTEXT_HISTOGRAM_EDGES, PressureRow

__all__ = ["context_pressure"]


def _bins() -> list[dict[str, float | None]]:
    edges: list[float | None] = [*CONTEXT_HISTOGRAM_EDGES, None]
    return [{"from": lo, "to": hi} for lo, hi in itertools.pairwise(edges)]


def _row(row: PressureRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "calls": row.calls,
        "measured_calls": row.measured,
        "p50": row.p50,
        "p95": row.p95,
        "max": row.max,
        "histogram": [
            {**b, "count": count} for b, count in zip(_bins(), row.histogram, strict=True)
        ],
        "over_80": row.over_80,
        "over_95": row.over_95,
        "finish_length": row.length_finishes,
        "finish_length_examples": [
            {"trace_id": t, "ui": f"/traces/{t}", "api": f"/api/v1/traces/{t}"}
            for t in row.length_examples
        ],
    }


def context_pressure(
    source: AnalyticsSource, project_id: str, time: TimeRange, *, limit: int = 50
) -> dict[str, Any]:
    """Utilization histograms and percentiles overall, per model and per template.

    Groups are ordered by p95 utilization (most pressed first), then by calls
    that hit the ``length`` finish reason; ``measured_calls`` counts calls whose
    model has a known window.
    """
    rows = source.context_pressure(project_id, time)
    overall = next((r for r in rows if r.level == "all"), None)

    def ranked(level: str) -> list[dict[str, Any]]:
        group = [r for r in rows if r.level == level and r.key is not None]
        group.sort(key=lambda r: (-(r.p95 or 0.0), -r.length_finishes, r.key or ""))
        return [_row(r) for r in group[:limit]]

    return {
        "start": format_time(time.start),
        "end": format_time(time.end),
        "thresholds": [0.8, 0.95],
        "overall": _row(overall) if overall else None,
        "by_model": ranked("model"),
        "by_template": ranked("template"),
    }
