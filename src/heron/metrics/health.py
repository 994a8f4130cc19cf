"""heron's own health series, read from the running components at scrape time.

The ingest path, the flusher and the eval scheduler keep their own counters;
this module only reads them through :class:`HealthSource`, so metrics never
reach into those components. :class:`HealthCounters` is a ready, thread-safe
source the composition root can hand to them to increment.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector

__all__ = ["FlushStats", "HealthCollector", "HealthCounters", "HealthSource"]


@dataclass(frozen=True, slots=True)
class FlushStats:
    """Flusher timings since start: how many flushes, their total and last duration (s)."""

    count: int = 0
    sum_seconds: float = 0.0
    last_seconds: float | None = None


class HealthSource(Protocol):
    """The numbers heron exposes about itself; each call must be cheap and never raise."""

    def spans_accepted_total(self) -> int:
        """Spans acknowledged to clients since start (ingest rate = its rate())."""

    def spans_rejected_total(self) -> Mapping[str, int]:
        """Spans refused since start, by reason (e.g. invalid, too_large, backpressure)."""

    def wal_backlog_bytes(self) -> int:
        """Bytes in the write-ahead log not yet flushed to the store."""

    def flush_stats(self) -> FlushStats:
        """Flush timings since start."""

    def store_errors_total(self) -> int:
        """Failed store writes or reads since start."""

    def eval_queue_depth(self) -> int:
        """Eval jobs waiting to run."""


class HealthCounters:
    """A thread-safe :class:`HealthSource` that components increment directly.

    Gauges that live elsewhere (WAL backlog, eval queue) are read through the
    callables given at construction, so they are always current at scrape time.
    """

    def __init__(
        self,
        *,
        wal_backlog_bytes: Callable[[], int] = lambda: 0,
        eval_queue_depth: Callable[[], int] = lambda: 0,
    ) -> None:
        self._lock = threading.Lock()
        self._accepted = 0
        self._rejected: dict[str, int] = {}
        self._store_errors = 0
        self._flush = FlushStats()
        self._wal_backlog = wal_backlog_bytes
        self._eval_queue = eval_queue_depth

    def add_accepted(self, n: int) -> None:
        """Count ``n`` spans acknowledged to a client."""
        with self._lock:
            self._accepted += n

    def add_rejected(self, reason: str, n: int) -> None:
        """Count ``n`` spans refused for ``reason`` (keep reasons a small fixed set)."""
        with self._lock:
            self._rejected[reason] = self._rejected.get(reason, 0) + n

    def add_store_error(self) -> None:
        """Count one failed store operation."""
        with self._lock:
            self._store_errors += 1

    def record_flush(self, seconds: float) -> None:
        """Record one flush that took ``seconds``."""
        with self._lock:
            f = self._flush
            self._flush = FlushStats(f.count + 1, f.sum_seconds + seconds, seconds)

    def spans_accepted_total(self) -> int:
        """See :class:`HealthSource`."""
        with self._lock:
            return self._accepted

    def spans_rejected_total(self) -> Mapping[str, int]:
        """See :class:`HealthSource`."""
        with self._lock:
            return dict(self._rejected)

    def wal_backlog_bytes(self) -> int:
        """See :class:`HealthSource`."""
        return self._wal_backlog()

    def flush_stats(self) -> FlushStats:
        """See :class:`HealthSource`."""
        with self._lock:
            return self._flush

    def store_errors_total(self) -> int:
        """See :class:`HealthSource`."""
        with self._lock:
            return self._store_errors

    def eval_queue_depth(self) -> int:
        """See :class:`HealthSource`."""
        return self._eval_queue()


class HealthCollector(Collector):
    """Exposes a :class:`HealthSource` as ``heron_*`` series at each scrape."""

    def __init__(self, source: HealthSource) -> None:
        self._source = source

    def collect(self) -> Iterable[Metric]:
        """Read the source once and yield the families."""
        s = self._source
        yield CounterMetricFamily(
            "heron_spans_accepted", "Spans acknowledged to clients.", value=s.spans_accepted_total()
        )
        rejected = CounterMetricFamily(
            "heron_spans_rejected", "Spans refused at ingest, by reason.", labels=["reason"]
        )
        for reason, n in sorted(s.spans_rejected_total().items()):
            rejected.add_metric([reason], n)
        yield rejected
        yield GaugeMetricFamily(
            "heron_wal_backlog_bytes",
            "Bytes in the write-ahead log not yet flushed to the store.",
            value=s.wal_backlog_bytes(),
        )
        flush = s.flush_stats()
        yield SummaryMetricFamily(
            "heron_flush_duration_seconds",
            "Time to write one batch from the WAL to the store.",
            count_value=flush.count,
            sum_value=flush.sum_seconds,
        )
        if flush.last_seconds is not None:
            yield GaugeMetricFamily(
                "heron_flush_last_duration_seconds",
                "Duration of the most recent flush.",
                value=flush.last_seconds,
            )
        yield CounterMetricFamily(
            "heron_store_errors", "Failed telemetry store operations.", value=s.store_errors_total()
        )
        yield GaugeMetricFamily(
            "heron_eval_queue_depth", "Eval jobs waiting to run.", value=s.eval_queue_depth()
        )
