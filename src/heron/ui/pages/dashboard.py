"""The dashboard: traffic, latency, errors, tokens, cost and quality over time, per model."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from heron.model import BUCKETS, StatsQuery, StatsRow, TimeRange
from heron.model.query import Bucket
from heron.query import ProjectQueries
from heron.ui.charts import line_chart
from heron.ui.params import RANGE_PRESETS, TimeChoice, parse_time_choice
from heron.ui.render import Renderer
from heron.ui.timeseries import bucket_for, series_by, total_series

__all__ = ["merge_groups", "model_charts", "quality_charts", "register", "summarize"]


def register(router: APIRouter, renderer: Renderer) -> None:
    """Add ``/`` (redirects here) and ``/dashboard``."""

    @router.get("/", include_in_schema=False)
    async def home() -> Response:
        return RedirectResponse("/dashboard", status_code=307)

    @router.get("/dashboard", include_in_schema=False)
    async def dashboard_page(request: Request) -> Response:
        params = dict(request.query_params)

        def build(queries: ProjectQueries) -> Response:
            choice = parse_time_choice(params)
            time, bucket = choice.time, bucket_for(choice.time)
            # One read: per model per bucket (charts; quality over time merges its
            # buckets) and per model over the range (percentiles cannot be merged).
            rows = queries.stats(
                StatsQuery(time=time, bucket=bucket, group_by=("model",), with_totals=True)
            )
            by_model_bucket = [r for r in rows if r.bucket_start is not None]
            by_model = [r for r in rows if r.bucket_start is None]
            cost_24h = _cost_last_24h(queries, choice, by_model)
            return renderer.page(
                request,
                "dashboard.html",
                choice=choice,
                presets=RANGE_PRESETS,
                bucket=bucket,
                summary=summarize(by_model),
                cost_24h=cost_24h,
                charts=model_charts(by_model_bucket, time, bucket),
                quality=quality_charts(merge_groups(by_model_bucket), time, bucket),
                models=sorted(by_model, key=lambda r: -r.requests),
            )

        return await renderer.serve(request, build)


def _cost_last_24h(
    queries: ProjectQueries, choice: TimeChoice, by_model: list[StatsRow]
) -> float | None:
    rows = by_model
    if choice.preset != "24h":
        rows = queries.stats(StatsQuery(time=TimeRange.last(timedelta(hours=24))))
    costs = [float(r.cost_usd) for r in rows if r.cost_usd is not None]
    return sum(costs) if costs else None


def merge_groups(rows: list[StatsRow]) -> list[StatsRow]:
    """Grouped bucket rows merged into one row per bucket, for the additive measures.

    Counts, tokens and cost add up; the eval score and hallucination rate are
    weighted by the scores behind them. Percentiles cannot be merged and are None.
    """
    merged: dict[datetime | None, StatsRow] = {}
    for row in rows:
        into = merged.get(row.bucket_start)
        if into is None:
            merged[row.bucket_start] = dataclasses.replace(
                row,
                group={},
                latency_p50_ms=None,
                latency_p95_ms=None,
                latency_p99_ms=None,
                ttft_p50_ms=None,
                ttft_p95_ms=None,
            )
            continue
        requests, errors = into.requests + row.requests, into.errors + row.errors
        costs = [c for c in (into.cost_usd, row.cost_usd) if c is not None]
        merged[row.bucket_start] = dataclasses.replace(
            into,
            requests=requests,
            errors=errors,
            error_rate=errors / requests if requests else 0.0,
            input_tokens=into.input_tokens + row.input_tokens,
            output_tokens=into.output_tokens + row.output_tokens,
            cached_input_tokens=into.cached_input_tokens + row.cached_input_tokens,
            total_tokens=into.total_tokens + row.total_tokens,
            cost_usd=sum(costs) if costs else None,
            avg_score=_weighted(into.avg_score, into.score_count, row.avg_score, row.score_count),
            score_count=into.score_count + row.score_count,
            hallucination_rate=_weighted(
                into.hallucination_rate,
                into.hallucination_count,
                row.hallucination_rate,
                row.hallucination_count,
            ),
            hallucination_count=into.hallucination_count + row.hallucination_count,
        )
    return sorted(merged.values(), key=lambda r: (r.bucket_start is not None, r.bucket_start))


def _weighted(a: float | None, a_n: int, b: float | None, b_n: int) -> float | None:
    parts = [(v, n) for v, n in ((a, a_n), (b, b_n)) if v is not None and n]
    total = sum(n for _, n in parts)
    return sum(v * n for v, n in parts) / total if total else None


def summarize(rows: list[StatsRow]) -> dict[str, Any]:
    """Totals over group rows: requests, errors, error rate, tokens and cost."""
    requests = sum(r.requests for r in rows)
    errors = sum(r.errors for r in rows)
    costs = [float(r.cost_usd) for r in rows if r.cost_usd is not None]
    return {
        "requests": requests,
        "errors": errors,
        "error_rate": errors / requests if requests else None,
        "input_tokens": sum(r.input_tokens for r in rows),
        "output_tokens": sum(r.output_tokens for r in rows),
        "tokens": sum(r.total_tokens for r in rows),
        "cost": sum(costs) if costs else None,
    }


def model_charts(rows: list[StatsRow], time: TimeRange, bucket: Bucket) -> list[Markup]:
    """The per-model charts, from stats rows grouped by model and bucketed."""
    minutes = BUCKETS[bucket] / 60

    def chart(title: str, value: Any, unit: Any, fill: float | None, area: bool = False) -> Markup:
        series = series_by(rows, "model", value, time, bucket, fill)
        return line_chart(series, title=title, start=time.start, end=time.end, unit=unit, area=area)

    return [
        chart("Requests per minute", lambda r: r.requests / minutes, "rate", 0.0),
        chart("Latency p50", lambda r: r.latency_p50_ms, "ms", None),
        chart("Latency p95", lambda r: r.latency_p95_ms, "ms", None),
        chart("Time to first token p95 (streamed calls)", lambda r: r.ttft_p95_ms, "ms", None),
        chart("Error rate", lambda r: r.error_rate, "pct", None),
        chart(f"Tokens per {bucket}", lambda r: r.total_tokens, "tokens", 0.0),
        chart(f"Cost per {bucket}", lambda r: r.cost_usd, "cost", 0.0, area=True),
    ]


def quality_charts(rows: list[StatsRow], time: TimeRange, bucket: Bucket) -> list[Markup]:
    """Eval score and hallucination rate over time (empty until evals score calls)."""
    none = "No eval scores in this range: evaluations will fill this chart"
    return [
        line_chart(
            [total_series(rows, "average score", lambda r: r.avg_score, time, bucket, None)],
            title="Eval score (average)",
            start=time.start,
            end=time.end,
            unit="score",
            empty_message=none,
        ),
        line_chart(
            [
                total_series(
                    rows, "hallucination rate", lambda r: r.hallucination_rate, time, bucket, None
                )
            ],
            title="Hallucination rate",
            start=time.start,
            end=time.end,
            unit="pct",
            empty_message=none,
        ),
    ]
