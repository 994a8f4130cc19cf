"""Counts of what the SDK sent and dropped, so a silent loss is still visible.

The SDK never raises into the app; when heron is unreachable or a queue is full
it drops data. These counts, read with :func:`heron_sdk.stats`, are how an
operator notices.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

__all__ = ["Counters", "QueueTracker", "SdkStats"]


@dataclass(frozen=True, slots=True)
class SdkStats:
    """A snapshot of the counts of the latest ``init`` setup.

    ``*_dropped`` counts items that never reached heron: the queue was full, the
    export failed after the exporter's retries, or the item was invalid (scores).
    """

    spans_exported: int = 0
    spans_dropped: int = 0
    logs_exported: int = 0
    logs_dropped: int = 0
    scores_sent: int = 0
    scores_dropped: int = 0


class QueueTracker:
    """Admission control and exact counts for a bounded batch queue it cannot see into.

    OTel's batch processors evict their oldest item silently when full and
    publish no counter. So items are admitted here first: an item is pending
    from admission until the exporter receives it, and none is admitted while
    ``max_size`` are pending. The OTel queue then never overflows, and every
    item is counted exactly once: exported, or dropped (refused or failed).
    """

    def __init__(self, max_size: int) -> None:
        self._max = max_size
        self._lock = threading.Lock()
        self._pending = 0
        self.exported = 0
        self.dropped = 0

    def offer(self) -> bool:
        """Admit one item (True), or refuse and count it dropped when the queue is full."""
        with self._lock:
            if self._pending >= self._max:
                self.dropped += 1
                return False
            self._pending += 1
            return True

    def taken(self, count: int, *, delivered: bool) -> None:
        """Note ``count`` items leaving the queue, delivered to heron or not."""
        with self._lock:
            self._pending = max(0, self._pending - count)
            if delivered:
                self.exported += count
            else:
                self.dropped += count

    def lost(self, count: int) -> None:
        """Note ``count`` items dropped before reaching any queue."""
        with self._lock:
            self.dropped += count


class Counters:
    """The counts of one ``init`` setup, read by :func:`heron_sdk.stats`."""

    def __init__(self, max_queue_size: int = 2048) -> None:
        self.spans = QueueTracker(max_queue_size)
        self.logs = QueueTracker(max_queue_size)
        self.scores = QueueTracker(max_queue_size)

    def snapshot(self) -> SdkStats:
        """The counts now."""
        return SdkStats(
            spans_exported=self.spans.exported,
            spans_dropped=self.spans.dropped,
            logs_exported=self.logs.exported,
            logs_dropped=self.logs.dropped,
            scores_sent=self.scores.exported,
            scores_dropped=self.scores.dropped,
        )
