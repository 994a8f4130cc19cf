"""Token usage made consistent: heron's invariants hold whatever the library sent.

- ``input_tokens`` includes cache reads and writes. A library that reported fewer
  input tokens than its own cache parts evidently sent the uncached count (the raw
  Anthropic meaning), so the parts are added back.
- ``total_tokens = input_tokens + output_tokens``; when only a total was reported
  (e.g. ``llm.usage.total_tokens`` alone) the missing side is derived from it, and
  a lone total with no split is kept as is.
- Counts are never negative; reasoning tokens are part of the output.
"""

from __future__ import annotations

from heron.model import Span

__all__ = ["UsageNormalizer"]


class UsageNormalizer:
    """Processor enforcing the token invariants of ``span-model.md``."""

    def __call__(self, span: Span) -> Span:
        reported_total = max(span.total_tokens, 0)
        cached = max(span.cached_input_tokens, 0)
        cache_write = max(span.cache_write_input_tokens, 0)
        input_tokens = max(span.input_tokens, 0)
        output_tokens = max(span.output_tokens, 0)
        reasoning = max(span.reasoning_tokens, 0)
        if input_tokens < cached + cache_write:
            input_tokens += cached + cache_write
        if reported_total and (input_tokens or output_tokens):
            if not input_tokens and output_tokens <= reported_total:
                input_tokens = reported_total - output_tokens
            elif not output_tokens and input_tokens <= reported_total:
                output_tokens = reported_total - input_tokens
        span.input_tokens = input_tokens
        span.cached_input_tokens = cached
        span.cache_write_input_tokens = cache_write
        span.output_tokens = max(output_tokens, reasoning)
        span.reasoning_tokens = reasoning
        split = span.input_tokens + span.output_tokens
        span.total_tokens = split if split else reported_total
        return span
