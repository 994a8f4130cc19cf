"""The one error root of heron and its few subclasses per layer.

::

    HeronError                     anything heron raises on purpose
    ├── ConfigError                a setting is missing, malformed or unsafe
    ├── IngestError                an OTLP request cannot be accepted
    │   ├── InvalidPayloadError    not a valid OTLP request (HTTP 400 / INVALID_ARGUMENT)
    │   ├── PayloadTooLargeError   the body exceeds the size limit (HTTP 413)
    │   ├── UnsupportedMediaError  the content type is not an OTLP encoding (HTTP 415)
    │   └── BackpressureError      WAL over its budget: retry later (429 / RESOURCE_EXHAUSTED)
    │       └── RateLimitedError   a key (or project) sent more than its rate limit (HTTP 429)
    ├── WalError                   the write-ahead log is corrupt or not writable
    ├── StoreError                 the telemetry or metadata store failed
    │   └── NotFoundError          the requested object does not exist (in this project)
    ├── QueryError                 a query parameter is invalid (HTTP 400)
    ├── AuthError                  missing or invalid credentials (HTTP 401)
    │   └── ForbiddenError         the key's role does not allow this (HTTP 403)
    ├── MissingExtraError          an optional dependency is not installed
    └── JudgeError                 an LLM judge call failed (HTTP, timeout, refusal, bad answer)

Every message names the bad value, the likely cause and the fix, because the
person reading it is usually an operator at 2 AM, not the author.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "BackpressureError",
    "ConfigError",
    "ForbiddenError",
    "HeronError",
    "IngestError",
    "InvalidPayloadError",
    "JudgeError",
    "MissingExtraError",
    "NotFoundError",
    "PayloadTooLargeError",
    "QueryError",
    "RateLimitedError",
    "StoreError",
    "UnsupportedMediaError",
    "WalError",
]


class HeronError(Exception):
    """Root of every error heron raises deliberately."""


class ConfigError(HeronError):
    """A setting is missing, malformed or unsafe."""


class IngestError(HeronError):
    """An OTLP request cannot be accepted."""


class InvalidPayloadError(IngestError):
    """The body is not a valid OTLP request; the message says which part is wrong."""


class PayloadTooLargeError(IngestError):
    """The request body is larger than the configured limit."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"request body is {size} bytes, over the limit of {limit} bytes; "
            "send smaller batches (lower the exporter's max export batch size) "
            "or raise HERON_MAX_BODY_BYTES"
        )
        self.size = size
        self.limit = limit


class UnsupportedMediaError(IngestError):
    """The content type is not one of the OTLP encodings heron accepts."""


class BackpressureError(IngestError):
    """The write-ahead log is over its budget; the client should retry after a delay."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RateLimitedError(BackpressureError):
    """A key (or, with auth off, a project) is over its request or span rate limit.

    A subclass of :class:`BackpressureError` so every transport already answers
    it with 429 / RESOURCE_EXHAUSTED and a retry delay.
    """


class WalError(HeronError):
    """The write-ahead log is corrupt or cannot be written."""


class StoreError(HeronError):
    """The telemetry or metadata store failed."""


class NotFoundError(StoreError):
    """The requested object does not exist in the caller's project."""


class QueryError(HeronError):
    """A query parameter is invalid."""


class AuthError(HeronError):
    """Credentials are missing or invalid."""


class ForbiddenError(AuthError):
    """The credentials are valid but their role does not allow the operation."""


class MissingExtraError(HeronError):
    """An optional dependency is missing; the message has the exact install line."""

    def __init__(self, feature: str, extra: str) -> None:
        super().__init__(f"{feature} needs an optional dependency: pip install 'heron[{extra}]'")


class JudgeError(HeronError):
    """An LLM judge call failed; ``reason`` is a short machine-readable cause.

    Evaluators turn it into an ``unclear`` result carrying the message, so a
    failing judge never crashes an eval worker and never yields a made-up score.
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
