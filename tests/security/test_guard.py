"""The IngestGuard: span budget, redaction then caps, per project."""

from __future__ import annotations

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from heron.auth import Principal
from heron.config import Settings
from heron.errors import RateLimitedError
from heron.security import IngestGuard, PayloadCaps, PolicyCache, RateLimiter, RateLimits
from heron.store.meta import MetaStore

CARD = "4111 1111 1111 1111"


def _request(value: str, spans: int = 1) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    for i in range(spans):
        span = scope.spans.add()
        span.trace_id, span.span_id = b"\x01" * 16, bytes([i + 1]) * 8
        attribute = span.attributes.add()
        attribute.key, attribute.value.string_value = "input.value", value
    return request


def _value(request: ExportTraceServiceRequest) -> str:
    return request.resource_spans[0].scope_spans[0].spans[0].attributes[0].value.string_value


def test_redaction_runs_before_the_cap_so_no_fragment_survives(meta: MetaStore) -> None:
    project = meta.ensure_project("p")
    guard = IngestGuard(PolicyCache(meta), PayloadCaps(max_value_bytes=20, max_attributes=10))
    # Cut first, "x..x 4111 1111 1" would be left: a card fragment no pattern matches.
    request = _request("x" * 3 + " " + CARD + " tail")
    stats = guard.traces(project.id, request)
    assert stats.redacted == {"card": 1}
    assert _value(request) == "xxx [REDACTED:card] tail"[:20]
    assert "4111" not in _value(request)


def test_span_budget_is_checked_before_anything_changes(meta: MetaStore) -> None:
    project = meta.ensure_project("p")
    limiter = RateLimiter(RateLimits(requests_per_s=0, spans_per_s=1, span_burst=2))
    guard = IngestGuard(PolicyCache(meta), PayloadCaps(), limiter)
    guard.traces(project.id, _request("a@b.org", spans=2), Principal(project.id, "ingest", "k1"))
    refused = _request(f"mail a@b.org {CARD}", spans=2)
    before = refused.SerializeToString()
    with pytest.raises(RateLimitedError):
        guard.traces(project.id, refused, Principal(project.id, "ingest", "k1"))
    assert refused.SerializeToString() == before
    # Another key has its own budget.
    guard.traces(project.id, _request("x"), Principal(project.id, "ingest", "k2"))


def test_guard_from_settings_uses_the_project_policy(meta: MetaStore) -> None:
    project = meta.ensure_project("quiet")
    meta.update_project(project.id, redaction={"pii": False})
    # With redaction on by default, a project can still turn it off for itself...
    guard = IngestGuard.from_settings(meta, Settings(redact_pii=True))
    request = _request("a@b.org")
    guard.traces(project.id, request)
    assert _value(request) == "a@b.org"
    other = meta.ensure_project("loud")
    request = _request("a@b.org")
    guard.traces(other.id, request)
    assert _value(request) == "[REDACTED:email]"
    # ...and with the shipped default (off), a project turns it on for itself.
    meta.update_project(other.id, redaction={"pii": True})
    off_by_default = IngestGuard.from_settings(meta, Settings())
    request = _request("a@b.org")
    off_by_default.traces(project.id, request)
    assert _value(request) == "a@b.org"
    request = _request("a@b.org")
    off_by_default.traces(other.id, request)
    assert _value(request) == "[REDACTED:email]"
