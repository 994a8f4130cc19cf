"""Where the SDK sends data and what it records, resolved from arguments and environment.

Precedence, highest first: an argument given to :func:`heron_sdk.init`, the
``HERON_*`` variable, the standard ``OTEL_*`` variable, the default.

- ``endpoint``: ``HERON_ENDPOINT``, then ``OTEL_EXPORTER_OTLP_ENDPOINT``;
  default ``http://127.0.0.1:7070``.
- ``api_key``: ``HERON_API_KEY``; without one, ``OTEL_EXPORTER_OTLP_HEADERS``
  still applies to spans and logs.
- ``service_name``: ``HERON_SERVICE_NAME``, then ``OTEL_SERVICE_NAME``;
  default OTel's ``unknown_service``.
- ``capture_content``: ``HERON_CAPTURE_CONTENT``; default ``False``.
- ``sample_rate``: ``HERON_SAMPLE_RATE``; default ``1.0``.

A bad value never raises: it is logged with the fix and the default is used,
because the SDK must not break the app it observes.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["DEFAULT_ENDPOINT", "SdkSettings", "resolve_settings"]

_log = logging.getLogger("heron_sdk")

DEFAULT_ENDPOINT = "http://127.0.0.1:7070"
"""heron's default HTTP address (UI, REST API and OTLP/HTTP share one port)."""

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


@dataclass(frozen=True, slots=True)
class SdkSettings:
    """The resolved settings of one :func:`heron_sdk.init` call.

    ``endpoint`` is heron's base URL without a trailing slash; traces go to
    ``<endpoint>/v1/traces``, logs to ``<endpoint>/v1/logs`` and scores to
    ``<endpoint>/api/v1/scores``.
    """

    endpoint: str = DEFAULT_ENDPOINT
    api_key: str | None = None
    service_name: str | None = None
    capture_content: bool = False
    sample_rate: float = 1.0
    max_queue_size: int = 2048
    """Spans, log records and scores each wait in a queue at most this long; more are dropped."""

    @property
    def traces_url(self) -> str:
        """Where OTLP/HTTP spans are posted."""
        return f"{self.endpoint}/v1/traces"

    @property
    def logs_url(self) -> str:
        """Where OTLP/HTTP log records are posted."""
        return f"{self.endpoint}/v1/logs"

    @property
    def scores_url(self) -> str:
        """Where scores are posted as JSON."""
        return f"{self.endpoint}/api/v1/scores"

    def headers(self) -> dict[str, str] | None:
        """The auth header, or None so the exporters fall back to ``OTEL_EXPORTER_OTLP_HEADERS``."""
        if not self.api_key:
            return None
        return {"Authorization": f"Bearer {self.api_key}"}


def resolve_settings(
    *,
    endpoint: str | None = None,
    api_key: str | None = None,
    service_name: str | None = None,
    capture_content: bool | None = None,
    sample_rate: float | None = None,
    max_queue_size: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> SdkSettings:
    """Settings from the arguments, then ``HERON_*``, then ``OTEL_*``, then defaults."""
    env = os.environ if environ is None else environ
    raw_endpoint = (
        endpoint
        or env.get("HERON_ENDPOINT")
        or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or DEFAULT_ENDPOINT
    )
    return SdkSettings(
        endpoint=_clean_endpoint(raw_endpoint),
        api_key=api_key or env.get("HERON_API_KEY") or None,
        service_name=service_name or env.get("HERON_SERVICE_NAME") or None,
        capture_content=(
            capture_content
            if capture_content is not None
            else _parse_bool("HERON_CAPTURE_CONTENT", env.get("HERON_CAPTURE_CONTENT"), False)
        ),
        sample_rate=_parse_rate(
            sample_rate if sample_rate is not None else env.get("HERON_SAMPLE_RATE")
        ),
        max_queue_size=_parse_queue(max_queue_size),
    )


def _clean_endpoint(value: str) -> str:
    cleaned = value.strip().rstrip("/")
    # People paste the full traces URL; the base is what every signal needs.
    for suffix in ("/v1/traces", "/v1/logs"):
        if cleaned.endswith(suffix):
            cleaned = cleaned[: -len(suffix)]
    if not cleaned.startswith(("http://", "https://")):
        _log.warning(
            "heron_sdk: endpoint %r has no http:// or https:// scheme; using %s. "
            "Set HERON_ENDPOINT=http://host:7070.",
            value,
            DEFAULT_ENDPOINT,
        )
        return DEFAULT_ENDPOINT
    return cleaned


def _parse_bool(name: str, value: str | None, default: bool) -> bool:
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    _log.warning(
        "heron_sdk: %s=%r is not a boolean; using %s. Use true or false.", name, value, default
    )
    return default


def _parse_rate(value: float | str | None) -> float:
    if value is None:
        return 1.0
    try:
        rate = float(value)
    except (TypeError, ValueError):
        rate = math.nan
    if not 0.0 <= rate <= 1.0:  # also rejects NaN
        _log.warning(
            "heron_sdk: sample_rate %r is not a number in 0..1; sampling every trace (1.0). "
            "Set HERON_SAMPLE_RATE=0.25 to keep a quarter of traces.",
            value,
        )
        return 1.0
    return rate


def _parse_queue(value: int | None) -> int:
    if value is None:
        return 2048
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        _log.warning("heron_sdk: max_queue_size %r must be a positive integer; using 2048.", value)
        return 2048
    return value
