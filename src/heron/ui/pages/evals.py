"""Evals: quality over time and the recently scored traces."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from heron.api.context import app_context
from heron.evals.rules import EvalRule
from heron.model import StatsQuery
from heron.query import MAX_PAGE, ProjectQueries
from heron.store.meta.evals import list_eval_rules
from heron.ui.charts import histogram
from heron.ui.pages.dashboard import quality_charts
from heron.ui.params import RANGE_PRESETS, parse_time_choice
from heron.ui.render import Renderer
from heron.ui.timeseries import bucket_for

__all__ = ["register"]


SHOWN = 50  # rows of the "recently scored" table; the distribution uses up to MAX_PAGE


def register(router: APIRouter, renderer: Renderer) -> None:
    """Add ``/evals``."""

    @router.get("/evals", include_in_schema=False)
    async def evals_page(request: Request) -> Response:
        params = dict(request.query_params)

        def build(queries: ProjectQueries) -> Response:
            choice = parse_time_choice(params)
            bucket = bucket_for(choice.time)
            rows = queries.stats(StatsQuery(time=choice.time, bucket=bucket))
            # The most recently scored traces, read from the scores they have.
            scored = queries.recently_scored(choice.time, MAX_PAGE)
            # One meta-store read; the rule objects are built as the REST API builds them.
            records = list_eval_rules(app_context(request).meta.engine, queries.project_id)
            rules = [
                EvalRule.from_record(r.project_id, r.id, r.name, r.definition, r.enabled)
                for r in records
            ]
            values = [t.eval_score for t in scored if t.eval_score is not None]
            distribution = histogram(
                values, title="Eval score distribution (recent traces)", unit="score", bins=10
            )
            return renderer.page(
                request,
                "evals.html",
                choice=choice,
                presets=RANGE_PRESETS,
                charts=quality_charts(rows, choice.time, bucket),
                scored=scored[:SHOWN],
                rules=rules,
                distribution=distribution if values else None,
                has_scores=any(r.avg_score is not None for r in rows) or bool(scored),
            )

        return await renderer.serve(request, build)
