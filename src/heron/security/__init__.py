"""Security before storage: redaction, rate limits and caps, retention, UI sessions.

Wiring (done by ``heron.app``): an :class:`IngestGuard` is called on each
decoded OTLP request before the WAL append; :func:`retention_days_for` is passed
to the telemetry store; ``heron.api.admin`` and ``heron.api.login`` add the
admin REST routes and the UI login.
"""

from heron.security.guard import IngestGuard, count_log_records, count_spans
from heron.security.limits import (
    TRUNCATED_ATTRIBUTE,
    PayloadCaps,
    RateLimiter,
    RateLimits,
    TokenBucket,
    cap_logs_request,
    cap_traces_request,
    limit_key,
)
from heron.security.passwords import hash_password, verify_password
from heron.security.pii import PII_KINDS, PiiScanner, iban_ok, luhn_ok
from heron.security.policy import (
    PolicyCache,
    RedactionPolicy,
    parse_redaction_settings,
    policy_for_project,
)
from heron.security.redaction import (
    RedactionStats,
    redact_logs_request,
    redact_text,
    redact_traces_request,
)
from heron.security.retention import (
    RetentionLookup,
    apply_retention,
    oldest_kept,
    retention_days_for,
)

__all__ = [
    "PII_KINDS",
    "TRUNCATED_ATTRIBUTE",
    "IngestGuard",
    "PayloadCaps",
    "PiiScanner",
    "PolicyCache",
    "RateLimiter",
    "RateLimits",
    "RedactionPolicy",
    "RedactionStats",
    "RetentionLookup",
    "TokenBucket",
    "apply_retention",
    "cap_logs_request",
    "cap_traces_request",
    "count_log_records",
    "count_spans",
    "hash_password",
    "iban_ok",
    "limit_key",
    "luhn_ok",
    "oldest_kept",
    "parse_redaction_settings",
    "policy_for_project",
    "redact_logs_request",
    "redact_text",
    "redact_traces_request",
    "retention_days_for",
    "verify_password",
]
