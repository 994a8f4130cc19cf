"""OTLP/gRPC receivers: ``TraceService/Export`` and ``LogsService/Export`` on ``grpc.aio``.

Errors map to the status codes the OTLP exporters understand: INVALID_ARGUMENT (do not
retry), RESOURCE_EXHAUSTED with a ``google.rpc.RetryInfo`` detail (retry after the
delay), UNAUTHENTICATED / PERMISSION_DENIED, UNAVAILABLE when the WAL cannot be written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import NoReturn

import grpc
import structlog
from google.rpc import code_pb2, error_details_pb2, status_pb2  # type: ignore[import-untyped]
from grpc_status import rpc_status
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2_grpc
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from heron.errors import (
    AuthError,
    BackpressureError,
    ConfigError,
    ForbiddenError,
    HeronError,
    IngestError,
    StoreError,
    WalError,
)
from heron.ingest.service import Ingestor

__all__ = ["ResolveGrpcProject", "start_grpc_server"]

ResolveGrpcProject = Callable[[grpc.aio.ServicerContext], Awaitable[str]]
"""Authenticates a call (from its metadata) and names its project; raises AuthError."""

log = structlog.get_logger("heron.ingest.grpc")

_UNAVAILABLE_RETRY_S = 5


async def start_grpc_server(
    ingestor: Ingestor, host: str, port: int, resolve_project: ResolveGrpcProject
) -> grpc.aio.Server:
    """Start an OTLP/gRPC server on ``host:port`` (port 0 picks a free one); returns it.

    Stop it with ``await server.stop(grace)``.
    """
    server = grpc.aio.server(
        options=[
            # gRPC's own 4 MiB default would refuse batches the HTTP receiver accepts.
            ("grpc.max_receive_message_length", ingestor.max_body_bytes),
            # Without this a second server silently shares the port and half the traffic.
            ("grpc.so_reuseport", 0),
        ],
    )
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(  # type: ignore[no-untyped-call]
        _TraceService(ingestor, resolve_project), server
    )
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(  # type: ignore[no-untyped-call]
        _LogsService(ingestor, resolve_project), server
    )
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        bound = server.add_insecure_port(address)
    except RuntimeError as exc:  # grpc's way of saying bind() failed
        raise ConfigError(
            f"cannot listen for OTLP/gRPC on {address}: the port is in use or the address "
            "is not local; choose another with HERON_GRPC_PORT (0 disables gRPC)"
        ) from exc
    await server.start()
    log.info("grpc.started", address=f"{host}:{bound}")
    return server


class _TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, ingestor: Ingestor, resolve_project: ResolveGrpcProject) -> None:
        self._ingestor = ingestor
        self._resolve = resolve_project

    async def Export(  # the generated servicer names it
        self, request: ExportTraceServiceRequest, context: grpc.aio.ServicerContext
    ) -> ExportTraceServiceResponse:
        try:
            project_id = await self._resolve(context)
            return await self._ingestor.ingest_traces_request(project_id, request)
        except HeronError as exc:
            await _abort(context, exc)


class _LogsService(logs_service_pb2_grpc.LogsServiceServicer):
    def __init__(self, ingestor: Ingestor, resolve_project: ResolveGrpcProject) -> None:
        self._ingestor = ingestor
        self._resolve = resolve_project

    async def Export(  # the generated servicer names it
        self, request: ExportLogsServiceRequest, context: grpc.aio.ServicerContext
    ) -> ExportLogsServiceResponse:
        try:
            project_id = await self._resolve(context)
            return await self._ingestor.ingest_logs_request(project_id, request)
        except HeronError as exc:
            await _abort(context, exc)


async def _abort(context: grpc.aio.ServicerContext, exc: HeronError) -> NoReturn:
    code, retry_after = _code_of(exc)
    message = str(exc)
    if code == code_pb2.UNAVAILABLE:
        log.error("grpc.ingest_failed", error=message)
        message = "heron cannot accept data right now; see the server log"
    rpc = status_pb2.Status(code=code, message=message)
    if retry_after is not None:
        info = error_details_pb2.RetryInfo()
        info.retry_delay.seconds = retry_after
        rpc.details.add().Pack(info)
    await context.abort_with_status(rpc_status.to_status(rpc))
    raise AssertionError("abort_with_status returned")  # pragma: no cover - it always raises


def _code_of(exc: HeronError) -> tuple[int, int | None]:
    """(google.rpc.Code, retry delay seconds or None) for an ingest-path error."""
    if isinstance(exc, BackpressureError):
        return code_pb2.RESOURCE_EXHAUSTED, exc.retry_after_s
    if isinstance(exc, ForbiddenError):
        return code_pb2.PERMISSION_DENIED, None
    if isinstance(exc, AuthError):
        return code_pb2.UNAUTHENTICATED, None
    if isinstance(exc, IngestError):
        return code_pb2.INVALID_ARGUMENT, None
    if isinstance(exc, WalError | StoreError):
        return code_pb2.UNAVAILABLE, _UNAVAILABLE_RETRY_S
    return code_pb2.INTERNAL, None
