"""Context window of the model and how much of it the call used.

The window comes from, in order: the user's file (``HERON_CONTEXT_WINDOWS_FILE``),
``genai-prices``' model data (which carries ``context_window``), then a small table of
model families below. ``context_window_utilization = input_tokens / window``.

File format: tokens per model, exact names or ``prefix*`` families (case-insensitive)::

    models:
      acme-large: 32000
      "acme-small-*": 8192
"""

from __future__ import annotations

from pathlib import Path

from genai_prices import data_snapshot

from heron.errors import ConfigError
from heron.model import Span
from heron.normalize.model_table import ModelTable, load_models_section

__all__ = ["FALLBACK_WINDOWS", "ContextWindowResolver", "load_context_windows_file"]

# Families genai-prices may not know (or not know by this spelling); longest prefix wins.
FALLBACK_WINDOWS: dict[str, int] = {
    "gpt-4o*": 128_000,
    "gpt-4-turbo*": 128_000,
    "gpt-4.1*": 1_047_576,
    "gpt-4*": 8_192,
    "gpt-3.5-turbo*": 16_385,
    "gpt-5*": 400_000,
    "o1*": 200_000,
    "o3*": 200_000,
    "o4-mini*": 200_000,
    "claude-*": 200_000,
    "gemini-1.5-pro*": 2_097_152,
    "gemini-1.5-flash*": 1_048_576,
    "gemini-2*": 1_048_576,
    "llama-3.1*": 131_072,
    "llama-3.2*": 131_072,
    "llama-3.3*": 131_072,
    "mistral-large*": 131_072,
}
_PRICE_PROVIDERS = {
    "azure.ai.openai": "azure",
    "aws.bedrock": "aws",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "mistral_ai": "mistral",
}


def load_context_windows_file(path: Path) -> dict[str, int]:
    """Parse a context windows file; ConfigError when an entry is not a positive integer."""
    windows: dict[str, int] = {}
    for name, value in load_models_section(path, "HERON_CONTEXT_WINDOWS_FILE").items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(
                f"HERON_CONTEXT_WINDOWS_FILE={str(path)!r}: model {name!r} has window "
                f"{value!r}; write a positive whole number of tokens"
            )
        windows[name] = value
    return windows


class ContextWindowResolver:
    """Processor setting ``context_window_tokens`` and ``context_window_utilization``."""

    def __init__(self, context_windows_file: Path | None = None) -> None:
        overrides = load_context_windows_file(context_windows_file) if context_windows_file else {}
        self._overrides = ModelTable(overrides)
        self._fallback = ModelTable(FALLBACK_WINDOWS)

    def window(self, model: str | None, provider: str | None) -> int | None:
        """The context window of ``model`` in tokens, or None when unknown."""
        if not model:
            return None
        found = self._overrides.get(model)
        if found is not None:
            return found
        provider_id = _PRICE_PROVIDERS.get(provider or "", provider)
        # A provider genai-prices does not know (a gateway) may still serve a known model.
        for attempt in dict.fromkeys((provider_id, None)):
            try:
                _provider, info = data_snapshot.get_snapshot().find_provider_model(
                    model, None, attempt, None
                )
            except (LookupError, ValueError):
                continue
            if isinstance(info.context_window, int) and info.context_window > 0:
                return info.context_window
            break
        return self._fallback.get(model)

    def __call__(self, span: Span) -> Span:
        if span.kind != "llm":
            return span
        window = self.window(span.response_model, span.provider) or self.window(
            span.request_model, span.provider
        )
        span.context_window_tokens = window
        span.context_window_utilization = (
            span.input_tokens / window if window and span.input_tokens else None
        )
        return span
