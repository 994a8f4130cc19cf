"""Finish reasons: keep what the provider said, and map it to heron's normalized set
``stop``, ``length``, ``tool_call``, ``content_filter``, ``error``.
"""

from __future__ import annotations

from heron.model import Span

__all__ = ["FinishReasonNormalizer", "normalize_finish_reason"]

_MAP = {
    "stop": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "complete": "stop",
    "completed": "stop",
    "finish_reason_stop": "stop",
    "eos": "stop",
    "pause_turn": "stop",
    "length": "length",
    "max_tokens": "length",
    "max_output_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_call": "tool_call",
    "tool_calls": "tool_call",
    "tool_use": "tool_call",
    "function_call": "tool_call",
    "content_filter": "content_filter",
    "safety": "content_filter",
    "refusal": "content_filter",
    "recitation": "content_filter",
    "blocklist": "content_filter",
    "prohibited_content": "content_filter",
    "spii": "content_filter",
    "error": "error",
    "malformed_function_call": "error",
}


def normalize_finish_reason(raw: str) -> str | None:
    """heron's name for a provider's finish reason; None when it has no equivalent."""
    return _MAP.get(raw.strip().lower())


class FinishReasonNormalizer:
    """Processor filling ``finish_reasons`` from ``finish_reasons_raw``."""

    def __call__(self, span: Span) -> Span:
        normalized = [
            reason
            for raw in span.finish_reasons_raw
            if (reason := normalize_finish_reason(raw)) is not None
        ]
        span.finish_reasons = normalized
        return span
