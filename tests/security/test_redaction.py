"""Redaction of decoded OTLP requests, in place, before the WAL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from heron.config import Settings
from heron.errors import ConfigError
from heron.security import (
    PII_KINDS,
    PolicyCache,
    RedactionPolicy,
    parse_redaction_settings,
    policy_for_project,
    redact_logs_request,
    redact_traces_request,
)
from heron.store.meta import MetaStore

EMAIL = "jane.doe@example.com"
CARD = "4111 1111 1111 1111"


def _kv(key: str, value: AnyValue) -> KeyValue:
    return KeyValue(key=key, value=value)


def _s(text: str) -> AnyValue:
    return AnyValue(string_value=text)


def _request(*attrs: KeyValue, events: list[Span.Event] | None = None) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id = b"\x01" * 16
    span.span_id = b"\x02" * 8
    span.name = "chat"
    span.attributes.extend(attrs)
    span.events.extend(events or [])
    return request


def _attrs(request: ExportTraceServiceRequest) -> dict[str, object]:
    span = request.resource_spans[0].scope_spans[0].spans[0]
    return {kv.key: json_format.MessageToDict(kv.value) for kv in span.attributes}


def test_pii_is_replaced_in_plain_nested_and_json_values() -> None:
    messages = json.dumps(
        [{"role": "user", "parts": [{"type": "text", "content": f"I am {EMAIL}"}]}]
    )
    nested = AnyValue()
    nested.array_value.values.add().string_value = f"card {CARD}"
    inner = nested.array_value.values.add().kvlist_value.values.add()
    inner.key, inner.value.string_value = "ip", "client 10.0.0.1"
    request = _request(
        _kv("gen_ai.input.messages", _s(messages)),
        _kv("note", nested),
        _kv("gen_ai.usage.input_tokens", AnyValue(int_value=12)),
        # JSON-escaped '@' is still an e-mail once decoded.
        _kv("raw", _s('{"who": "jane.doe\\u0040example.com"}')),
    )
    stats = redact_traces_request(request, RedactionPolicy())
    attrs = _attrs(request)
    document = json.loads(str(attrs["gen_ai.input.messages"]["stringValue"]))  # type: ignore[index]
    assert document[0]["parts"][0]["content"] == "I am [REDACTED:email]"
    assert attrs["note"] == {
        "arrayValue": {
            "values": [
                {"stringValue": "card [REDACTED:card]"},
                {
                    "kvlistValue": {
                        "values": [{"key": "ip", "value": {"stringValue": "client [REDACTED:ip]"}}]
                    }
                },
            ]
        }
    }
    assert json.loads(str(attrs["raw"]["stringValue"])) == {"who": "[REDACTED:email]"}  # type: ignore[index]
    assert attrs["gen_ai.usage.input_tokens"] == {"intValue": "12"}
    assert stats.redacted == {"email": 2, "card": 1, "ip": 1}
    assert EMAIL not in request.SerializeToString().decode("utf-8", "ignore")


def test_user_patterns_and_kind_switches() -> None:
    policy = parse_redaction_settings(
        {"pii": {"ip": False}, "patterns": [{"name": "employee_id", "regex": r"EMP-\d{6}"}]}
    )
    request = _request(_kv("input.value", _s("EMP-123456 from 10.0.0.1 mail a@b.org")))
    redact_traces_request(request, policy)
    assert _attrs(request)["input.value"] == {
        "stringValue": "[REDACTED:employee_id] from 10.0.0.1 mail [REDACTED:email]"
    }


def test_deny_list_drops_exact_and_glob_keys_everywhere() -> None:
    policy = parse_redaction_settings(
        {"pii": False, "deny_attributes": ["llm.prompts*", "gen_ai.prompt.*", "internal.note"]}
    )
    event = Span.Event(name="log", attributes=[_kv("internal.note", _s("x")), _kv("keep", _s("y"))])
    request = _request(
        _kv("llm.prompts", _s("a")),
        _kv("llm.prompts.0.content", _s("b")),
        _kv("gen_ai.prompt.0.content", _s("c")),
        _kv("gen_ai.prompt", _s("kept: not matched by gen_ai.prompt.*")),
        _kv("internal.note", _s("d")),
        _kv("gen_ai.request.model", _s("gpt-4o")),
        events=[event],
    )
    request.resource_spans[0].resource.attributes.append(_kv("internal.note", _s("e")))
    stats = redact_traces_request(request, policy)
    assert sorted(_attrs(request)) == ["gen_ai.prompt", "gen_ai.request.model"]
    span = request.resource_spans[0].scope_spans[0].spans[0]
    assert [kv.key for kv in span.events[0].attributes] == ["keep"]
    assert len(request.resource_spans[0].resource.attributes) == 0
    assert stats.attributes_dropped == 6


_CONTENT_PREFIXES = (
    "gen_ai.prompt.",
    "gen_ai.completion.",
    "llm.input_messages.",
    "llm.output_messages.",
)
_CONTENT_KEYS = {
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "input.value",
    "output.value",
    "traceloop.entity.input",
    "traceloop.entity.output",
    "gen_ai.system_instructions",
}


def _content_keys(request: ExportTraceServiceRequest) -> list[str]:
    found = []
    for rs in request.resource_spans:
        for ss in rs.scope_spans:
            for span in ss.spans:
                for kv in span.attributes:
                    if kv.key in _CONTENT_KEYS or kv.key.startswith(_CONTENT_PREFIXES):
                        found.append(kv.key)
                for event in span.events:
                    found.extend(kv.key for kv in event.attributes if kv.key == "content")
    return found


def _span_count(request: ExportTraceServiceRequest) -> int:
    return sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)


def test_capture_off_drops_content_of_every_convention_family(fixtures_dir: Path) -> None:
    policy = RedactionPolicy(capture_content=False, pii_kinds=frozenset())
    families_with_content = set()
    for path in sorted(fixtures_dir.rglob("*.pb")):
        if "." in path.stem:  # *.metrics.pb, *.logs.pb
            continue
        request = ExportTraceServiceRequest.FromString(path.read_bytes())
        if _content_keys(request):
            families_with_content.add(path.parent.name)
        spans = _span_count(request)
        redact_traces_request(request, policy)
        assert _span_count(request) == spans, path
        assert _content_keys(request) == [], path
    # Every convention family in the fixtures carried content before redaction.
    assert families_with_content == {p.name for p in fixtures_dir.iterdir() if p.is_dir()}


def test_capture_off_clears_gen_ai_log_event_bodies(fixtures_dir: Path) -> None:
    paths = sorted(fixtures_dir.rglob("*.logs.pb"))
    assert paths
    for path in paths:
        request = ExportLogsServiceRequest.FromString(path.read_bytes())
        records = [
            r for rl in request.resource_logs for sl in rl.scope_logs for r in sl.log_records
        ]
        with_body = sum(r.HasField("body") for r in records)
        stats = redact_logs_request(request, RedactionPolicy(capture_content=False))
        after = [r for rl in request.resource_logs for sl in rl.scope_logs for r in sl.log_records]
        assert len(after) == len(records)
        assert not any(r.HasField("body") for r in after)
        assert stats.bodies_dropped == with_body


def test_capture_off_keeps_counts_and_message_event_roles() -> None:
    policy = RedactionPolicy(capture_content=False, pii_kinds=frozenset())
    event = Span.Event(
        name="gen_ai.user.message",
        attributes=[_kv("content", _s("secret prompt")), _kv("role", _s("user"))],
    )
    request = _request(
        _kv("gen_ai.input.messages", _s("[]")),
        _kv("gen_ai.usage.input_tokens", AnyValue(int_value=7)),
        events=[event],
    )
    redact_traces_request(request, policy)
    span = request.resource_spans[0].scope_spans[0].spans[0]
    assert _attrs(request) == {"gen_ai.usage.input_tokens": {"intValue": "7"}}
    assert [(e.name, [kv.key for kv in e.attributes]) for e in span.events] == [
        ("gen_ai.user.message", ["role"])
    ]


def test_logs_bodies_are_redacted_or_dropped() -> None:
    request = ExportLogsServiceRequest()
    record = request.resource_logs.add().scope_logs.add().log_records.add()
    record.body.string_value = f"user {EMAIL} asked"
    record.attributes.append(_kv("client", _s("192.168.1.20")))
    copy = ExportLogsServiceRequest()
    copy.CopyFrom(request)
    redact_logs_request(request, RedactionPolicy())
    assert request.resource_logs[0].scope_logs[0].log_records[0].body.string_value == (
        "user [REDACTED:email] asked"
    )
    assert request.resource_logs[0].scope_logs[0].log_records[0].attributes[
        0
    ].value.string_value == ("[REDACTED:ip]")
    stats = redact_logs_request(copy, RedactionPolicy(capture_content=False))
    assert not copy.resource_logs[0].scope_logs[0].log_records[0].HasField("body")
    assert stats.bodies_dropped == 1


def test_noop_policy_leaves_the_request_identical() -> None:
    request = _request(_kv("input.value", _s(f"{EMAIL} {CARD}")))
    before = request.SerializeToString()
    stats = redact_traces_request(request, RedactionPolicy(pii_kinds=frozenset()))
    assert request.SerializeToString() == before
    assert stats.total == 0


@pytest.mark.parametrize(
    "raw",
    [
        {"pii": "yes"},
        {"pii": {"emails": True}},
        {"patterns": [{"name": "x", "regex": "("}]},
        {"patterns": [{"name": "email", "regex": "a"}]},
        {"deny_attributes": "gen_ai.*"},
        {"unknown": 1},
    ],
)
def test_invalid_settings_are_refused_with_a_message(raw: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match="redaction"):
        parse_redaction_settings(raw)


def test_policy_for_project_and_cache_ttl(meta: MetaStore) -> None:
    project = meta.ensure_project("p")
    now = [0.0]
    cache = PolicyCache(meta, Settings(redact_pii=True), ttl_s=5, clock=lambda: now[0])
    assert cache.get(project.id).pii_kinds == frozenset(PII_KINDS)
    meta.update_project(project.id, capture_content=False, redaction={"pii": {"phone": False}})
    assert cache.get(project.id).capture_content is True  # still cached
    now[0] = 6.0
    policy = cache.get(project.id)
    assert policy.capture_content is False
    assert "phone" not in policy.pii_kinds
    assert policy == policy_for_project(meta.get_project(project.id), Settings(redact_pii=True))
    # A server-wide HERON_CAPTURE_CONTENT=false overrides a project that keeps content.
    other = meta.ensure_project("q")
    assert policy_for_project(other, Settings(capture_content=False)).capture_content is False
