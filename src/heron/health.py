"""Adapter from the ingest path's live counters to the metrics feature's HealthSource."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from heron.ingest import IngestCounters, WriteAheadLog
from heron.metrics import FlushStats

__all__ = ["IngestHealth"]


class IngestHealth:
    """Reads ``IngestCounters`` and the WAL at scrape time (a ``metrics.HealthSource``)."""

    def __init__(
        self,
        counters: IngestCounters,
        wal: WriteAheadLog,
        eval_queue_depth: Callable[[], int] = lambda: 0,
    ) -> None:
        self._counters = counters
        self._wal = wal
        self._eval_queue_depth = eval_queue_depth

    def spans_accepted_total(self) -> int:
        """Spans acknowledged since start."""
        return self._counters.accepted_spans

    def spans_rejected_total(self) -> Mapping[str, int]:
        """Spans refused since start, by reason."""
        return dict(self._counters.snapshot().rejected_spans)

    def wal_backlog_bytes(self) -> int:
        """Unflushed WAL bytes."""
        return self._wal.backlog_bytes

    def flush_stats(self) -> FlushStats:
        """Flush count and timings."""
        snap = self._counters.snapshot()
        return FlushStats(
            count=snap.flush_batches,
            sum_seconds=snap.flush_seconds_total,
            last_seconds=snap.flush_seconds_last if snap.flush_batches else None,
        )

    def store_errors_total(self) -> int:
        """Failed store writes since start."""
        return self._counters.store_errors

    def eval_queue_depth(self) -> int:
        """Eval jobs waiting."""
        try:
            return self._eval_queue_depth()
        except Exception:  # a gauge must never break a scrape
            return 0
