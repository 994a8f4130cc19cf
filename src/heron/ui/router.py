"""``ui_router()``: every page of the web UI and its static files, mounted at ``/``."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from heron.ui.pages import admin, dashboard, evals, prompts, sessions, traces, users
from heron.ui.render import Renderer

__all__ = ["STATIC_DIR", "ui_router"]

STATIC_DIR = Path(__file__).parent / "static"
# One module per page group; each adds its routes. New sections go in their module.
PAGE_GROUPS = (dashboard, traces, sessions, users, prompts, evals, admin)


def ui_router(renderer: Renderer | None = None) -> APIRouter:
    """The server-rendered pages plus ``/static``; include it in the app without a prefix."""
    router = APIRouter(tags=["ui"])
    pages = renderer or Renderer()
    for group in PAGE_GROUPS:
        group.register(router, pages)
    router.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return router
