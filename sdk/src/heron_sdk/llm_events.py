"""``log_llm_interaction``: one structured ``llm_call`` log event per model call.

For apps that call a model without an instrumentation (a raw HTTP client, a
gateway) but still want heron to see tokens, latency and cost as logs. The
event is an OTLP log record with ``event.name = llm_call`` linked to the
current trace; prompt and response previews are added only when content
capture is on, redacted and cut to 500 characters.
"""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry.util.types import AnyValue

from heron_sdk import handle
from heron_sdk.logging import emit
from heron_sdk.redaction import preview

__all__ = ["log_llm_interaction"]

_log = logging.getLogger("heron_sdk")


def log_llm_interaction(
    *,
    request_id: str,
    model: str,
    provider: str | None = None,
    input_tokens: int,
    output_tokens: int,
    latency_ms: float,
    finish_reason: str | None = None,
    estimated_cost_usd: float | None = None,
    user_id: str | None = None,
    session_id: str | None = None,
    prompt: str | None = None,
    response: str | None = None,
) -> bool:
    """Emit an ``llm_call`` event to heron's logs; True when it was queued.

    Attributes use the parameter names (``request_id``, ``model``,
    ``input_tokens``...) plus ``event.name``, ``user.id`` and ``session.id``;
    ``prompt_preview`` / ``response_preview`` appear only with content capture on.
    """
    try:
        active = handle.active()
        attrs: dict[str, Any] = {
            "event.name": "llm_call",
            "request_id": str(request_id),
            "model": str(model),
            "provider": provider,
            "input_tokens": int(input_tokens),
            "output_tokens": int(output_tokens),
            "total_tokens": int(input_tokens) + int(output_tokens),
            "latency_ms": float(latency_ms),
            "finish_reason": finish_reason,
            "estimated_cost_usd": None if estimated_cost_usd is None else float(estimated_cost_usd),
            "user.id": user_id,
            "session.id": session_id,
        }
        if active is not None and active.settings.capture_content:
            if prompt is not None:
                attrs["prompt_preview"] = preview(prompt)
            if response is not None:
                attrs["response_preview"] = preview(response)
        clean: dict[str, AnyValue] = {k: v for k, v in attrs.items() if v is not None}
        return emit(
            logger_name="heron_sdk.llm",
            body="llm_call",
            levelno=logging.INFO,
            attributes=clean,
            event_name="llm_call",
        )
    except Exception:
        _log.warning("heron_sdk.log_llm_interaction(): event not logged", exc_info=True)
        return False
