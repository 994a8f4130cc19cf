"""Time to first token, streamed calls only.

In order: what the convention mapper already read (``gen_ai.response.time_to_first_chunk``,
then ``gen_ai.server.time_to_first_token`` on a streamed span); then the earliest
first-chunk span event minus the span start (OpenLLMetry's
``gen_ai.content.completion.chunk`` / older ``llm.content.completion.chunk``,
OpenInference's ``First Token Stream Event``); else null. A non-streamed call
never gets one.
"""

from __future__ import annotations

from datetime import datetime

from heron.model import Span

__all__ = ["FIRST_CHUNK_EVENTS", "TtftResolver"]

FIRST_CHUNK_EVENTS = frozenset(
    {"gen_ai.content.completion.chunk", "llm.content.completion.chunk", "First Token Stream Event"}
)


class TtftResolver:
    """Processor setting ``ttft_ms`` (and ``streaming`` when chunk events prove it)."""

    def __call__(self, span: Span) -> Span:
        first_chunk_ms = _first_chunk_event_ms(span)
        if first_chunk_ms is not None:
            span.streaming = True
        if not span.streaming:
            span.ttft_ms = None
            return span
        if span.ttft_ms is None:
            span.ttft_ms = first_chunk_ms
        if span.ttft_ms is not None and span.ttft_ms < 0:
            span.ttft_ms = None
        return span


def _first_chunk_event_ms(span: Span) -> float | None:
    times = []
    for event in span.events:
        if event["name"] in FIRST_CHUNK_EVENTS:
            try:
                times.append(datetime.fromisoformat(event["time"]))
            except ValueError:
                continue
    if not times:
        return None
    delta = (min(times) - span.start_time).total_seconds() * 1000.0
    return delta if delta >= 0 else None
