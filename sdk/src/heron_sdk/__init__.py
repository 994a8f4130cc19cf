"""heron-sdk: one-line OpenTelemetry setup for LLM apps sending to heron.

::

    import heron_sdk

    heron_sdk.init(endpoint="http://127.0.0.1:7070", api_key="hk_...", service_name="support-bot")

    @heron_sdk.observe(kind="agent")
    def answer(question: str) -> str:
        with heron_sdk.context(user_id="u-42", session_id="chat-7"):
            text = heron_sdk.prompt("Answer briefly: {q}", version="v2", q=question)
            ...  # the OpenAI/Anthropic call is traced by its instrumentation

The SDK depends only on OpenTelemetry packages, never on the heron server,
and never raises into the app: problems are logged (logger ``heron_sdk``),
data is dropped and counted (:func:`stats`).
"""

from __future__ import annotations

from heron_sdk.bootstrap import init
from heron_sdk.counters import SdkStats
from heron_sdk.enrichment import context
from heron_sdk.handle import HeronHandle, stats
from heron_sdk.llm_events import log_llm_interaction
from heron_sdk.logging import HeronLogHandler, TraceContextFilter, structlog_processor
from heron_sdk.observation import observe
from heron_sdk.prompts import prompt, prompt_context
from heron_sdk.scores import score

__all__ = [
    "HeronHandle",
    "HeronLogHandler",
    "SdkStats",
    "TraceContextFilter",
    "context",
    "init",
    "log_llm_interaction",
    "observe",
    "prompt",
    "prompt_context",
    "score",
    "stats",
    "structlog_processor",
]

__version__ = "0.1.0"
