"""The composition root: ``create_app(settings)`` wires every component of heron.

Nothing else in heron constructs stores, the WAL or background workers; tests
and the CLI come through here, so the wiring below is the map of the system.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import structlog
from fastapi import FastAPI, Request
from prometheus_client import CollectorRegistry

from heron import __version__
from heron.api.admin import admin_router
from heron.api.alerts import install_alerting
from heron.api.analytics import analytics_router
from heron.api.context import AppContext, app_context, authorizer
from heron.api.errors import install_error_handlers
from heron.api.evals import install_evals
from heron.api.health import health_router
from heron.api.login import login_router
from heron.api.metrics import metrics_router
from heron.api.otlp import otlp_router
from heron.api.rest import rest_router
from heron.auth import Authenticator, check_bind_safety, decide_auth_required
from heron.config import Settings
from heron.health import IngestHealth
from heron.ingest import Flusher, IngestCounters, Ingestor, WriteAheadLog, start_grpc_server
from heron.metrics import LlmMetrics
from heron.normalize import Normalizer, normalize_logs
from heron.protocols import BackgroundService
from heron.security import IngestGuard, retention_days_for
from heron.store import ClickHouseTelemetryStore, open_meta_store
from heron.store.meta.evals import queue_depth as eval_queue_depth
from heron.store.telemetry import parse_store_url
from heron.store.telemetry.analytics import TelemetryAnalytics
from heron.ui import ui_router

__all__ = ["Components", "build_components", "create_app"]

log = structlog.get_logger(__name__)


@dataclass
class Components:
    """Everything a running heron owns, in start order."""

    settings: Settings
    context: AppContext
    wal: WriteAheadLog
    flusher: Flusher
    ingestor: Ingestor
    counters: IngestCounters
    metrics: LlmMetrics
    background: list[BackgroundService] = field(default_factory=list)


def build_components(settings: Settings) -> Components:
    """Open stores and the WAL and wire the ingest pipeline (no threads started yet)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    meta = open_meta_store(settings.resolved_meta_url, data_dir=settings.data_dir)
    meta.migrate()
    retention = retention_days_for(meta)
    store = ClickHouseTelemetryStore(
        parse_store_url(settings.resolved_store_url), retention_days_for=retention
    )
    store.migrate()
    guard = IngestGuard.from_settings(meta, settings)
    default_project = meta.ensure_project(settings.default_project)
    auth_required = decide_auth_required(settings, meta)
    check_bind_safety(settings.host, meta, auth_required=auth_required)
    authenticator = Authenticator(
        meta, auth_required=auth_required, default_project_id=default_project.id
    )
    normalizer = Normalizer(
        prices_file=settings.prices_file,
        context_windows_file=settings.context_windows_file,
        capture_content=settings.capture_content,
        trace_cache_size=settings.trace_cache_traces,
        trace_cache_bytes=settings.trace_cache_mib * 1024 * 1024,
    )
    wal = WriteAheadLog.open(settings)
    counters = IngestCounters()
    depth = functools.partial(eval_queue_depth, meta.engine)
    metrics = LlmMetrics(
        CollectorRegistry(), health=IngestHealth(counters, wal, eval_queue_depth=depth)
    )
    context = AppContext(settings=settings, store=store, meta=meta, authenticator=authenticator)
    flusher = Flusher(
        wal,
        normalizer.normalize,
        store,
        settings=settings,
        observers=[metrics.observe_spans],
        logs_sink=lambda project_id, request: store.insert_logs(
            normalize_logs(project_id, request)
        ),
        counters=counters,
    )
    ingestor = Ingestor(
        wal, settings, counters=counters, prepare_traces=guard.traces, prepare_logs=guard.logs
    )
    context.extras["ingest_guard"] = guard  # the admin API invalidates its policy cache
    context.extras["retention_lookup"] = retention
    context.extras["analytics"] = TelemetryAnalytics(store)
    context.score_observers.append(metrics.observe_scores)
    context.ready_checks.append(store.ping)
    context.ready_checks.append(meta.ping)
    context.ready_checks.append(wal.check_writable)
    return Components(settings, context, wal, flusher, ingestor, counters, metrics)


def create_app(settings: Settings, components: Components | None = None) -> FastAPI:
    """The FastAPI app of heron, with the ingest pipeline started by its lifespan."""
    comp = components or build_components(settings)

    guard: IngestGuard = comp.context.extras["ingest_guard"]

    async def resolve_project(request: Request) -> str:
        ctx = app_context(request)
        principal = ctx.authenticator.authenticate(request.headers.get("authorization"))
        ctx.authenticator.require(principal, "ingest")
        guard.check_request(principal)
        return principal.project_id

    async def resolve_grpc_project(grpc_context: Any) -> str:
        metadata = dict(grpc_context.invocation_metadata() or ())
        principal = comp.context.authenticator.authenticate(metadata.get("authorization"))
        comp.context.authenticator.require(principal, "ingest")
        guard.check_request(principal)
        return principal.project_id

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        comp.flusher.start()
        for service in comp.background:
            service.start()
        grpc_server = None
        if settings.grpc_port:
            grpc_server = await start_grpc_server(
                comp.ingestor, settings.host, settings.grpc_port, resolve_grpc_project
            )
        if comp.context.authenticator.auth_required:
            log.info("heron_started", auth="on")
        else:
            log.warning(
                "heron_started",
                auth="off",
                note=f"auth is OFF: every local caller acts as admin of project "
                f"{settings.default_project!r}; this is allowed only on loopback. "
                "Create a key (heron keys create --project NAME --role admin) to turn it on",
            )
        try:
            yield
        finally:
            if grpc_server is not None:
                await grpc_server.stop(grace=2)
            for service in reversed(comp.background):
                await asyncio.to_thread(service.stop)
            await asyncio.to_thread(comp.flusher.stop)
            comp.wal.close()
            comp.context.store.close()
            comp.context.meta.close()

    app = FastAPI(
        title="heron",
        version=__version__,
        description="LLM observability: OTLP ingest, normalized LLM spans, REST API.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.heron = comp.context
    app.state.components = comp
    install_error_handlers(app)
    app.include_router(health_router())
    app.include_router(otlp_router(comp.ingestor, resolve_project))
    app.include_router(rest_router())
    app.include_router(analytics_router())
    app.include_router(admin_router())
    app.include_router(login_router())
    app.include_router(metrics_router(comp.metrics, authorizer("read")))
    app.include_router(ui_router())
    install_alerting(app, comp)
    install_evals(app, comp)
    return app
