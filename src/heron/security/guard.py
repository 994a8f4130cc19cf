"""``IngestGuard``: everything security does to a decoded OTLP request before the WAL.

One object the composition root builds and the ingest path calls once per
request, after decoding and before ``wal.append``::

    guard = IngestGuard.from_settings(meta, settings)
    guard.traces(project_id, request)          # rate limit spans, redact, cap (in place)
    guard.logs(project_id, request)

Order matters: the span budget is checked first (a refused request costs no
redaction work and changes nothing), redaction runs before the size caps (a
cap could cut a card number in half and leave a fragment no pattern
recognises), and caps run last so the stored values respect the limits.
"""

from __future__ import annotations

import structlog
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from heron.auth import Principal
from heron.config import Settings
from heron.security.limits import (
    PayloadCaps,
    RateLimiter,
    RateLimits,
    cap_logs_request,
    cap_traces_request,
    limit_key,
)
from heron.security.policy import PolicyCache
from heron.security.redaction import RedactionStats, redact_logs_request, redact_traces_request
from heron.store.meta import MetaStore

__all__ = ["IngestGuard", "count_log_records", "count_spans"]

log = structlog.get_logger(__name__)


def count_spans(request: ExportTraceServiceRequest) -> int:
    """Spans in a traces request."""
    return sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)


def count_log_records(request: ExportLogsServiceRequest) -> int:
    """Log records in a logs request."""
    return sum(len(sl.log_records) for rl in request.resource_logs for sl in rl.scope_logs)


class IngestGuard:
    """Rate limits, redaction and caps for one server, shared by HTTP and gRPC."""

    def __init__(
        self, policies: PolicyCache, caps: PayloadCaps, limiter: RateLimiter | None = None
    ) -> None:
        self.policies = policies
        self.caps = caps
        self.limiter = limiter

    @classmethod
    def from_settings(cls, meta: MetaStore, settings: Settings) -> IngestGuard:
        """The guard configured by ``settings`` over the projects of ``meta``."""
        return cls(
            PolicyCache(meta, settings),
            PayloadCaps.from_settings(settings),
            RateLimiter(RateLimits.from_settings(settings)),
        )

    def check_request(self, principal: Principal) -> None:
        """Spend one request of the caller's budget (call where the caller is authenticated)."""
        if self.limiter is not None:
            self.limiter.check(principal)

    def traces(
        self,
        project_id: str,
        request: ExportTraceServiceRequest,
        principal: Principal | None = None,
    ) -> RedactionStats:
        """Check the span budget, then redact and cap ``request`` in place.

        Without ``principal`` the span budget is the project's.
        Raises :class:`heron.errors.RateLimitedError` (429) before changing anything.
        """
        if self.limiter is not None:
            key = limit_key(principal) if principal else f"project:{project_id}"
            self.limiter.check_key(key, requests=0, spans=count_spans(request))
        stats = redact_traces_request(request, self.policies.get(project_id))
        truncated = cap_traces_request(request, self.caps)
        if stats.total or truncated:
            log.debug(
                "ingest_guarded",
                project_id=project_id,
                redacted=stats.redacted,
                attributes_dropped=stats.attributes_dropped,
                spans_truncated=truncated,
            )
        return stats

    def logs(
        self,
        project_id: str,
        request: ExportLogsServiceRequest,
        principal: Principal | None = None,
    ) -> RedactionStats:
        """Like :meth:`traces` for a logs request (log records count against the span budget)."""
        if self.limiter is not None:
            key = limit_key(principal) if principal else f"project:{project_id}"
            self.limiter.check_key(key, requests=0, spans=count_log_records(request))
        stats = redact_logs_request(request, self.policies.get(project_id))
        cap_logs_request(request, self.caps)
        return stats
