"""The ingest service: decode -> validate -> WAL, shared by the OTLP/HTTP and gRPC receivers.

It never touches the store: a request is answered as soon as its valid part is durable
in the write-ahead log; the flusher does the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from heron.config import Settings
from heron.ingest.counters import IngestCounters
from heron.ingest.defaults import setting
from heron.ingest.otlp_decode import decode_logs, decode_traces, encode_message, media_type_of
from heron.ingest.validate import validate_logs, validate_traces
from heron.ingest.wal import WriteAheadLog

__all__ = ["Ingestor", "PrepareLogs", "PrepareTraces"]

PrepareTraces = Callable[[str, ExportTraceServiceRequest], object]
"""Changes a valid traces request in place before the WAL; raises to refuse it."""
PrepareLogs = Callable[[str, ExportLogsServiceRequest], object]
"""Changes a valid logs request in place before the WAL; raises to refuse it."""


class Ingestor:
    """Accepts OTLP requests for a project and makes their valid part durable."""

    def __init__(
        self,
        wal: WriteAheadLog,
        settings: Settings | None = None,
        *,
        max_body_bytes: int | None = None,
        counters: IngestCounters | None = None,
        prepare_traces: PrepareTraces | None = None,
        prepare_logs: PrepareLogs | None = None,
    ) -> None:
        """``max_body_bytes`` (default ``settings.max_body_bytes``) bounds bodies before
        and after gunzip."""
        self.wal = wal
        self.max_body_bytes = (
            max_body_bytes if max_body_bytes is not None else setting(settings, "max_body_bytes")
        )
        self.counters = counters if counters is not None else IngestCounters()
        # Per-project rate limits, redaction and caps, applied in place to the valid
        # part of a request before it reaches the WAL (heron.security.IngestGuard).
        self.prepare_traces = prepare_traces
        self.prepare_logs = prepare_logs

    async def ingest_traces(
        self, project_id: str, body: bytes, content_type: str, content_encoding: str | None
    ) -> tuple[bytes, str]:
        """Handle an OTLP/HTTP ``/v1/traces`` body; returns the response body and media type.

        Raises InvalidPayloadError, UnsupportedMediaError, PayloadTooLargeError or
        BackpressureError; nothing is written when it raises.
        """
        media = media_type_of(content_type)
        request = decode_traces(body, content_type, content_encoding, max_bytes=self.max_body_bytes)
        response = await self.ingest_traces_request(project_id, request)
        return encode_message(response, media), media

    async def ingest_logs(
        self, project_id: str, body: bytes, content_type: str, content_encoding: str | None
    ) -> tuple[bytes, str]:
        """Handle an OTLP/HTTP ``/v1/logs`` body; returns the response body and media type."""
        media = media_type_of(content_type)
        request = decode_logs(body, content_type, content_encoding, max_bytes=self.max_body_bytes)
        response = await self.ingest_logs_request(project_id, request)
        return encode_message(response, media), media

    async def ingest_traces_request(
        self, project_id: str, request: ExportTraceServiceRequest
    ) -> ExportTraceServiceResponse:
        """Validate a decoded traces request and append its valid spans to the WAL."""
        result = validate_traces(request)
        if result.accepted and self.prepare_traces is not None:
            await asyncio.to_thread(self.prepare_traces, project_id, result.request)
        if result.accepted:
            await self.wal.append("traces", project_id, result.request.SerializeToString())
        self.counters.record_accepted("traces", result.accepted, result.reasons)
        response = ExportTraceServiceResponse()
        if result.rejected:
            response.partial_success.rejected_spans = result.rejected
            response.partial_success.error_message = result.error_message
        return response

    async def ingest_logs_request(
        self, project_id: str, request: ExportLogsServiceRequest
    ) -> ExportLogsServiceResponse:
        """Validate a decoded logs request and append its valid records to the WAL."""
        result = validate_logs(request)
        if result.accepted and self.prepare_logs is not None:
            await asyncio.to_thread(self.prepare_logs, project_id, result.request)
        if result.accepted:
            await self.wal.append("logs", project_id, result.request.SerializeToString())
        self.counters.record_accepted("logs", result.accepted, result.reasons)
        response = ExportLogsServiceResponse()
        if result.rejected:
            response.partial_success.rejected_log_records = result.rejected
            response.partial_success.error_message = result.error_message
        return response
