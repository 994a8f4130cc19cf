"""Garbage-collector settings for a process that ingests spans.

Normalization creates tens of container objects per span (attribute dicts, message
lists) that stay alive until the batch is stored. CPython's cyclic collector counts
every surviving container: with its default thresholds it scanned the young spans
again and again and ran full collections over the whole heap (the imported
libraries, the price table) about every second batch. On the ingest benchmark's
traffic that was 35-40 % of normalization time, for no garbage found: normalized
spans hold no reference cycles and are freed by reference counting.

``tune_gc_for_ingest`` makes young collections rarer (every 50,000 net allocations
instead of 700) and full ones rarer still. Cycles are still collected, just in
larger, fewer passes. (``gc.freeze`` of the startup heap was measured too: alone it
made end-to-end ingest slower, as full collections then came more often.)
"""

from __future__ import annotations

import gc

__all__ = ["INGEST_GC_THRESHOLDS", "tune_gc_for_ingest"]

INGEST_GC_THRESHOLDS: tuple[int, int, int] = (50_000, 20, 10)
"""Generation 0/1/2 thresholds: allocations between young collections, then ratios."""


def tune_gc_for_ingest() -> None:
    """Raise the cyclic collector's thresholds, process-wide (the flusher calls it).

    Idempotent; thresholds already higher (set by an operator or an embedding
    application) are kept.
    """
    current = gc.get_threshold()
    # Never lower thresholds an operator (or an embedding application) raised.
    gc.set_threshold(*(max(a, b) for a, b in zip(current, INGEST_GC_THRESHOLDS, strict=True)))
