"""Decode OTLP/HTTP request bodies and encode the responses, in the client's own encoding.

OTLP/HTTP carries the same protobuf messages in two encodings:

- ``application/x-protobuf``: the binary protobuf message;
- ``application/json``: OTLP/JSON, which is protobuf's JSON mapping with the OTLP
  exceptions: trace and span ids are **hex** strings (not base64), enums may be
  integers, 64-bit integers may be strings, keys are lowerCamelCase.

Both may be gzip-compressed (``Content-Encoding: gzip``). The schema itself is never
parsed by hand: JSON goes through ``google.protobuf.json_format`` once the hex ids are
rewritten to the base64 that format expects.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterator
from typing import Any, Literal, cast

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from google.protobuf.unknown_fields import UnknownFieldSet
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from heron.errors import InvalidPayloadError, PayloadTooLargeError, UnsupportedMediaError

__all__ = [
    "JSON",
    "PROTOBUF",
    "DecompressedTooLargeError",
    "SignalKind",
    "decode_logs",
    "decode_traces",
    "encode_message",
    "media_type_of",
    "response_media_type",
]

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
# application/protobuf is the IANA-registered name some exporters send; same bytes.
_MEDIA_TYPES: dict[str, str] = {
    "application/x-protobuf": PROTOBUF,
    "application/protobuf": PROTOBUF,
    "application/json": JSON,
}
_ACCEPTED = "application/x-protobuf, application/protobuf or application/json"

SignalKind = Literal["traces", "logs", "metrics"]

# Per signal: the request message, the top-level JSON key and the HTTP path.
_SIGNALS: dict[str, tuple[type[Message], str, str]] = {
    "traces": (ExportTraceServiceRequest, "resourceSpans", "/v1/traces"),
    "logs": (ExportLogsServiceRequest, "resourceLogs", "/v1/logs"),
    "metrics": (ExportMetricsServiceRequest, "resourceMetrics", "/v1/metrics"),
}

# Where the hex ids live in OTLP/JSON: (container key, scope key, record key, id keys).
_ID_PATHS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "traces": ("resourceSpans", "scopeSpans", "spans", ("traceId", "spanId", "parentSpanId")),
    "logs": ("resourceLogs", "scopeLogs", "logRecords", ("traceId", "spanId")),
}


class DecompressedTooLargeError(PayloadTooLargeError):
    """A gzip body that inflates past the limit (zip bomb or oversized batch)."""

    def __init__(self, compressed_size: int, limit: int) -> None:
        super().__init__(compressed_size, limit)
        # The decompressed size is unknown on purpose: inflating stops at the limit.
        self.args = (
            f"gzip body of {compressed_size} bytes inflates to more than the limit of "
            f"{limit} bytes; send smaller batches (lower the exporter's max export batch "
            "size) or raise HERON_MAX_BODY_BYTES",
        )


def media_type_of(content_type: str | None) -> str:
    """The canonical OTLP media type of a ``Content-Type`` header, or UnsupportedMediaError."""
    bare = (content_type or "").split(";", 1)[0].strip().lower()
    media = _MEDIA_TYPES.get(bare)
    if media is None:
        shown = repr(content_type) if content_type else "no Content-Type header"
        raise UnsupportedMediaError(
            f"unsupported content type {shown}: OTLP/HTTP accepts {_ACCEPTED}; "
            "set the exporter's protocol to http/protobuf or http/json"
        )
    return media


def response_media_type(content_type: str | None) -> str:
    """The media type to answer in: the request's own, JSON when the request's is unusable."""
    try:
        return media_type_of(content_type)
    except UnsupportedMediaError:
        return JSON


def decode_traces(
    body: bytes, content_type: str | None, content_encoding: str | None, *, max_bytes: int
) -> ExportTraceServiceRequest:
    """Decode an OTLP/HTTP ``/v1/traces`` body (protobuf or JSON, optionally gzip)."""
    message = _decode("traces", body, content_type, content_encoding, max_bytes)
    return cast(ExportTraceServiceRequest, message)


def decode_logs(
    body: bytes, content_type: str | None, content_encoding: str | None, *, max_bytes: int
) -> ExportLogsServiceRequest:
    """Decode an OTLP/HTTP ``/v1/logs`` body (protobuf or JSON, optionally gzip)."""
    message = _decode("logs", body, content_type, content_encoding, max_bytes)
    return cast(ExportLogsServiceRequest, message)


def encode_message(message: Message, media_type: str) -> bytes:
    """Serialize a response (or ``google.rpc.Status``) in the given OTLP media type."""
    if media_type == JSON:
        # OTLP/JSON: lowerCamelCase keys, enums as ints; default values omitted.
        text = json_format.MessageToJson(message, indent=None, use_integers_for_enums=True)
        return str(text).encode()
    return bytes(message.SerializeToString())


def _decode(
    kind: str,
    body: bytes,
    content_type: str | None,
    content_encoding: str | None,
    max_bytes: int,
) -> Message:
    media = media_type_of(content_type)
    if len(body) > max_bytes:
        raise PayloadTooLargeError(len(body), max_bytes)
    raw = _decompress(body, content_encoding, max_bytes)
    if media == JSON:
        return _parse_json(kind, raw)
    return _parse_protobuf(kind, raw)


def _decompress(body: bytes, content_encoding: str | None, max_bytes: int) -> bytes:
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "identity":
        return body
    if encoding != "gzip":
        raise UnsupportedMediaError(
            f"unsupported Content-Encoding {content_encoding!r}: heron accepts gzip or none; "
            "set the exporter's compression to gzip or none"
        )
    out = bytearray()
    rest = body
    # A gzip stream may hold several members; inflate each, never past max_bytes.
    while rest:
        inflater = zlib.decompressobj(wbits=31)
        try:
            out += inflater.decompress(rest, max_bytes + 1 - len(out))
        except zlib.error as exc:
            raise InvalidPayloadError(
                f"body is declared gzip (Content-Encoding: gzip) but cannot be inflated: {exc}; "
                "compress it with gzip or drop the Content-Encoding header"
            ) from exc
        if len(out) > max_bytes or inflater.unconsumed_tail:
            raise DecompressedTooLargeError(len(body), max_bytes)
        if not inflater.eof:
            raise InvalidPayloadError(
                "gzip body is truncated (the stream ends before its trailer); "
                "the client probably sent a partial body"
            )
        rest = inflater.unused_data
    return bytes(out)


def _parse_protobuf(kind: str, raw: bytes) -> Message:
    cls = _SIGNALS[kind][0]
    try:
        message = cls.FromString(raw)
    except DecodeError as exc:
        _raise_if_other_signal(kind, raw)
        raise InvalidPayloadError(
            f"body is not an {cls.__name__} in protobuf: {exc}; check the exporter's protocol "
            "(http/protobuf sends binary protobuf with Content-Type application/x-protobuf)"
        ) from exc
    if _first_record_has_unknown_fields(kind, message):
        # Another signal's request parses "fine" with misread fields; name the real mistake.
        _raise_if_other_signal(kind, raw)
    return message


def _raise_if_other_signal(kind: str, raw: bytes) -> None:
    for other, (cls, _key, path) in _SIGNALS.items():
        if other == kind:
            continue
        try:
            candidate = cls.FromString(raw)
        except DecodeError:
            continue
        if _record_count(other, candidate) and not _first_record_has_unknown_fields(
            other, candidate
        ):
            raise InvalidPayloadError(_wrong_endpoint_message(kind, other, path))


def _wrong_endpoint_message(kind: str, other: str, path: str) -> str:
    here = _SIGNALS[kind][2]
    if other == "metrics":
        return (
            f"this looks like an OTLP metrics request sent to {here}; heron does not "
            "receive OTLP metrics: disable the metrics exporter or point it elsewhere"
        )
    return f"this looks like an OTLP {other} request sent to {here}; send it to {path}"


def _records(kind: str, message: Message) -> Iterator[Message]:
    if kind == "traces":
        for rs in message.resource_spans:
            for ss in rs.scope_spans:
                yield from ss.spans
    elif kind == "logs":
        for rl in message.resource_logs:
            for sl in rl.scope_logs:
                yield from sl.log_records
    else:
        for rm in message.resource_metrics:
            for sm in rm.scope_metrics:
                yield from sm.metrics


def _record_count(kind: str, message: Message) -> int:
    return sum(1 for _ in _records(kind, message))


def _first_record_has_unknown_fields(kind: str, message: Message) -> bool:
    # Only the first record is inspected: cheap, and a request of the wrong signal
    # misreads every record the same way.
    for record in _records(kind, message):
        return len(UnknownFieldSet(record)) > 0
    return False


def _parse_json(kind: str, raw: bytes) -> Message:
    cls, key, _path = _SIGNALS[kind]
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidPayloadError(
            f"body is not valid JSON: {exc}; OTLP/JSON bodies are UTF-8 JSON objects "
            f'like {{"{key}": [...]}}'
        ) from exc
    if not isinstance(data, dict):
        raise InvalidPayloadError(
            f"body is not an {cls.__name__}: expected a JSON object like "
            f'{{"{key}": [...]}}, got {type(data).__name__}'
        )
    if key not in data and _snake(key) not in data:
        for other, (_cls, other_key, path) in _SIGNALS.items():
            if other != kind and (other_key in data or _snake(other_key) in data):
                raise InvalidPayloadError(_wrong_endpoint_message(kind, other, path))
    _hex_ids_to_base64(kind, data)
    message = cls()
    try:
        # OTLP/JSON receivers must ignore unknown fields (forward compatibility).
        json_format.ParseDict(data, message, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise InvalidPayloadError(f"body is not an {cls.__name__}: {exc}") from exc
    return message


def _snake(camel: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in camel)


def _items(obj: dict[str, Any], key: str) -> list[Any]:
    value = obj.get(key, obj.get(_snake(key)))
    return value if isinstance(value, list) else []


def _hex_ids_to_base64(kind: str, data: dict[str, Any]) -> None:
    """Rewrite OTLP/JSON hex ids in place to the base64 that json_format expects."""
    outer, middle, inner, id_keys = _ID_PATHS[kind]
    for i, resource in enumerate(_items(data, outer)):
        if not isinstance(resource, dict):
            continue
        for j, scope in enumerate(_items(resource, middle)):
            if not isinstance(scope, dict):
                continue
            for k, record in enumerate(_items(scope, inner)):
                if not isinstance(record, dict):
                    continue
                where = f"{outer}[{i}].{middle}[{j}].{inner}[{k}]"
                for id_key in id_keys:
                    _convert_key(record, id_key, where)
                if kind == "traces":
                    for n, link in enumerate(_items(record, "links")):
                        if isinstance(link, dict):
                            for id_key in ("traceId", "spanId"):
                                _convert_key(link, id_key, f"{where}.links[{n}]")


def _convert_key(record: dict[str, Any], key: str, where: str) -> None:
    for name in (key, _snake(key)):
        if name in record:
            record[name] = _hex_to_base64(record[name], f"{where}.{key}")


def _hex_to_base64(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise InvalidPayloadError(
            f"{where} must be a hex string, got {type(value).__name__} {value!r}"
        )
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise InvalidPayloadError(
            f"{where} is not a hex string: {value!r}; OTLP/JSON ids are hex "
            "(32 hex digits for a trace id, 16 for a span id), not base64"
        ) from None
    return base64.b64encode(raw).decode("ascii")
