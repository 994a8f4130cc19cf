"""The background flusher: WAL records -> normalized spans -> store, then the checkpoint.

It runs on its own thread because store calls (chDB) block. The order of events for a
batch of WAL records ``first..last`` is::

    mark_inflight(first, last)   durable note of the batch boundaries
    insert_spans(chunk, dedup_token="<wal_id>:<first>-<last>:<chunk no>")   for each chunk
    observers(chunk)             metrics, alerts, evals
    checkpoint(last)             the records are no longer needed

A crash anywhere before the checkpoint replays the same batch with the same tokens, so
the store sees identical blocks and deduplicates them; the store's idempotent
``(project_id, trace_id, span_id)`` key covers everything else. Store failures are
retried with backoff forever: nothing is dropped, and the checkpoint never passes
unstored data.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Protocol, TypeVar

import structlog
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from heron.config import Settings
from heron.ingest.counters import IngestCounters
from heron.ingest.defaults import setting
from heron.ingest.gc_policy import tune_gc_for_ingest
from heron.ingest.wal import WalRecord, WriteAheadLog
from heron.model import Span
from heron.protocols import SpanObserver

__all__ = ["Flusher", "LogsSink", "Normalize", "SpanSink"]

Normalize = Callable[[str, ExportTraceServiceRequest], list[Span]]
"""Turns the OTLP spans of one project into normalized spans (``Normalizer.normalize``)."""

LogsSink = Callable[[str, ExportLogsServiceRequest], None]
"""Receives the log records of one WAL record; raising makes the flusher retry."""

log = structlog.get_logger("heron.ingest.flusher")

_T = TypeVar("_T")
_READ_CHUNK = 16  # WAL records read at a time
# Most spans normalized into one batch. Two batches are alive at once (one being
# stored, the next being normalized), each span with its LLM text in several
# forms; 20,000-span batches took the server past 1 GiB while batches past a
# few thousand spans no longer made ingest faster.
_BATCH_SPANS = 5_000


class SpanSink(Protocol):
    """The one store method the flusher needs (``TelemetryStore`` satisfies it)."""

    def insert_spans(self, spans: Sequence[Span], *, dedup_token: str | None = None) -> None:
        """Insert spans idempotently."""


class _Abandoned(Exception):
    """stop() ran out of time while the store was still failing."""


@dataclass(slots=True)
class _Batch:
    records: list[WalRecord]
    spans: list[Span]

    @property
    def first(self) -> int:
        return self.records[0].seq

    @property
    def last(self) -> int:
        return self.records[-1].seq


class Flusher:
    """Moves accepted batches from the WAL to the store on a background thread."""

    def __init__(
        self,
        wal: WriteAheadLog,
        normalize: Normalize,
        store: SpanSink,
        *,
        settings: Settings | None = None,
        max_spans: int | None = None,
        interval_s: float | None = None,
        observers: Sequence[SpanObserver] = (),
        logs_sink: LogsSink | None = None,
        counters: IngestCounters | None = None,
        retry_initial_s: float = 0.1,
        retry_max_s: float = 10.0,
        tune_gc: bool = True,
    ) -> None:
        """Configure the flusher; ``start()`` launches it.

        ``max_spans`` and ``interval_s`` default to ``settings.flush_max_spans`` and
        ``settings.flush_interval_s`` (or their documented defaults without settings).
        ``tune_gc=False`` leaves the garbage collector's thresholds alone (see ``start``).
        """
        if max_spans is None:
            max_spans = setting(settings, "flush_max_spans")
        if interval_s is None:
            interval_s = setting(settings, "flush_interval_s")
        if max_spans < 1:
            raise ValueError(f"max_spans must be at least 1, got {max_spans}")
        self.wal = wal
        self.store = store
        self.normalize = normalize
        self.max_spans = max_spans
        self._batch_spans = min(max_spans, _BATCH_SPANS)
        self.interval_s = interval_s
        self.observers = list(observers)
        self.logs_sink = logs_sink
        self.counters = counters if counters is not None else IngestCounters()
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self._wake = threading.Event()
        self._stopping = False
        self._abandon = threading.Event()
        self._idle = threading.Condition()
        self._done = wal.checkpoint_seq
        self._lookahead: dict[int, list[Span]] = {}
        self._thread: threading.Thread | None = None
        self._tune_gc = tune_gc
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="heron-store-writer")

    # -- control ----------------------------------------------------------------------

    def start(self) -> None:
        """Launch the background thread (replaying whatever the WAL holds first).

        It also applies ``tune_gc_for_ingest`` (idempotent; not with ``tune_gc=False``):
        startup is over by then.
        """
        if self._thread is not None:
            raise RuntimeError("Flusher.start() called twice")
        if self._tune_gc:
            tune_gc_for_ingest()
        self._thread = threading.Thread(target=self._run, name="heron-flusher", daemon=True)
        self._thread.start()

    def flush_now(self) -> None:
        """Write what the WAL holds without waiting for the flush interval."""
        self._wake.set()
        self.wal.notify_waiters()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Flush now and wait until everything durable at call time is stored."""
        target = self.wal.last_seq
        self.flush_now()
        with self._idle:
            return self._idle.wait_for(lambda: self._done >= target, timeout)

    def stop(self, timeout: float | None = 30.0) -> bool:
        """Drain the WAL to the store and stop; True when everything was stored.

        When the store still fails after ``timeout`` seconds the thread gives up; the
        records stay in the WAL and are replayed at the next start.
        """
        self._stopping = True
        self.flush_now()
        if self._thread is None:
            return self._done >= self.wal.last_seq
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._abandon.set()
            self._thread.join()
        self._writer.shutdown(wait=True)
        return self._done >= self.wal.last_seq

    # -- the loop ---------------------------------------------------------------------

    def _run(self) -> None:
        delay = self.retry_initial_s
        while True:
            try:
                if not self._step():
                    return
                delay = self.retry_initial_s
            except _Abandoned:
                log.warning("flusher.abandoned", pending_after_seq=self._done)
                return
            except Exception as exc:
                # Disk or WAL trouble: never let the thread die; retry the marked batch.
                log.error("flusher.failed", error=repr(exc), retry_in_s=round(delay, 3))
                self._lookahead.clear()
                if self._abandon.wait(delay):
                    log.warning("flusher.abandoned", pending_after_seq=self._done)
                    return
                delay = min(delay * 2, self.retry_max_s)

    def _step(self) -> bool:
        """Store what is available; False once stopping with nothing left."""
        inflight = self.wal.inflight
        if inflight is not None and inflight[0] > self._done:
            # A batch was marked but not checkpointed (crash, or a failure above):
            # store exactly those records again so the store sees the same blocks.
            self._replay_inflight(*inflight)
            return True
        self.wal.wait_for_records(
            self._done, timeout=1.0, until=lambda: self._stopping or self._wake.is_set()
        )
        if self.wal.last_seq <= self._done:
            if self._stopping:
                return False
            self._wake.clear()  # a flush_now() with nothing to flush is spent
            return True
        if not self._stopping and not self._wake.is_set():
            # Linger so that many small requests become one large insert.
            self._wake.wait(self.interval_s)
        self._wake.clear()
        self._pipeline()
        return True

    def _pipeline(self) -> None:
        """Normalize the next batch while the writer thread stores the previous one.

        At most one batch is being written at a time, so the WAL's single in-flight
        range and the in-order checkpoint stay as they were; only the CPU-bound
        normalization overlaps with the store's insert (which releases the GIL in
        the engine).
        """
        cursor = self._done
        pending: Future[None] | None = None
        try:
            while (batch := self._next_batch(cursor)) is not None:
                cursor = batch.last
                if pending is not None:
                    pending.result()
                pending = self._writer.submit(self._flush, batch)
            if pending is not None:
                done, pending = pending, None
                done.result()
        finally:
            if pending is not None:
                # Preparing the next batch failed: let the write in progress finish so
                # the checkpoint stays in order before the loop retries.
                with contextlib.suppress(Exception):
                    pending.result()

    def _replay_inflight(self, first: int, last: int) -> None:
        records = self._read(first - 1, last - first + 1)
        records = [r for r in records if r.seq <= last]
        log.info("flusher.replay_inflight", first=first, last=last, records=len(records))
        if not records:  # cannot happen with an intact WAL; do not loop on it
            self.wal.checkpoint(last)
            return
        spans = [s for r in records for s in self._spans_of(r)]
        self._flush(_Batch(records, spans), marked=True)

    def _read(self, after_seq: int, count: int) -> list[WalRecord]:
        return self.wal.read_after(after_seq, max_records=count)

    def _next_batch(self, after_seq: int) -> _Batch | None:
        """The next run of records after ``after_seq``: one logs record, or trace records
        up to ``_BATCH_SPANS`` (or max_spans when smaller)."""
        records = self._read(after_seq, _READ_CHUNK)
        if not records:
            return None
        if records[0].kind == "logs":
            return _Batch(records[:1], [])
        taken: list[WalRecord] = []
        spans: list[Span] = []
        while records:
            for record in records:
                if record.kind != "traces":
                    return _Batch(taken, spans)
                record_spans = self._spans_of(record)
                if taken and len(spans) + len(record_spans) > self._batch_spans:
                    self._lookahead[record.seq] = record_spans
                    return _Batch(taken, spans)
                taken.append(record)
                spans.extend(record_spans)
            # Read on in small chunks: big batches of big records must not be re-read.
            records = self._read(taken[-1].seq, _READ_CHUNK)
        return _Batch(taken, spans)

    def _spans_of(self, record: WalRecord) -> list[Span]:
        cached = self._lookahead.pop(record.seq, None)
        if cached is not None:
            return cached
        try:
            request = ExportTraceServiceRequest.FromString(record.payload)
            return self.normalize(record.project_id, request)
        except Exception as exc:
            # Retrying cannot fix a record the normalizer rejects; keep it for an operator
            # instead of stalling every project's ingest behind it.
            path = self.wal.quarantine(record, f"{type(exc).__name__}: {exc}")
            self.counters.record_quarantined()
            log.error(
                "flusher.record_quarantined",
                seq=record.seq,
                project_id=record.project_id,
                path=str(path),
                error=repr(exc),
            )
            return []

    def _flush(self, batch: _Batch, *, marked: bool = False) -> None:
        started = time.monotonic()
        if batch.records[0].kind == "logs":
            records = 0
            sink = self.logs_sink
            if sink is not None:
                for record in batch.records:
                    request = ExportLogsServiceRequest.FromString(record.payload)
                    self._retrying(partial(sink, record.project_id, request))
                    records += sum(
                        len(sl.log_records) for rl in request.resource_logs for sl in rl.scope_logs
                    )
                self.counters.record_flush(0, records, time.monotonic() - started)
        elif batch.spans:
            if not marked:
                self.wal.mark_inflight(batch.first, batch.last)
            for number, start in enumerate(range(0, len(batch.spans), self.max_spans)):
                chunk = batch.spans[start : start + self.max_spans]
                token = f"{self.wal.wal_id}:{batch.first}-{batch.last}:{number}"
                self._retrying(partial(self.store.insert_spans, chunk, dedup_token=token))
                self._notify_observers(chunk)
            self.counters.record_flush(len(batch.spans), 0, time.monotonic() - started)
        self.wal.checkpoint(batch.last)
        with self._idle:
            self._done = batch.last
            self._idle.notify_all()

    def _retrying(self, call: Callable[[], _T]) -> _T:
        delay = self.retry_initial_s
        attempt = 1
        while True:
            try:
                return call()
            except Exception as exc:
                self.counters.record_store_error()
                log.warning(
                    "flusher.store_failed",
                    attempt=attempt,
                    retry_in_s=round(delay, 3),
                    error=repr(exc),
                )
            if self._abandon.wait(delay):
                raise _Abandoned
            delay = min(delay * 2, self.retry_max_s)
            attempt += 1

    def _notify_observers(self, spans: Sequence[Span]) -> None:
        for observer in self.observers:
            try:
                observer(spans)
            except Exception as exc:
                # An observer (metrics, alerts) must never hold back storage.
                log.error("flusher.observer_failed", observer=repr(observer), error=repr(exc))
