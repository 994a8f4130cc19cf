"""Bounded, counted export of spans and log records to heron over OTLP/HTTP.

OTel's batch processors already bound memory (a fixed-size queue drained by a
daemon thread); these wrappers add what they lack for heron: a drop count,
trace-id sampling when heron joins a tracer provider the app built, and a
switch that makes the processor inert after :meth:`HeronHandle.shutdown`
(a processor cannot be removed from a provider once added).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from opentelemetry.context import Context
from opentelemetry.sdk._logs import LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    LogRecordExporter,
    LogRecordExportResult,
)
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import TraceIdRatioBased

from heron_sdk.counters import QueueTracker

__all__ = ["HeronLogProcessor", "HeronSpanProcessor"]

_log = logging.getLogger("heron_sdk")


class _CountingSpanExporter(SpanExporter):
    """Counts each batch as delivered or dropped; never lets an exporter error escape."""

    def __init__(self, inner: SpanExporter, tracker: QueueTracker) -> None:
        self._inner = inner
        self._tracker = tracker

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self._inner.export(spans)
        except Exception:
            _log.warning("heron_sdk: exporting %d spans failed", len(spans), exc_info=True)
            result = SpanExportResult.FAILURE
        self._tracker.taken(len(spans), delivered=result is SpanExportResult.SUCCESS)
        return result

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


class HeronSpanProcessor(SpanProcessor):
    """Queues ended spans for heron in a bounded batch queue and counts what is lost.

    ``sample_rate`` below 1 keeps the same fraction of traces as OTel's
    ``TraceIdRatioBased`` sampler would (same trace-id rule), for when heron is
    added to an app's own provider whose sampler heron cannot change.
    """

    def __init__(
        self,
        exporter: SpanExporter,
        tracker: QueueTracker,
        *,
        max_queue_size: int,
        sample_rate: float = 1.0,
        schedule_delay_millis: float | None = None,
    ) -> None:
        self._tracker = tracker
        self._batch = BatchSpanProcessor(
            _CountingSpanExporter(exporter, tracker),
            max_queue_size=max_queue_size,
            schedule_delay_millis=schedule_delay_millis,
            max_export_batch_size=min(512, max_queue_size),
        )
        self._bound = (
            None if sample_rate >= 1.0 else TraceIdRatioBased.get_bound_for_rate(sample_rate)
        )
        self._closed = False

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Nothing to do when a span starts."""

    def on_end(self, span: ReadableSpan) -> None:
        """Queue the span unless it is unsampled or heron was shut down."""
        ctx = span.context
        if self._closed or ctx is None or not ctx.trace_flags.sampled:
            return
        if (
            self._bound is not None
            and (ctx.trace_id & TraceIdRatioBased.TRACE_ID_LIMIT) >= self._bound
        ):
            return
        if self._tracker.offer():
            self._batch.on_end(span)

    def shutdown(self) -> None:
        """Flush what is queued (bounded by the exporter's timeout) and go inert."""
        if self._closed:
            return
        self._closed = True
        self._batch.shutdown()  # type: ignore[no-untyped-call]

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Export everything queued now."""
        if self._closed:
            return False
        return self._batch.force_flush(timeout_millis)


class _CountingLogExporter(LogRecordExporter):
    """The log twin of :class:`_CountingSpanExporter`."""

    def __init__(self, inner: LogRecordExporter, tracker: QueueTracker) -> None:
        self._inner = inner
        self._tracker = tracker

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        try:
            result = self._inner.export(batch)
        except Exception:
            _log.warning("heron_sdk: exporting %d log records failed", len(batch), exc_info=True)
            result = LogRecordExportResult.FAILURE
        self._tracker.taken(len(batch), delivered=result is LogRecordExportResult.SUCCESS)
        return result

    def shutdown(self) -> None:
        self._inner.shutdown()  # type: ignore[no-untyped-call]

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


class HeronLogProcessor(LogRecordProcessor):
    """Queues log records for heron in a bounded batch queue and counts what is lost."""

    def __init__(
        self,
        exporter: LogRecordExporter,
        tracker: QueueTracker,
        *,
        max_queue_size: int,
        schedule_delay_millis: float | None = None,
    ) -> None:
        self._tracker = tracker
        self._batch = BatchLogRecordProcessor(
            _CountingLogExporter(exporter, tracker),
            max_queue_size=max_queue_size,
            schedule_delay_millis=schedule_delay_millis,
            max_export_batch_size=min(512, max_queue_size),
        )
        self._closed = False

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        """Queue the record unless heron was shut down."""
        if self._closed:
            return
        if self._tracker.offer():
            self._batch.on_emit(log_record)

    def shutdown(self) -> None:
        """Flush what is queued and go inert."""
        if self._closed:
            return
        self._closed = True
        self._batch.shutdown()  # type: ignore[no-untyped-call]

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Export everything queued now."""
        if self._closed:
            return False
        return self._batch.force_flush(timeout_millis)
