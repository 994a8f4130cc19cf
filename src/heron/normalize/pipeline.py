"""A pipeline of small processors ``(Span) -> Span | None``, run in order.

A processor that raises is a bug in heron, not in the client's data; the span
then continues unchanged by that processor (and the failure is logged) rather
than being lost, because normalization must never drop a durable batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import structlog

from heron.model import Span
from heron.protocols import Processor

__all__ = ["Pipeline"]

_log = structlog.get_logger(__name__)


class Pipeline:
    """Runs processors in order over each span; a None result drops the span."""

    def __init__(self, processors: Sequence[Processor]) -> None:
        self.processors: tuple[Processor, ...] = tuple(processors)

    def __call__(self, span: Span) -> Span | None:
        current: Span | None = span
        for processor in self.processors:
            if current is None:
                return None
            try:
                current = processor(current)
            except Exception:
                _log.exception(
                    "normalize_processor_failed",
                    processor=type(processor).__name__,
                    trace_id=span.trace_id,
                    span_id=span.span_id,
                )
        return current

    def run(self, spans: Iterable[Span]) -> list[Span]:
        """Every span through the pipeline, dropped ones left out, order kept."""
        return [out for span in spans if (out := self(span)) is not None]
