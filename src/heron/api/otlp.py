"""OTLP/HTTP receivers: ``POST /v1/traces`` and ``POST /v1/logs``.

Errors follow the OTLP/HTTP specification: the body is a ``google.rpc.Status`` encoded
like the request (protobuf or JSON), 429 and 503 carry ``Retry-After`` (and a
``google.rpc.RetryInfo`` detail), and the exporter retries only those.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from fastapi import APIRouter, Request, Response
from google.rpc import code_pb2, error_details_pb2, status_pb2  # type: ignore[import-untyped]

from heron.errors import (
    AuthError,
    BackpressureError,
    ForbiddenError,
    HeronError,
    IngestError,
    InvalidPayloadError,
    PayloadTooLargeError,
    StoreError,
    UnsupportedMediaError,
    WalError,
)
from heron.ingest.otlp_decode import encode_message, media_type_of, response_media_type
from heron.ingest.service import Ingestor

__all__ = ["otlp_router"]

log = structlog.get_logger("heron.api.otlp")

ResolveProject = Callable[[Request], Awaitable[str]]

# Seconds a client should wait when the WAL (disk full) or the metadata store is down.
_UNAVAILABLE_RETRY_S = 5


def otlp_router(ingestor: Ingestor, resolve_project: ResolveProject) -> APIRouter:
    """The OTLP/HTTP routes; ``resolve_project`` authenticates and names the project."""
    router = APIRouter(tags=["otlp"])

    @router.post(
        "/v1/traces",
        summary="OTLP/HTTP trace export (protobuf or JSON, optionally gzip)",
        response_class=Response,
    )
    async def export_traces(request: Request) -> Response:
        return await _handle(request, ingestor, resolve_project, ingestor.ingest_traces)

    @router.post(
        "/v1/logs",
        summary="OTLP/HTTP log export (protobuf or JSON, optionally gzip)",
        response_class=Response,
    )
    async def export_logs(request: Request) -> Response:
        return await _handle(request, ingestor, resolve_project, ingestor.ingest_logs)

    return router


_Ingest = Callable[[str, bytes, str, str | None], Awaitable[tuple[bytes, str]]]


async def _handle(
    request: Request, ingestor: Ingestor, resolve_project: ResolveProject, ingest: _Ingest
) -> Response:
    content_type = request.headers.get("content-type", "")
    try:
        project_id = await resolve_project(request)
        media_type_of(content_type)  # 415 before reading a body we could not decode
        body = await _read_body(request, ingestor.max_body_bytes)
        payload, media = await ingest(
            project_id, body, content_type, request.headers.get("content-encoding")
        )
    except HeronError as exc:
        return _error_response(exc, content_type, request.url.path)
    return Response(payload, status_code=200, media_type=media)


async def _read_body(request: Request, limit: int) -> bytes:
    """Read the body, refusing it as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise InvalidPayloadError(
                f"Content-Length {declared!r} is not a number of bytes"
            ) from None
        if size > limit:
            raise PayloadTooLargeError(size, limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            # Chunked upload without Content-Length: stop reading at the first byte over.
            raise PayloadTooLargeError(len(body), limit)
    return bytes(body)


def _error_response(exc: HeronError, content_type: str, path: str) -> Response:
    status, code = _status_of(exc)
    message = str(exc)
    headers: dict[str, str] = {}
    rpc = status_pb2.Status(code=code, message=message)
    retry_after = None
    if isinstance(exc, BackpressureError):
        retry_after = exc.retry_after_s
    elif status == 503:
        retry_after = _UNAVAILABLE_RETRY_S
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
        info = error_details_pb2.RetryInfo()
        info.retry_delay.seconds = retry_after
        rpc.details.add().Pack(info)
    if isinstance(exc, AuthError) and not isinstance(exc, ForbiddenError):
        headers["WWW-Authenticate"] = "Bearer"
    if status >= 500:
        log.error("otlp.ingest_failed", path=path, error=message)
        rpc.message = (  # internals stay in the server log
            "heron cannot write its write-ahead log; see the server log"
            if isinstance(exc, WalError)
            else "heron cannot accept data right now; see the server log"
        )
    else:
        log.info("otlp.request_refused", path=path, status=status, error=message)
    media = response_media_type(content_type)
    return Response(
        encode_message(rpc, media), status_code=status, media_type=media, headers=headers
    )


def _status_of(exc: HeronError) -> tuple[int, int]:
    """(HTTP status, google.rpc.Code) for an ingest-path error."""
    if isinstance(exc, BackpressureError):
        return 429, code_pb2.RESOURCE_EXHAUSTED
    if isinstance(exc, PayloadTooLargeError):
        return 413, code_pb2.INVALID_ARGUMENT
    if isinstance(exc, UnsupportedMediaError):
        return 415, code_pb2.INVALID_ARGUMENT
    if isinstance(exc, ForbiddenError):
        return 403, code_pb2.PERMISSION_DENIED
    if isinstance(exc, AuthError):
        return 401, code_pb2.UNAUTHENTICATED
    if isinstance(exc, IngestError):
        return 400, code_pb2.INVALID_ARGUMENT
    if isinstance(exc, WalError | StoreError):
        return 503, code_pb2.UNAVAILABLE
    return 500, code_pb2.INTERNAL
