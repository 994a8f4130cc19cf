"""Alerts and Settings: rule states and history; the project, its keys and its data policy."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import Response

from heron.alerts import METRIC_UNITS
from heron.alerts.persistence import MetaAlertStore
from heron.api.context import app_context
from heron.query import ProjectQueries
from heron.security.pii import PII_KINDS
from heron.ui.pages import keys, project_form
from heron.ui.render import Renderer

__all__ = ["register", "store_engine"]


def store_engine(url: str) -> str:
    """The engine of a store URL without host, user or password (``chdb``, ``postgresql``)."""
    scheme = urlsplit(url).scheme or "file"
    return scheme.split("+", 1)[0]


_STATE_ORDER = {"firing": 0, "pending": 1, "ok": 2}
"""Firing rules first: the page answers "what is wrong now" before "what exists"."""


def _state(state: object) -> str:
    return str(getattr(state, "state", "ok"))


def register(router: APIRouter, renderer: Renderer) -> None:
    """Add ``/alerts`` and ``/settings``."""

    @router.get("/alerts", include_in_schema=False)
    async def alerts_page(request: Request) -> Response:
        def build(queries: ProjectQueries) -> Response:
            store = app_context(request).extras.get("alerts")
            if not isinstance(store, MetaAlertStore):
                # Alerting not installed in this app: the page explains how to enable it.
                return renderer.page(
                    request, "alerts.html", installed=False, rules=[], events=[], units={}
                )
            # Two meta-store reads: rules with their state, and the recent history.
            rules = store.states(queries.project_id)
            events = store.events(queries.project_id, limit=100)
            return renderer.page(
                request,
                "alerts.html",
                installed=True,
                rules=sorted(rules, key=lambda r: (_STATE_ORDER.get(_state(r[1]), 3), r[0].name)),
                events=events,
                units=METRIC_UNITS,
            )

        return await renderer.serve(request, build)

    async def settings_page(request: Request, **extra: Any) -> Response:
        def build(queries: ProjectQueries) -> Response:
            ctx = app_context(request)
            settings = ctx.settings
            # Metadata reads (project, key list without secrets) come from the meta store.
            project = ctx.meta.get_project(queries.project_id)
            keys = ctx.meta.list_keys(queries.project_id)
            form = extra.get("project_form") or project_form.ProjectForm.of_project(
                project, settings
            )
            return renderer.page(
                request,
                "settings.html",
                status_code=extra.get("status_code", 200),
                project=project,
                project_form=form,
                project_error=extra.get("project_error"),
                flash=project_form.FLASHES.get(request.query_params.get("saved", "")),
                pii_kinds=PII_KINDS,
                max_retention_days=project_form.MAX_RETENTION_DAYS,
                server_capture=settings.capture_content,
                keys=sorted(keys, key=lambda k: (not k.active, k.created_at)),
                auth_required=ctx.authenticator.auth_required,
                store_engine=store_engine(settings.resolved_store_url),
                meta_engine=store_engine(settings.resolved_meta_url),
                base_url=str(request.base_url).rstrip("/"),
                new_key=extra.get("new_key"),
                new_secret=extra.get("new_secret"),
            )

        return await renderer.serve(request, build)

    @router.get("/settings", include_in_schema=False)
    async def settings_get(request: Request) -> Response:
        return await settings_page(request)

    keys.register(router, renderer, settings_page)
    project_form.register(router, renderer, settings_page)
