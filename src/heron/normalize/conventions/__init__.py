"""Convention mapping: detect the family that produced a span, read it with that family's
meanings, fall back on the others for what it did not say, and write heron's fields.

One module per family (``genai``, ``traceloop``, ``openinference``, ``openlit``,
``anthropic_sdk``, ``generic``); ``detect`` picks the family; ``reading`` merges.
"""

from __future__ import annotations

from collections.abc import Callable

from heron.model import Span
from heron.normalize.conventions import (
    anthropic_sdk,
    genai,
    generic,
    openinference,
    openlit,
    traceloop,
)
from heron.normalize.conventions.detect import FAMILIES, Family, detect_family
from heron.normalize.conventions.reading import Reading, apply, merge

__all__ = ["FAMILIES", "ConventionMapper", "Family", "Reading", "detect_family", "read_span"]

Reader = Callable[[Span], Reading]
Applies = Callable[[Span], bool]

# Per family: the readers in priority order. The family's own reader comes first
# so its meaning of a shared key (OpenLIT's Anthropic input tokens) is never
# shadowed by another family's reading; the rest only fill what it left unsaid.
_READERS: dict[Family, tuple[Reader, ...]] = {
    "openinference": (openinference.read, traceloop.read, genai.read, generic.read),
    "openlit": (openlit.read, traceloop.read, openinference.read, generic.read),
    "anthropic_sdk": (anthropic_sdk.read, generic.read),
    "otel_genai": (genai.read, traceloop.read, openinference.read, generic.read),
    "openllmetry": (traceloop.read, genai.read, openinference.read, generic.read),
    "generic": (generic.read,),
}
# A fallback reader none of whose keys a span carries reads nothing; skipping it is
# most of the mapper's time on spans of one convention. (The primary reader always
# runs: OpenLIT's says "span" for a plain HTTP span. The generic one is cheap.)
_APPLIES: dict[Reader, Applies] = {
    genai.read: genai.applies,
    openinference.read: openinference.applies,
    traceloop.read: traceloop.applies,
}
_PLAN: dict[Family, tuple[Reader, tuple[tuple[Reader, Applies | None], ...]]] = {
    family: (readers[0], tuple((reader, _APPLIES.get(reader)) for reader in readers[1:]))
    for family, readers in _READERS.items()
}


def read_span(span: Span, family: Family) -> Reading:
    """The merged reading of a span under the given family's priorities."""
    primary, fallbacks = _PLAN[family]
    readings = [primary(span)]
    for reader, applies in fallbacks:
        if applies is None or applies(span):
            readings.append(reader(span))
    return merge(*readings)


class ConventionMapper:
    """Processor: fills the normalized LLM fields from whichever convention the span follows."""

    def __call__(self, span: Span) -> Span:
        family = detect_family(span)
        span.convention = family
        return apply(read_span(span, family), span)
