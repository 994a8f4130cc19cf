"""The normalizer: OTLP ``ExportTraceServiceRequest`` -> normalized ``heron.model.Span`` list.

Order of work (each step a small processor, see ``pipeline``):

1. ``convert``: OTLP -> raw span (ids, times, status, scope, resource, events);
2. ``conventions``: detect the family, read its attributes into heron's fields;
3. ``usage`` -> ``finish_reasons`` -> ``messages`` -> ``ttft`` -> ``template``
   -> ``cost`` -> ``context_window``: per-span normalization;
4. ``trace_context``: inheritance from ancestors and duplicate LLM spans, over the
   batch and what earlier batches of the same traces carried;
5. ``content`` (only with ``capture_content=False``): drop prompt/completion text.

Deterministic: the same request gives equal spans (the WAL replays batches).
"""

from __future__ import annotations

from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from heron.model import Span
from heron.normalize.content import ContentDropper
from heron.normalize.context_window import ContextWindowResolver
from heron.normalize.conventions import ConventionMapper
from heron.normalize.convert import convert_request
from heron.normalize.cost import CostCalculator
from heron.normalize.finish_reasons import FinishReasonNormalizer
from heron.normalize.messages import MessageDerivations
from heron.normalize.pipeline import Pipeline
from heron.normalize.template import TemplateHasher
from heron.normalize.trace_context import DEFAULT_MAX_BYTES, DEFAULT_MAX_TRACES, TraceContext
from heron.normalize.ttft import TtftResolver
from heron.normalize.usage import UsageNormalizer
from heron.protocols import Processor

__all__ = ["Normalizer"]


class Normalizer:
    """Turns OTLP trace requests into normalized spans.

    ``prices_file`` and ``context_windows_file`` are YAML override files (formats in
    ``heron.normalize.cost`` and ``heron.normalize.context_window``); a malformed file
    raises ``ConfigError`` here, at construction. ``trace_cache_size`` and
    ``trace_cache_bytes`` bound the recent traces remembered for cross-batch
    inheritance (by count and by estimated size).
    """

    def __init__(
        self,
        *,
        prices_file: Path | None = None,
        context_windows_file: Path | None = None,
        capture_content: bool = True,
        trace_cache_size: int = DEFAULT_MAX_TRACES,
        trace_cache_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        processors: list[Processor] = [
            ConventionMapper(),
            UsageNormalizer(),
            FinishReasonNormalizer(),
            MessageDerivations(),
            TtftResolver(),
            TemplateHasher(),
            CostCalculator(prices_file),
            ContextWindowResolver(context_windows_file),
        ]
        self.pipeline = Pipeline(processors)
        self.trace_context = TraceContext(max_traces=trace_cache_size, max_bytes=trace_cache_bytes)
        self.finishing = Pipeline([] if capture_content else [ContentDropper()])
        self.capture_content = capture_content

    def normalize(self, project_id: str, request: ExportTraceServiceRequest) -> list[Span]:
        """The request's spans, normalized, in request order."""
        spans = self.pipeline.run(convert_request(project_id, request))
        self.trace_context.resolve(spans)
        return self.finishing.run(spans)
