"""The trace list (filters, cursor pages, live mode) and the trace detail page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from heron.errors import HeronError, NotFoundError
from heron.model import Span
from heron.query import ProjectQueries
from heron.ui.conversation import conversation
from heron.ui.params import RANGE_PRESETS, TRACE_FILTERS, parse_trace_query
from heron.ui.render import Renderer
from heron.ui.waterfall import KIND_LABELS, trace_totals, waterfall

__all__ = ["PAGE_SIZE", "register"]

PAGE_SIZE = 50


def register(router: APIRouter, renderer: Renderer) -> None:
    """Add ``/traces`` and ``/traces/{trace_id}``."""

    @router.get("/traces", include_in_schema=False)
    async def traces_page(request: Request) -> Response:
        params = dict(request.query_params)

        def build(queries: ProjectQueries) -> Response:
            try:
                state = parse_trace_query(params)
            except HeronError as exc:
                return renderer.page(
                    request,
                    "traces.html",
                    status_code=400,
                    state=None,
                    form=params,
                    error=str(exc),
                    traces=[],
                    next_url=None,
                    presets=RANGE_PRESETS,
                    filters=TRACE_FILTERS,
                )
            page = queries.traces(state.trace_filter(), state.cursor, PAGE_SIZE)
            return renderer.page(
                request,
                "traces.html",
                state=state,
                form=params,
                error=None,
                traces=page.items,
                presets=RANGE_PRESETS,
                filters=TRACE_FILTERS,
                next_url=state.url(cursor=page.next_cursor) if page.next_cursor else None,
            )

        return await renderer.serve(request, build)

    @router.get("/traces/{trace_id}", include_in_schema=False)
    async def trace_page(request: Request, trace_id: str) -> Response:
        selected = request.query_params.get("span")
        partial = request.query_params.get("partial") == "panel"

        def build(queries: ProjectQueries) -> Response:
            detail = queries.trace_detail(trace_id)
            spans, scores = detail.spans, detail.scores
            span = _selected_span(spans, selected)
            context: dict[str, Any] = {
                "trace_id": spans[0].trace_id,
                "span": span,
                "bubbles": conversation(span),
                "span_scores": [s for s in scores if s.span_id == span.span_id],
                "logs": detail.logs,
                "kind_labels": KIND_LABELS,
            }
            if partial:
                return renderer.page(request, "_span_panel.html", **context)
            root = next((r.span for r in waterfall(spans) if r.depth == 0), spans[0])
            return renderer.page(
                request,
                "trace.html",
                root=root,
                rows=waterfall(spans),
                totals=trace_totals(spans),
                trace_scores=[s for s in scores if not s.span_id],
                all_scores=scores,
                **context,
            )

        return await renderer.serve(request, build)


def _selected_span(spans: list[Span], selected: str | None) -> Span:
    """The span named in ``?span=``, else the first LLM call, else the root."""
    if selected:
        for span in spans:
            if span.span_id == selected.lower():
                return span
        raise NotFoundError(f"span {selected!r} is not part of this trace; pick one from the list")
    ordered = [row.span for row in waterfall(spans)]
    return next((s for s in ordered if s.is_llm), ordered[0])
