"""REST routes of prompt and usage analytics: templates, comparisons, users, costs, context.

The analytics reads come from ``AppContext.extras["analytics"]`` (an
``AnalyticsSource``, e.g. ``TelemetryAnalytics(store)``), or from the store
itself when it implements ``AnalyticsSource``. Every route is bound to the
caller's project (read or admin key) and to a time range (default 24 h).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from heron.analytics import (
    TEMPLATE_HASH_PATTERN,
    AnalyticsSource,
    compare_sides,
    context_pressure,
    cost_report,
    degraded_users,
    list_templates,
    template_detail,
    usage_dict,
    worst_templates,
)
from heron.analytics.prompts import VARIABLE_CALLS
from heron.analytics.stats import MIN_SAMPLES
from heron.api.context import app_context, queries_for
from heron.errors import ConfigError, QueryError
from heron.model import TimeRange
from heron.model.analytics import CompareSide
from heron.normalize.cost import CostCalculator
from heron.query import ProjectQueries, parse_instant, parse_time_range

__all__ = ["analytics_router", "analytics_source"]

Reader = Annotated[ProjectQueries, Depends(queries_for("read"))]

_START = Query(None, description="Range start: RFC 3339, unix seconds or now-<duration>.")
_END = Query(None, description="Range end (default now).")
_SINCE = Query(None, description="Range length back from the end, e.g. 7d (default 24h).")
_CALCULATOR_KEY = "analytics_cost_calculator"


def analytics_source(request: Request) -> AnalyticsSource:
    """The analytics reads wired into the app: the REST API's and the UI's."""
    ctx = app_context(request)
    source = ctx.extras.get("analytics")
    if isinstance(source, AnalyticsSource):
        return source
    if isinstance(ctx.store, AnalyticsSource):
        return ctx.store
    raise ConfigError(
        "analytics are not wired into this server: the composition root must set "
        "AppContext.extras['analytics'] = TelemetryAnalytics(store)"
    )


def _calculator(request: Request) -> CostCalculator:
    ctx = app_context(request)
    calculator = ctx.extras.get(_CALCULATOR_KEY)
    if not isinstance(calculator, CostCalculator):
        calculator = CostCalculator(prices_file=ctx.settings.prices_file)
        ctx.extras[_CALCULATOR_KEY] = calculator
    return calculator


Source = Annotated[AnalyticsSource, Depends(analytics_source)]


def _compare_sides(
    time: TimeRange,
    a: str,
    a_version: str | None,
    b: str | None,
    b_version: str | None,
    split_at: str | None,
) -> tuple[CompareSide, CompareSide]:
    if split_at is not None:
        if b is not None or a_version is not None or b_version is not None:
            raise QueryError(
                "split_at compares one template before/after a time; drop b and *_version"
            )
        split = parse_instant(split_at)
        if not time.start < split < time.end:
            raise QueryError(
                f"split_at {split_at!r} is outside the range {time.start} .. {time.end}; "
                "widen the range (since=) or move split_at inside it"
            )
        return (
            CompareSide(a, TimeRange(time.start, split)),
            CompareSide(a, TimeRange(split, time.end)),
        )
    if b is None and b_version is None:
        raise QueryError("give b (a second template hash), b_version, or split_at=<time>")
    return CompareSide(a, time, a_version), CompareSide(b or a, time, b_version)


def analytics_router() -> APIRouter:
    """The /api/v1 analytics routes (read or admin key)."""
    router = APIRouter(prefix="/api/v1", tags=["analytics"])

    @router.get("/prompts", summary="Prompt templates seen in the range, with aggregates")
    def prompts(
        q_: Reader,
        source: Source,
        start: str | None = _START,
        end: str | None = _END,
        since: str | None = _SINCE,
        sort: str = "calls",
        order: Literal["asc", "desc"] = "desc",
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        time = parse_time_range(start, end, since)
        rows = list_templates(source, q_.project_id, time, sort=sort, order=order, limit=limit)
        return {"prompts": rows, "sort": sort, "order": order}

    @router.get("/prompts/worst", summary="The worst templates by quality, errors, latency or cost")
    def worst(
        q_: Reader,
        source: Source,
        by: Literal["quality", "errors", "latency", "cost"] = "errors",
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        min_calls: Annotated[
            int, Query(ge=1, description="Templates with fewer calls are left out.")
        ] = MIN_SAMPLES,
        start: str | None = _START,
        end: str | None = _END,
        since: str | None = _SINCE,
    ) -> dict[str, Any]:
        time = parse_time_range(start, end, since)
        rows = worst_templates(source, q_.project_id, time, by=by, limit=limit, min_calls=min_calls)
        return {"by": by, "min_calls": min_calls, "prompts": rows}

    @router.get("/prompts/compare", summary="Compare two versions or a before/after split")
    def compare(
        q_: Reader,
        source: Source,
        a: Annotated[
            str, Query(pattern=TEMPLATE_HASH_PATTERN, description="Template hash of side a.")
        ],
        a_version: str | None = None,
        b: Annotated[str | None, Query(pattern=TEMPLATE_HASH_PATTERN)] = None,
        b_version: str | None = None,
        split_at: Annotated[
            str | None, Query(description="Compare a before (a) and after (b) this time.")
        ] = None,
        min_n: Annotated[int, Query(ge=2)] = MIN_SAMPLES,
        score_name: str | None = None,
        start: str | None = _START,
        end: str | None = _END,
        since: str | None = _SINCE,
    ) -> dict[str, Any]:
        time = parse_time_range(start, end, since)
        side_a, side_b = _compare_sides(time, a, a_version, b, b_version, split_at)
        return compare_sides(
            source, q_.project_id, side_a, side_b, min_n=min_n, score_name=score_name
        )

    @router.get("/prompts/{template_hash}", summary="One template: text, variables, worst calls")
    def prompt(
        q_: Reader,
        source: Source,
        template_hash: Annotated[str, Path(pattern=TEMPLATE_HASH_PATTERN)],
        top_values: Annotated[int, Query(ge=1, le=50)] = 5,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        variable_calls: Annotated[
            int,
            Query(
                ge=0,
                description="Read variables from about this many of the latest calls "
                "(0: every call); `variables_sample` says which were read",
            ),
        ] = VARIABLE_CALLS,
        start: str | None = _START,
        end: str | None = _END,
        since: str | None = _SINCE,
    ) -> dict[str, Any]:
        time = parse_time_range(start, end, since)
        return template_detail(
            source,
            q_.project_id,
            time,
            template_hash,
            top_values=top_values,
            limit=limit,
            variable_calls=variable_calls or None,
        )

    @router.get("/users/degraded", summary="Users significantly worse off than the rest")
    def users_degraded(
        q_: Reader,
        source: Source,
        min_n: Annotated[int, Query(ge=2)] = MIN_SAMPLES,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        start: str | None = _START,
        end: str | None = _END,
        since: str | None = _SINCE,
    ) -> dict[str, Any]:
        time = parse_time_range(start, end, since)
        return degraded_users(source, q_.project_id, time, min_n=min_n, limit=limit)

    @router.get(
        "/users/{user_id:path}/usage", summary="A user's cost, tokens and requests over time"
    )
    def user_usage(
        q_: Reader,
        source: Source,
        user_id: str,
        bucket: Literal["1h", "1d"] = "1h",
        start: str | None = _START,
        end: str | None = _END,
        since: str | None = _SINCE,
    ) -> dict[str, Any]:
        time = parse_time_range(start, end, since)
        return usage_dict(source, q_.project_id, user_id, time, bucket)

    @router.get("/costs", summary="Cost and tokens per feature and bucket, projections, savings")
    def costs(
        request: Request,
        q_: Reader,
        source: Source,
        by: Literal[
            "tag", "service_name", "workflow_name", "prompt_template_hash", "model", "user_id"
        ] = "model",
        bucket: Literal["1h", "1d"] | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        start: str | None = _START,
        end: str | None = _END,
        since: str | None = _SINCE,
    ) -> dict[str, Any]:
        time = parse_time_range(start, end, since)
        return cost_report(
            source,
            q_.project_id,
            time,
            by=by,
            bucket=bucket,
            calculator=_calculator(request),
            limit=limit,
        )

    @router.get("/context-pressure", summary="Context-window utilization per model and template")
    def pressure(
        q_: Reader,
        source: Source,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        start: str | None = _START,
        end: str | None = _END,
        since: str | None = _SINCE,
    ) -> dict[str, Any]:
        time = parse_time_range(start, end, since)
        return context_pressure(source, q_.project_id, time, limit=limit)

    return router
