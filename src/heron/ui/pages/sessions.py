"""The session list and a session's traces as a conversation timeline."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from heron.query import ProjectQueries
from heron.ui.params import RANGE_PRESETS, parse_time_choice
from heron.ui.render import Renderer

__all__ = ["register"]

PAGE_SIZE = 50
# Turns per page of a session's timeline.
TIMELINE_PAGE = 100


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
            next_params = {**choice.params(), "cursor": page.next_cursor or ""}
            return renderer.page(
                request,
                "session.html",
                session_id=session_id,
                traces=page.items,
                summary=page.summary,
                choice=choice,
                presets=RANGE_PRESETS,
                next_params=next_params if page.next_cursor else None,
                first_params=choice.params() if cursor else None,
            )

        return await renderer.serve(request, build)
