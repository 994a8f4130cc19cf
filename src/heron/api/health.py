"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from heron.api.context import app_context
from heron.errors import HeronError

__all__ = ["health_router"]


def health_router() -> APIRouter:
    """``/healthz`` (process alive) and ``/readyz`` (store reachable, WAL writable)."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is alive")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="The store answers and the WAL is writable")
    def readyz(request: Request) -> JSONResponse:
        ctx = app_context(request)
        problems: list[str] = []
        for check in ctx.ready_checks:
            try:
                check()
            except (HeronError, OSError) as exc:
                problems.append(str(exc))
        if problems:
            return JSONResponse({"status": "unavailable", "problems": problems}, status_code=503)
        return JSONResponse({"status": "ready"})

    return router
