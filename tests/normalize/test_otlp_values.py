"""AnyValue -> Python, hex ids, and OTLP/JSON parsing (hex ids, not base64)."""

from __future__ import annotations

import base64
import json

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from heron.errors import InvalidPayloadError
from heron.normalize import parse_otlp_json
from heron.normalize.convert import convert_request
from heron.normalize.otlp_values import any_value, attributes_dict, id_to_hex

from .conftest import FIXTURES, kvs, load_pb
from .conftest import any_value as to_any


def test_any_value_covers_every_kind() -> None:
    value = {"s": "x", "b": True, "i": -3, "d": 1.5, "l": [1, "a", None], "m": {"k": [True]}}
    assert attributes_dict(kvs(value)) == value
    assert any_value(AnyValue()) is None
    assert any_value(to_any(b"\x00\xff")) == base64.b64encode(b"\x00\xff").decode()


def test_ids_are_lowercase_hex_and_empty_is_none() -> None:
    assert id_to_hex(bytes.fromhex("0AF7651916CD43DD")) == "0af7651916cd43dd"
    assert id_to_hex(b"") is None


def test_parse_otlp_json_matches_the_protobuf_capture() -> None:
    body = (FIXTURES / "openllmetry" / "openai_chat.json").read_bytes()
    parsed = parse_otlp_json(body, ExportTraceServiceRequest)
    assert parsed == load_pb("openllmetry", "openai_chat")
    hex_ids = {s.span_id for s in convert_request("p", parsed)}
    raw = json.loads(body)
    sent = {
        span["spanId"]
        for rs in raw["resourceSpans"]
        for ss in rs["scopeSpans"]
        for span in ss["spans"]
    }
    assert hex_ids == {s.lower() for s in sent}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"not json", "not valid JSON"),
        (b"[1]", "expected a JSON object"),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"spanId": "zz"}]}]}]}', "hex"),
        (b'{"resourceSpans": 3}', "OTLP/JSON"),
    ],
)
def test_parse_otlp_json_rejects_bad_bodies_with_a_reason(body: bytes, fragment: str) -> None:
    with pytest.raises(InvalidPayloadError, match=fragment):
        parse_otlp_json(body, ExportTraceServiceRequest)


def test_parse_otlp_json_ignores_unknown_fields() -> None:
    body = b'{"resourceSpans": [], "somethingNew": 1}'
    assert parse_otlp_json(body, ExportTraceServiceRequest) == ExportTraceServiceRequest()
