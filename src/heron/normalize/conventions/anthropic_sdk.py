"""The ``anthropic`` Python SDK's own spans (scope ``com.anthropic.sdk.python``).

Current OTel GenAI names, except that the finish reason is only in
``anthropic.message.stop_reason`` (the raw Anthropic value), and ``error.type``
is the provider's error type (``api_error``), not an exception class.
"""

from __future__ import annotations

from heron.model import Span
from heron.normalize.coerce import as_str_list
from heron.normalize.conventions import genai
from heron.normalize.conventions.reading import Reading

__all__ = ["read"]


def read(span: Span) -> Reading:
    """The GenAI reading plus the SDK's stop reason."""
    reading = genai.read(span)
    stop_reason = as_str_list(span.attributes.get("anthropic.message.stop_reason"))
    if stop_reason:
        reading.finish_reasons_raw = stop_reason
    return reading
