"""Maps heron errors to HTTP responses in one place; internals never leak to clients."""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from heron.errors import (
    AuthError,
    BackpressureError,
    ConfigError,
    ForbiddenError,
    HeronError,
    InvalidPayloadError,
    NotFoundError,
    PayloadTooLargeError,
    QueryError,
    StoreError,
    UnsupportedMediaError,
)

__all__ = ["install_error_handlers", "status_for"]

log = structlog.get_logger(__name__)

_STATUS: tuple[tuple[type[HeronError], int], ...] = (
    (NotFoundError, 404),
    (ForbiddenError, 403),
    (AuthError, 401),
    (QueryError, 400),
    (InvalidPayloadError, 400),
    (PayloadTooLargeError, 413),
    (UnsupportedMediaError, 415),
    (BackpressureError, 429),
    (ConfigError, 400),
    (StoreError, 503),
)


def status_for(exc: HeronError) -> int:
    """The HTTP status for a heron error (500 for anything unexpected)."""
    for cls, code in _STATUS:
        if isinstance(exc, cls):
            return code
    return 500


def install_error_handlers(app: FastAPI) -> None:
    """Register the HeronError handler and a catch-all that hides tracebacks."""

    async def on_heron_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HeronError)
        code = status_for(exc)
        headers: dict[str, str] = {}
        if isinstance(exc, BackpressureError):
            headers["Retry-After"] = str(exc.retry_after_s)
        if isinstance(exc, AuthError) and not isinstance(exc, ForbiddenError):
            headers["WWW-Authenticate"] = "Bearer"
        if code >= 500:
            log.error("request_failed", path=request.url.path, error=str(exc))
            detail = "the store is unavailable; see the server log" if code == 503 else str(exc)
        else:
            detail = str(exc)
        return JSONResponse({"detail": detail}, status_code=code, headers=headers)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path)
        return JSONResponse({"detail": "internal error; see the server log"}, status_code=500)

    app.add_exception_handler(HeronError, on_heron_error)
    app.add_exception_handler(Exception, on_unexpected)
