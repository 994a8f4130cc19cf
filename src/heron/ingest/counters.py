"""Live ingest counters: what was accepted, rejected, flushed, and how the store is doing.

The ingest path writes them; the metrics feature reads ``snapshot()`` at scrape time.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

__all__ = ["IngestCounters"]


@dataclass(slots=True)
class IngestCounters:
    """Monotonic counters of the ingest path (thread-safe through the ``record_*`` methods)."""

    accepted_spans: int = 0
    accepted_log_records: int = 0
    rejected_spans: Counter[str] = field(default_factory=Counter)
    """Rejected spans per reason code (``invalid_trace_id``, ``missing_name``...)."""
    rejected_log_records: Counter[str] = field(default_factory=Counter)
    flushed_spans: int = 0
    """Spans written to the store (after normalization; dropped spans are not counted)."""
    flushed_log_records: int = 0
    flush_batches: int = 0
    flush_seconds_last: float = 0.0
    """Duration of the last store write, retries included."""
    flush_seconds_total: float = 0.0
    store_errors: int = 0
    """Failed store writes (each was retried; nothing is dropped)."""
    quarantined_records: int = 0
    """WAL records set aside because they could not be normalized."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def flush_seconds_avg(self) -> float:
        """Mean store write duration over all batches (0 before the first)."""
        return self.flush_seconds_total / self.flush_batches if self.flush_batches else 0.0

    def record_accepted(
        self, kind: str, accepted: int, rejected_by_reason: Mapping[str, int]
    ) -> None:
        """Count one ingested request of ``kind`` ('traces' or 'logs')."""
        with self._lock:
            if kind == "traces":
                self.accepted_spans += accepted
                self.rejected_spans.update(rejected_by_reason)
            else:
                self.accepted_log_records += accepted
                self.rejected_log_records.update(rejected_by_reason)

    def record_flush(self, spans: int, log_records: int, seconds: float) -> None:
        """Count one successful store write."""
        with self._lock:
            self.flushed_spans += spans
            self.flushed_log_records += log_records
            self.flush_batches += 1
            self.flush_seconds_last = seconds
            self.flush_seconds_total += seconds

    def record_store_error(self) -> None:
        """Count one failed store write."""
        with self._lock:
            self.store_errors += 1

    def record_quarantined(self) -> None:
        """Count one record set aside."""
        with self._lock:
            self.quarantined_records += 1

    def snapshot(self) -> IngestCounters:
        """A consistent copy for readers on other threads."""
        with self._lock:
            return replace(
                self,
                rejected_spans=Counter(self.rejected_spans),
                rejected_log_records=Counter(self.rejected_log_records),
                _lock=threading.Lock(),
            )
