"""The user list and one user's cost, requests, errors and quality over time."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from heron.model import StatsQuery, TraceFilter
from heron.query import ProjectQueries
from heron.ui.charts import line_chart
from heron.ui.params import RANGE_PRESETS, parse_time_choice
from heron.ui.render import Renderer
from heron.ui.timeseries import bucket_for, total_series

__all__ = ["register"]

PAGE_SIZE = 50
RECENT_TRACES = 20


def register(router: APIRouter, renderer: Renderer) -> None:
    """Add ``/users`` and ``/users/{user_id}``."""

    @router.get("/users", include_in_schema=False)
    async def users_page(request: Request) -> Response:
        params = dict(request.query_params)

        def build(queries: ProjectQueries) -> Response:
            choice = parse_time_choice(params)
            cursor = params.get("cursor") or None
            page = queries.users(choice.time, cursor, PAGE_SIZE)
            next_params = {**choice.params(), "cursor": page.next_cursor or ""}
            return renderer.page(
                request,
                "users.html",
                choice=choice,
                presets=RANGE_PRESETS,
                users=page.items,
                next_params=next_params if page.next_cursor else None,
                first_params=choice.params() if cursor else None,
            )

        return await renderer.serve(request, build)

    @router.get("/users/{user_id:path}", include_in_schema=False)
    async def user_page(request: Request, user_id: str) -> Response:
        params = dict(request.query_params)

        def build(queries: ProjectQueries) -> Response:
            choice = parse_time_choice(params, default="7d")
            time, bucket = choice.time, bucket_for(choice.time)
            rows = queries.stats(StatsQuery(time=time, bucket=bucket, user_id=user_id))
            recent = queries.traces(TraceFilter(time=time, user_id=user_id), None, RECENT_TRACES)
            costs = [r.cost_usd for r in rows if r.cost_usd is not None]
            requests = sum(r.requests for r in rows)
            errors = sum(r.errors for r in rows)
            scored = [r for r in rows if r.avg_score is not None]
            totals = {
                "requests": requests,
                "errors": errors,
                "error_rate": errors / requests if requests else None,
                "tokens": sum(r.total_tokens for r in rows),
                "cost": sum(costs) if costs else None,
                "avg_score": (
                    sum((r.avg_score or 0.0) * r.requests for r in scored)
                    / sum(r.requests for r in scored)
                    if scored
                    else None
                ),
            }
            charts = [
                line_chart(
                    [total_series(rows, "cost", lambda r: r.cost_usd, time, bucket, 0.0)],
                    title=f"Cost per {bucket}",
                    start=time.start,
                    end=time.end,
                    unit="cost",
                    area=True,
                ),
                line_chart(
                    [
                        total_series(rows, "requests", lambda r: r.requests, time, bucket, 0.0),
                        total_series(rows, "errors", lambda r: r.errors, time, bucket, 0.0),
                    ],
                    title=f"LLM requests and errors per {bucket}",
                    start=time.start,
                    end=time.end,
                    unit="count",
                ),
                line_chart(
                    [total_series(rows, "avg score", lambda r: r.avg_score, time, bucket, None)],
                    title="Quality: average eval score",
                    start=time.start,
                    end=time.end,
                    unit="score",
                    empty_message="No eval scores for this user's calls in this range",
                ),
            ]
            return renderer.page(
                request,
                "user.html",
                user_id=user_id,
                choice=choice,
                presets=RANGE_PRESETS,
                totals=totals,
                charts=charts,
                traces=recent.items,
                bucket=bucket,
            )

        return await renderer.serve(request, build)
