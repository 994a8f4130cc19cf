"""Cost attribution: cost and tokens per feature and bucket, projections, cache savings.

* ``projected_monthly_usd`` is the cost of the trailing 7 days (ending where
  the requested range ends) times 30/7.
* Cached-token savings are what the cache-read tokens would have cost as
  uncached input minus what they cost as cache reads, priced with the same
  ``CostCalculator`` (``genai-prices`` plus ``HERON_PRICES_FILE`` overrides)
  that priced the calls, at the model's last call time. Prices with tiers
  depend on a request's size, so each model is priced at its average cached
  tokens per call and the per-token saving is applied to all its tokens.
  A model without a price gets ``savings_usd = null`` and the reason.
* With ``by=tag`` a call with several tags counts for each of them, so the
  per-tag sums can exceed the project total (which is reported separately).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from heron.analytics.source import AnalyticsSource
from heron.model import Span, TimeRange, format_time
from heron.model.analytics import CacheUsage, CostPoint
from heron.normalize.cost import CostCalculator

__all__ = ["MONTH_DAYS", "cache_savings", "cost_report"]

MONTH_DAYS = 30
_WEEK = timedelta(days=7)


def _point(p: CostPoint) -> dict[str, Any]:
    item: dict[str, Any] = {}
    if p.bucket_start is not None:
        item["bucket_start"] = format_time(p.bucket_start)
    item.update(
        requests=p.requests,
        input_tokens=p.input_tokens,
        output_tokens=p.output_tokens,
        cached_input_tokens=p.cached_input_tokens,
        cost_usd=p.cost_usd,
        priced_calls=p.priced_calls,
    )
    return item


def _priced(
    usage: CacheUsage, calculator: CostCalculator, cached: bool
) -> tuple[Decimal | None, str | None]:
    tokens = max(1, round(usage.cached_input_tokens / usage.calls))
    span = Span(
        project_id="",
        trace_id="",
        span_id="",
        name="cache-savings",
        start_time=usage.last_seen,
        end_time=usage.last_seen,
        kind="llm",
        provider=usage.provider,
        request_model=usage.request_model or usage.model,
        response_model=usage.response_model,
        input_tokens=tokens,
        cached_input_tokens=tokens if cached else 0,
    )
    return calculator.price(span)


def cache_savings(usages: list[CacheUsage], calculator: CostCalculator) -> dict[str, Any]:
    """What cache reads saved versus uncached input pricing, per model and in total."""
    models: list[dict[str, Any]] = []
    total = Decimal(0)
    for usage in usages:
        uncached, note = _priced(usage, calculator, cached=False)
        as_cached, cached_note = _priced(usage, calculator, cached=True)
        savings: float | None = None
        reason = note or cached_note
        if uncached is not None and as_cached is not None:
            per_call_tokens = max(1, round(usage.cached_input_tokens / usage.calls))
            per_token = (uncached - as_cached) / per_call_tokens
            saved = per_token * usage.cached_input_tokens
            total += saved
            savings, reason = float(saved), None
        models.append(
            {
                "model": usage.response_model or usage.request_model or usage.model,
                "provider": usage.provider,
                "calls": usage.calls,
                "cached_input_tokens": usage.cached_input_tokens,
                "savings_usd": savings,
                "reason": reason,
            }
        )
    return {
        "total_usd": float(total),
        "unpriced_models": sum(1 for m in models if m["savings_usd"] is None),
        "by_model": models,
    }


def cost_report(
    source: AnalyticsSource,
    project_id: str,
    time: TimeRange,
    *,
    by: str,
    bucket: str | None,
    calculator: CostCalculator,
    limit: int = 100,
) -> dict[str, Any]:
    """Cost and tokens per ``by`` value (sorted by cost), per bucket, with projections."""
    week = TimeRange(time.end - _WEEK, time.end)
    parts = source.cost_rollup(project_id, time, week, by, bucket)
    totals = parts["totals"]
    week_by_key = {p.key: p.cost_usd for p in parts["week"]}
    series: dict[str | None, list[dict[str, Any]]] = {}
    for p in parts["series"]:
        series.setdefault(p.key, []).append(_point(p))
    project, project_week = parts["project"], parts["project_week"]
    week_cost = project_week[0].cost_usd if project_week else 0.0
    totals.sort(key=lambda p: (-p.cost_usd, p.key or ""))
    groups = []
    for p in totals[:limit]:
        group = {"key": p.key, **_point(p)}
        group["projected_monthly_usd"] = week_by_key.get(p.key, 0.0) / 7 * MONTH_DAYS
        if bucket is not None:
            group["series"] = series.get(p.key, [])
        groups.append(group)
    return {
        "by": by,
        "bucket": bucket,
        "start": format_time(time.start),
        "end": format_time(time.end),
        "total": _point(project[0])
        if project
        else _point(CostPoint(None, None, 0, 0, 0, 0, 0.0, 0)),
        "projected_monthly_usd": week_cost / 7 * MONTH_DAYS,
        "projection_basis": {
            "start": format_time(week.start),
            "end": format_time(week.end),
            "cost_usd": week_cost,
        },
        "groups": groups,
        "cache_savings": cache_savings(source.cache_usage(project_id, time), calculator),
    }
