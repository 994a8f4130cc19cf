"""OTLP value plumbing: ``AnyValue``/``KeyValue`` to Python, ids to hex, OTLP/JSON parsing.

Everything here is total: odd values (unset oneofs, nested kvlists, bytes) become
plain JSON-safe Python values instead of raising, because a span with one strange
attribute must still be stored with all the others.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from typing import Any, TypeVar, cast

from google.protobuf import json_format
from google.protobuf.message import Message
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from heron.errors import InvalidPayloadError

__all__ = ["any_value", "attributes_dict", "id_to_hex", "parse_otlp_json"]

M = TypeVar("M", bound=Message)

# OTLP/JSON carries these ids as hex; protobuf's JSON mapping expects base64 for bytes.
_ID_KEYS = frozenset({"traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"})


def any_value(value: AnyValue) -> Any:
    """The Python value of an OTLP ``AnyValue`` (None when unset; bytes as base64 text)."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        return value.double_value
    if kind == "bytes_value":
        # Stored rows and API answers are JSON; base64 is what OTLP/JSON uses for bytes.
        return base64.b64encode(value.bytes_value).decode("ascii")
    if kind == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return attributes_dict(value.kvlist_value.values)
    return None


def attributes_dict(pairs: Iterable[KeyValue]) -> dict[str, Any]:
    """OTLP attributes as an ordered dict; a repeated key keeps its last value (as the SDKs do)."""
    return {pair.key: any_value(pair.value) for pair in pairs}


def id_to_hex(raw: bytes) -> str | None:
    """A trace or span id as lowercase hex; None for the empty (absent) id."""
    return raw.hex() if raw else None


def parse_otlp_json(body: bytes, message_cls: type[M]) -> M:
    """Parse an OTLP/JSON body into ``message_cls`` (e.g. ``ExportTraceServiceRequest``).

    OTLP/JSON is protobuf's JSON mapping except that trace and span ids are hex
    strings, not base64; enums may be integers and int64 values strings (both of
    which ``json_format`` accepts). Unknown fields are ignored, as the OTLP
    specification asks of receivers. Raises ``InvalidPayloadError`` naming the
    problem when the body is not such a message.
    """
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidPayloadError(
            f"body is not valid JSON ({exc}); OTLP/JSON bodies are UTF-8 JSON objects"
        ) from exc
    if not isinstance(data, dict):
        raise InvalidPayloadError(
            f"body is not an {message_cls.__name__}: expected a JSON object, "
            f"got {type(data).__name__}"
        )
    try:
        rewritten = _hex_ids_to_base64(data)
        message = message_cls()
        json_format.ParseDict(rewritten, message, ignore_unknown_fields=True)
        return cast(M, message)
    except (json_format.ParseError, ValueError, TypeError) as exc:
        raise InvalidPayloadError(
            f"body is not a valid OTLP/JSON {message_cls.__name__}: {exc}; "
            "ids must be hex strings and keys lowerCamelCase as the OTLP/JSON encoding requires"
        ) from exc


def _hex_ids_to_base64(node: Any) -> Any:
    """Rewrite every hex id field (at any depth: spans, links, log records) to base64."""
    if isinstance(node, list):
        return [_hex_ids_to_base64(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _ID_KEYS and isinstance(value, str):
            out[key] = _hex_to_base64(key, value)
        else:
            out[key] = _hex_ids_to_base64(value)
    return out


def _hex_to_base64(key: str, value: str) -> str:
    try:
        raw = bytes.fromhex(value)
    except ValueError as exc:
        raise ValueError(f"{key} {value!r} is not a hex string") from exc
    except binascii.Error as exc:  # pragma: no cover - fromhex raises ValueError today
        raise ValueError(f"{key} {value!r} is not a hex string") from exc
    return base64.b64encode(raw).decode("ascii")
