"""Alerts and Settings: what exists now, and how to configure what is coming."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import Response

from heron.api.context import app_context
from heron.query import ProjectQueries
from heron.ui.render import Renderer

__all__ = ["register", "store_engine"]


def store_engine(url: str) -> str:
    """The engine of a store URL without host, user or password (``chdb``, ``postgresql``)."""
    scheme = urlsplit(url).scheme or "file"
    return scheme.split("+", 1)[0]


def register(router: APIRouter, renderer: Renderer) -> None:
    """Add ``/alerts`` and ``/settings``."""

    @router.get("/alerts", include_in_schema=False)
    async def alerts_page(request: Request) -> Response:
        def build(queries: ProjectQueries) -> Response:
            return renderer.page(request, "alerts.html", project_id=queries.project_id)

        return await renderer.serve(request, build)

    @router.get("/settings", include_in_schema=False)
    async def settings_page(request: Request) -> Response:
        def build(queries: ProjectQueries) -> Response:
            ctx = app_context(request)
            settings = ctx.settings
            # Metadata reads (project, key list without secrets) come from the meta store.
            project = ctx.meta.get_project(queries.project_id)
            keys = ctx.meta.list_keys(queries.project_id)
            return renderer.page(
                request,
                "settings.html",
                project=project,
                keys=sorted(keys, key=lambda k: (not k.active, k.created_at)),
                auth_required=ctx.authenticator.auth_required,
                store_engine=store_engine(settings.resolved_store_url),
                meta_engine=store_engine(settings.resolved_meta_url),
                base_url=str(request.base_url).rstrip("/"),
            )

        return await renderer.serve(request, build)
