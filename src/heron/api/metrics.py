"""``GET /metrics``: the Prometheus scrape endpoint."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from heron.metrics import LlmMetrics

__all__ = ["metrics_router"]


def metrics_router(
    metrics: LlmMetrics, authorize: Callable[[Request], Awaitable[object]]
) -> APIRouter:
    """A router serving ``metrics.render`` at ``/metrics`` after ``authorize(request)``.

    ``authorize`` raises (e.g. ``heron.errors.AuthError``) to refuse the scrape;
    its return value is ignored. Prometheus text or OpenMetrics is chosen from
    the ``Accept`` header, as Prometheus itself negotiates.
    """
    router = APIRouter(tags=["metrics"])

    @router.get(
        "/metrics",
        summary="Prometheus / OpenMetrics exposition of heron's LLM and health series",
        response_class=Response,
    )
    async def scrape(request: Request) -> Response:
        await authorize(request)
        # Rendering walks every series under the metrics lock: keep it off the event loop.
        body, content_type = await run_in_threadpool(metrics.render, request.headers.get("accept"))
        return Response(content=body, headers={"Content-Type": content_type})

    return router
