"""OpenLIT: OTel GenAI names with its own meanings where they differ.

- For Anthropic, ``gen_ai.usage.input_tokens`` EXCLUDES cache reads and writes
  (OpenLIT passes Anthropic's raw ``input_tokens``): heron adds them back.
- ``gen_ai.server.time_to_first_token`` is set on non-streamed spans too, where
  it is not a TTFT (the shared GenAI reader only uses it on streamed spans).
- Cost as ``gen_ai.usage.cost`` (USD); user as ``gen_ai.request.user``.
- An HTTP client span under each LLM span is not an LLM call.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from heron.model import Span
from heron.normalize.coerce import as_float, as_str, first
from heron.normalize.conventions import genai
from heron.normalize.conventions.reading import Reading

__all__ = ["is_http_client_span", "read"]

_HTTP_MARKERS = ("http.request.method", "http.method", "url.full", "http.url")


def is_http_client_span(span: Span) -> bool:
    """True for a plain HTTP span: HTTP attributes and no GenAI operation or usage."""
    a = span.attributes
    if not any(key in a for key in _HTTP_MARKERS):
        return False
    return (
        first(a, "gen_ai.operation.name", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens")
        is None
    )


def read(span: Span) -> Reading:
    """The GenAI reading corrected for OpenLIT's meanings."""
    if is_http_client_span(span):
        return Reading(kind="span")
    a = span.attributes
    reading = genai.read(span)
    if reading.provider == "anthropic" and reading.input_tokens is not None:
        reading.input_tokens += (reading.cached_input_tokens or 0) + (
            reading.cache_write_input_tokens or 0
        )
    reading.user_id = as_str(a.get("gen_ai.request.user")) or reading.user_id
    cost = as_float(a.get("gen_ai.usage.cost"))
    if cost is not None and cost > 0:
        # OpenLIT reports 0 for models missing from its own price list: a zero is
        # "not priced", not "free", so heron prices those itself.
        try:
            reading.cost_usd = Decimal(str(cost))
            reading.cost_note = "cost as reported by OpenLIT (gen_ai.usage.cost)"
        except InvalidOperation:
            reading.cost_usd = None
    return reading
