"""Prompt templates: the list with their stats (worst first) and one template's page.

Both read through the analytics layer the REST API uses (``heron.analytics``:
``list_templates``, ``template_detail``, ``compare_sides``), bound to the
caller's project and the selected time range.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import Response

from heron.analytics import compare_sides, list_templates, template_detail
from heron.analytics.stats import ALPHA, MIN_SAMPLES
from heron.api.analytics import analytics_source
from heron.errors import NotFoundError, QueryError
from heron.model import StatsQuery
from heron.query import ProjectQueries
from heron.ui.params import RANGE_PRESETS, parse_time_choice
from heron.ui.prompt_compare import HASH_PATTERN, compare_rows, plan_comparison
from heron.ui.render import Renderer

__all__ = ["SORTS", "register", "worst_first"]

SORTS: Final[dict[str, tuple[str, str]]] = {
    "worst": ("Worst first", ""),
    "calls": ("Most calls", "desc"),
    "error_rate": ("Error rate", "desc"),
    "avg_score": ("Lowest quality", "asc"),
    "latency_p95_ms": ("Slowest (p95)", "desc"),
    "cost_per_call_usd": ("Cost per call", "desc"),
    "last_seen": ("Recently used", "desc"),
}
"""Sort choices of the list: label and the order passed to ``list_templates``."""
_LIST_LIMIT: Final = 500


def _badness(row: Mapping[str, Any]) -> tuple[float, float, float, float]:
    score = row["avg_score"]
    return (
        float(row["error_rate"] or 0.0),
        1.0 - float(score) if score is not None else 0.0,
        float(row["latency_p95_ms"] or 0.0),
        float(row["cost_per_call_usd"] or 0.0),
    )


def worst_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Templates by error rate, then lowest mean score, then p95 latency, then cost per call."""
    ordered = sorted(rows, key=lambda r: str(r["prompt_template_hash"]))
    return sorted(ordered, key=_badness, reverse=True)


def register(router: APIRouter, renderer: Renderer) -> None:
    """Add ``/prompts`` and ``/prompts/{template_hash}``."""

    @router.get("/prompts", include_in_schema=False)
    async def prompts_page(request: Request) -> Response:
        params = dict(request.query_params)

        def build(queries: ProjectQueries) -> Response:
            choice = parse_time_choice(params)
            sort = params.get("sort") or "worst"
            if sort not in SORTS:
                raise QueryError(
                    f"cannot sort templates by {sort!r}; use one of {', '.join(SORTS)}"
                )
            source = analytics_source(request)
            field, order = ("calls", "desc") if sort == "worst" else (sort, SORTS[sort][1])
            rows = list_templates(
                source, queries.project_id, choice.time, sort=field, order=order, limit=_LIST_LIMIT
            )
            untemplated = 0
            if not rows:
                # Only for the empty state: how many LLM calls could have carried a template.
                stats = queries.stats(
                    StatsQuery(time=choice.time, group_by=("prompt_template_hash",))
                )
                untemplated = sum(
                    r.requests for r in stats if not r.group.get("prompt_template_hash")
                )
            return renderer.page(
                request,
                "prompts.html",
                choice=choice,
                presets=RANGE_PRESETS,
                templates=worst_first(rows) if sort == "worst" else rows,
                sort=sort,
                sorts=SORTS,
                untemplated_calls=untemplated,
            )

        return await renderer.serve(request, build)

    @router.get("/prompts/{template_hash}", include_in_schema=False)
    async def prompt_page(request: Request, template_hash: str) -> Response:
        params = dict(request.query_params)

        def build(queries: ProjectQueries) -> Response:
            if not HASH_PATTERN.match(template_hash):
                raise QueryError(
                    f"{template_hash!r} is not a prompt template hash (letters, digits, _.:-)"
                )
            choice = parse_time_choice(params)
            source = analytics_source(request)
            try:
                detail = template_detail(source, queries.project_id, choice.time, template_hash)
            except NotFoundError:
                # An honest empty state that keeps the range selector to widen it.
                return renderer.page(
                    request,
                    "prompt.html",
                    status_code=404,
                    choice=choice,
                    presets=RANGE_PRESETS,
                    template_hash=template_hash,
                    t=None,
                )
            compare_error: str | None = None
            plan = rows = result = None
            try:
                plan = plan_comparison(template_hash, detail["versions"], choice.time, params)
                if plan is not None:
                    result = compare_sides(source, queries.project_id, plan.a, plan.b)
                    rows = compare_rows(result)
            except QueryError as exc:
                compare_error = str(exc)
            return renderer.page(
                request,
                "prompt.html",
                choice=choice,
                presets=RANGE_PRESETS,
                template_hash=template_hash,
                t=detail,
                plan=plan,
                compare=result,
                compare_rows=rows,
                compare_error=compare_error,
                vs=params.get("vs", ""),
                alpha=ALPHA,
                min_n=MIN_SAMPLES,
            )

        return await renderer.serve(request, build)
