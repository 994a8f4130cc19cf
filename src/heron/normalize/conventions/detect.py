"""Which convention family produced a span: from the instrumentation scope name first,
then from marker attributes.

Families: ``openinference``, ``openlit``, ``anthropic_sdk``, ``otel_genai`` (the
official OpenTelemetry GenAI instrumentations), ``openllmetry`` (Traceloop), and
``generic`` (anything else, e.g. the app's own spans or HTTP client spans).
"""

from __future__ import annotations

from typing import Literal

from heron.model import Span

__all__ = ["FAMILIES", "Family", "detect_family"]

Family = Literal[
    "openinference", "openlit", "anthropic_sdk", "otel_genai", "openllmetry", "generic"
]
FAMILIES: tuple[Family, ...] = (
    "openinference",
    "openlit",
    "anthropic_sdk",
    "otel_genai",
    "openllmetry",
    "generic",
)

# Scope-name prefixes, most specific first.
_SCOPE_PREFIXES: tuple[tuple[str, Family], ...] = (
    ("openinference.", "openinference"),
    ("openlit", "openlit"),
    ("com.anthropic.", "anthropic_sdk"),
    ("opentelemetry.instrumentation.genai.", "otel_genai"),
    ("opentelemetry.util.genai", "otel_genai"),
    ("opentelemetry.instrumentation.openai_v2", "otel_genai"),
    ("opentelemetry.instrumentation.google_genai", "otel_genai"),
    ("opentelemetry.instrumentation.vertexai", "otel_genai"),
    ("traceloop", "openllmetry"),
)
# HTTP client instrumentations: never an LLM call even under an LLM span.
_HTTP_SCOPES = ("httpx", "requests", "urllib", "aiohttp", "http.client")
_OPENLLMETRY_MARKERS = ("llm.request.type", "llm.is_streaming", "llm.usage.total_tokens")


def detect_family(span: Span) -> Family:
    """The family whose meanings apply to this span's attributes."""
    scope = (span.scope_name or "").lower()
    a = span.attributes
    if a.get("telemetry.sdk.name") == "openlit":
        return "openlit"
    for prefix, family in _SCOPE_PREFIXES:
        if scope.startswith(prefix):
            return family
    if scope.startswith("opentelemetry.instrumentation."):
        package = scope.removeprefix("opentelemetry.instrumentation.").split(".")[0]
        if package in _HTTP_SCOPES:
            return "generic"
    if "openinference.span.kind" in a:
        return "openinference"
    if any(key.startswith("traceloop.") for key in a) or any(k in a for k in _OPENLLMETRY_MARKERS):
        return "openllmetry"
    if scope.startswith("opentelemetry.instrumentation.") and any(
        k.startswith("gen_ai.") for k in a
    ):
        # OpenLLMetry's instrumentations use this namespace (…anthropic, …openai.v1).
        return "openllmetry"
    if any(key.startswith("gen_ai.") for key in a):
        return "otel_genai"
    if any(key.startswith(("llm.", "input.value", "output.value")) for key in a):
        return "openinference"
    return "generic"
