"""Prompt templates: calls, errors, latency and cost per template, worst first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from heron.model import StatsQuery, StatsRow
from heron.query import ProjectQueries
from heron.ui.params import RANGE_PRESETS, parse_time_choice
from heron.ui.render import Renderer

__all__ = ["register", "worst_first"]


def worst_first(rows: list[StatsRow]) -> list[StatsRow]:
    """Templates ordered by error rate, then p95 latency, then cost (all descending)."""
    return sorted(
        rows,
        key=lambda r: (
            -r.error_rate,
            -(r.latency_p95_ms or 0.0),
            -float(r.cost_usd or 0),
            str(r.group.get("prompt_template_hash") or ""),
        ),
    )


def register(router: APIRouter, renderer: Renderer) -> None:
    """Add ``/prompts``."""

    @router.get("/prompts", include_in_schema=False)
    async def prompts_page(request: Request) -> Response:
        params = dict(request.query_params)

        def build(queries: ProjectQueries) -> Response:
            choice = parse_time_choice(params)
            rows = queries.stats(StatsQuery(time=choice.time, group_by=("prompt_template_hash",)))
            templated = [r for r in rows if r.group.get("prompt_template_hash")]
            untemplated = [r for r in rows if not r.group.get("prompt_template_hash")]
            return renderer.page(
                request,
                "prompts.html",
                choice=choice,
                presets=RANGE_PRESETS,
                templates=worst_first(templated),
                untemplated_calls=sum(r.requests for r in untemplated),
            )

        return await renderer.serve(request, build)
