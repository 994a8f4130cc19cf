"""The session list and a session's traces as a conversation timeline."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from heron.model import SessionSummary, TraceSummary
from heron.query import ProjectQueries
from heron.ui.params import RANGE_PRESETS, parse_time_choice
from heron.ui.render import Renderer

__all__ = ["register"]

PAGE_SIZE = 50
# Turns per page of a session's timeline.
TIMELINE_PAGE = 100


def _summary_of(session_id: str, traces: list[TraceSummary]) -> SessionSummary:
    """The totals of a session whose traces all fit on one page, without another read."""
    costs = [t.cost_usd for t in traces if t.cost_usd is not None]
    users = [t.user_id for t in traces if t.user_id]
    return SessionSummary(
        session_id=session_id,
        user_id=users[0] if users else None,
        trace_count=len(traces),
        first_seen=traces[0].start_time,
        last_seen=max(t.start_time + timedelta(milliseconds=t.duration_ms) for t in traces),
        total_tokens=sum(t.total_tokens for t in traces),
        cost_usd=sum(costs) if costs else None,
        error_count=sum(1 for t in traces if t.error),
    )


def register(router: APIRouter, renderer: Renderer) -> None:
    """Add ``/sessions`` and ``/sessions/{session_id}``."""

    @router.get("/sessions", include_in_schema=False)
    async def sessions_page(request: Request) -> Response:
        params = dict(request.query_params)

        def build(queries: ProjectQueries) -> Response:
            choice = parse_time_choice(params)
            cursor = params.get("cursor") or None
            page = queries.sessions(choice.time, cursor, PAGE_SIZE)
            next_params = {**choice.params(), "cursor": page.next_cursor or ""}
            return renderer.page(
                request,
                "sessions.html",
                choice=choice,
                presets=RANGE_PRESETS,
                sessions=page.items,
                next_params=next_params if page.next_cursor else None,
                first_params=choice.params() if cursor else None,
            )

        return await renderer.serve(request, build)

    @router.get("/sessions/{session_id:path}", include_in_schema=False)
    async def session_page(request: Request, session_id: str) -> Response:
        params = dict(request.query_params)

        def build(queries: ProjectQueries) -> Response:
            # A session is looked at as a whole: default to the last 30 days like the API.
            choice = parse_time_choice(params, default="30d")
            cursor = params.get("cursor") or None
            page = queries.session(session_id, choice.time, cursor, TIMELINE_PAGE)
            summary = (
                _summary_of(session_id, page.items)
                if cursor is None and page.next_cursor is None
                else queries.session_summary(session_id, choice.time)
            )
            next_params = {**choice.params(), "cursor": page.next_cursor or ""}
            return renderer.page(
                request,
                "session.html",
                session_id=session_id,
                traces=page.items,
                summary=summary,
                choice=choice,
                presets=RANGE_PRESETS,
                next_params=next_params if page.next_cursor else None,
                first_params=choice.params() if cursor else None,
            )

        return await renderer.serve(request, build)
