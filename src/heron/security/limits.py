"""Rate limits per API key and caps on attribute sizes.

Rate limits are token buckets kept in this process: one for requests and one
for spans (or log records) per key, or per project when auth is off. Several
servers behind a load balancer each enforce the limit on the traffic they see,
so the cluster-wide limit is at most ``servers x limit``; that is the usual
trade of local buckets (no round trip per request) and is documented for
operators. A refused request raises :class:`heron.errors.RateLimitedError`,
which every transport already answers with 429 / RESOURCE_EXHAUSTED and a
``Retry-After``.

Caps bound what one span may cost to store: string values longer than
``max_value_bytes`` are cut (on a UTF-8 boundary) and attributes beyond
``max_attributes`` are dropped; such a span gets ``heron.truncated = true``,
which the normalizer maps to ``Span.truncated``.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, MutableSequence
from dataclasses import dataclass
from typing import Final

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from heron.auth import Principal
from heron.config import Settings
from heron.errors import RateLimitedError

__all__ = [
    "TRUNCATED_ATTRIBUTE",
    "PayloadCaps",
    "RateLimiter",
    "RateLimits",
    "TokenBucket",
    "cap_logs_request",
    "cap_traces_request",
    "limit_key",
]

TRUNCATED_ATTRIBUTE: Final = "heron.truncated"
_MAX_TRACKED_KEYS: Final = 100_000


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Sustained rates and bursts; a rate of 0 disables that limit."""

    requests_per_s: float = 200.0
    request_burst: int = 400
    spans_per_s: float = 50_000.0
    span_burst: int = 200_000

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        """The limits configured by ``HERON_RATE_LIMIT_*``."""
        return cls(
            requests_per_s=settings.rate_limit_requests_per_s,
            request_burst=settings.rate_limit_request_burst,
            spans_per_s=settings.rate_limit_spans_per_s,
            span_burst=settings.rate_limit_span_burst,
        )


class TokenBucket:
    """A bucket of ``capacity`` tokens refilled at ``rate`` per second.

    A request larger than the whole bucket is allowed once the bucket is full
    and leaves it in debt, so a big batch is slowed down rather than refused
    forever.
    """

    __slots__ = ("capacity", "rate", "tokens", "updated")

    def __init__(self, rate: float, capacity: int, now: float) -> None:
        self.rate = rate
        self.capacity = float(max(1, capacity))
        self.tokens = self.capacity
        self.updated = now

    def wait_for(self, n: int, now: float) -> float:
        """Seconds until ``n`` tokens may be taken (0 means now); takes nothing."""
        self._refill(now)
        need = min(float(n), self.capacity)
        if self.tokens >= need:
            return 0.0
        return (need - self.tokens) / self.rate

    def take(self, n: int, now: float) -> None:
        """Take ``n`` tokens (call after :meth:`wait_for` returned 0)."""
        self._refill(now)
        self.tokens -= n

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now


def limit_key(principal: Principal) -> str:
    """Whose budget a call spends: its key, or its project when auth is off."""
    return f"key:{principal.key_id}" if principal.key_id else f"project:{principal.project_id}"


class RateLimiter:
    """Request and span token buckets per key; thread-safe, bounded in memory."""

    def __init__(self, limits: RateLimits, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[TokenBucket | None, TokenBucket | None]] = (
            OrderedDict()
        )

    def check(self, principal: Principal, *, requests: int = 1, spans: int = 0) -> None:
        """Spend one request and ``spans`` spans of the principal's budget, or raise 429."""
        self.check_key(limit_key(principal), requests=requests, spans=spans)

    def check_key(self, key: str, *, requests: int = 1, spans: int = 0) -> None:
        """Like :meth:`check` for an explicit budget name; nothing is spent when refused."""
        now = self._clock()
        with self._lock:
            request_bucket, span_bucket = self._get(key, now)
            waits = [
                bucket.wait_for(n, now)
                for bucket, n in ((request_bucket, requests), (span_bucket, spans))
                if bucket is not None and n > 0
            ]
            wait = max(waits, default=0.0)
            if wait > 0:
                what = (
                    "spans"
                    if span_bucket is not None
                    and spans
                    and (span_bucket.wait_for(spans, now) >= wait)
                    else "requests"
                )
                raise RateLimitedError(
                    f"rate limit exceeded for {key.split(':', 1)[0]} {key.split(':', 1)[1][:12]!r} "
                    f"({what}: {self._describe(what)}); retry after the Retry-After delay, "
                    "send larger but fewer batches, or raise HERON_RATE_LIMIT_*",
                    retry_after_s=max(1, math.ceil(wait)),
                )
            if request_bucket is not None and requests > 0:
                request_bucket.take(requests, now)
            if span_bucket is not None and spans > 0:
                span_bucket.take(spans, now)

    def _describe(self, what: str) -> str:
        if what == "spans":
            return f"{self.limits.spans_per_s:g}/s, burst {self.limits.span_burst}"
        return f"{self.limits.requests_per_s:g}/s, burst {self.limits.request_burst}"

    def _get(self, key: str, now: float) -> tuple[TokenBucket | None, TokenBucket | None]:
        found = self._buckets.get(key)
        if found is not None:
            self._buckets.move_to_end(key)
            return found
        limits = self.limits
        pair = (
            TokenBucket(limits.requests_per_s, limits.request_burst, now)
            if limits.requests_per_s > 0
            else None,
            TokenBucket(limits.spans_per_s, limits.span_burst, now)
            if limits.spans_per_s > 0
            else None,
        )
        self._buckets[key] = pair
        if len(self._buckets) > _MAX_TRACKED_KEYS:
            # The least recently seen key starts again with a full bucket: harmless.
            self._buckets.popitem(last=False)
        return pair


@dataclass(frozen=True, slots=True)
class PayloadCaps:
    """Per-span limits on what is stored."""

    max_value_bytes: int = 32 * 1024
    max_attributes: int = 256

    @classmethod
    def from_settings(cls, settings: Settings) -> PayloadCaps:
        """The caps configured by ``HERON_MAX_ATTRIBUTE_VALUE_BYTES`` and ``..._PER_SPAN``."""
        return cls(settings.max_attribute_value_bytes, settings.max_attributes_per_span)


def _cut(text: str, limit: int) -> str | None:
    """``text`` cut to at most ``limit`` UTF-8 bytes, or ``None`` when it already fits."""
    if len(text) <= limit // 4:  # at most 4 bytes a character: surely fits
        return None
    data = text.encode("utf-8")
    if len(data) <= limit:
        return None
    return data[:limit].decode("utf-8", errors="ignore")


def _cap_value(value: AnyValue, caps: PayloadCaps) -> bool:
    kind = value.WhichOneof("value")
    if kind == "string_value":
        cut = _cut(value.string_value, caps.max_value_bytes)
        if cut is None:
            return False
        value.string_value = cut
        return True
    if kind == "bytes_value":
        if len(value.bytes_value) <= caps.max_value_bytes:
            return False
        value.bytes_value = value.bytes_value[: caps.max_value_bytes]
        return True
    changed = False
    if kind == "array_value":
        for item in value.array_value.values:
            changed |= _cap_value(item, caps)
    elif kind == "kvlist_value":
        for kv in value.kvlist_value.values:
            changed |= _cap_value(kv.value, caps)
    return changed


def _cap_attributes(attrs: MutableSequence[KeyValue], caps: PayloadCaps) -> tuple[bool, int]:
    """(anything changed, attributes dropped)."""
    dropped = 0
    if len(attrs) > caps.max_attributes:
        dropped = len(attrs) - caps.max_attributes
        del attrs[caps.max_attributes :]
    changed = dropped > 0
    for kv in attrs:
        changed |= _cap_value(kv.value, caps)
    return changed, dropped


def _flag(attrs: MutableSequence[KeyValue]) -> None:
    for kv in attrs:
        if kv.key == TRUNCATED_ATTRIBUTE:
            kv.value.bool_value = True
            return
    attrs.append(KeyValue(key=TRUNCATED_ATTRIBUTE, value=AnyValue(bool_value=True)))


def cap_traces_request(request: ExportTraceServiceRequest, caps: PayloadCaps) -> int:
    """Apply ``caps`` to every span (and its events) in place; returns spans truncated."""
    truncated = 0
    for resource_spans in request.resource_spans:
        _cap_attributes(resource_spans.resource.attributes, caps)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                changed, dropped = _cap_attributes(span.attributes, caps)
                span.dropped_attributes_count += dropped
                for event in span.events:
                    event_changed, event_dropped = _cap_attributes(event.attributes, caps)
                    event.dropped_attributes_count += event_dropped
                    changed |= event_changed
                for link in span.links:
                    link_changed, link_dropped = _cap_attributes(link.attributes, caps)
                    link.dropped_attributes_count += link_dropped
                    changed |= link_changed
                if changed:
                    _flag(span.attributes)
                    truncated += 1
    return truncated


def cap_logs_request(request: ExportLogsServiceRequest, caps: PayloadCaps) -> int:
    """Apply ``caps`` to every log record (attributes and body) in place; returns records cut."""
    truncated = 0
    for resource_logs in request.resource_logs:
        _cap_attributes(resource_logs.resource.attributes, caps)
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                changed, dropped = _cap_attributes(record.attributes, caps)
                record.dropped_attributes_count += dropped
                if record.HasField("body"):
                    changed |= _cap_value(record.body, caps)
                if changed:
                    _flag(record.attributes)
                    truncated += 1
    return truncated
