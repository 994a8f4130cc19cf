"""Turn on the maintained OpenLLMetry instrumentations for the LLM clients in use.

heron does not instrument clients itself: ``opentelemetry-instrumentation-openai``
and ``-anthropic`` (extras ``heron-sdk[openai,anthropic]``) are used when
importable, and skipped silently otherwise. Their content capture follows
heron's ``capture_content`` through their documented switch,
``TRACELOOP_TRACE_CONTENT``, which they read on every call.

The ``anthropic`` SDK traces itself whenever a tracer provider exists (scope
``com.anthropic.sdk.python``). With the Anthropic instrumentation also on,
every call would produce two LLM spans; heron sets ``ANTHROPIC_OPEN_TELEMETRY=false``
(the SDK's documented off switch, read when a client is constructed) unless
the app set it. Clients built before :func:`heron_sdk.init` keep their
setting, so call ``init`` first.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import MutableMapping

from opentelemetry.trace import TracerProvider

__all__ = ["INSTRUMENTATIONS", "configure_content_capture", "enable_instrumentations"]

_log = logging.getLogger("heron_sdk")

INSTRUMENTATIONS: tuple[tuple[str, str, str], ...] = (
    ("openai", "opentelemetry.instrumentation.openai", "OpenAIInstrumentor"),
    ("anthropic", "opentelemetry.instrumentation.anthropic", "AnthropicInstrumentor"),
)
"""(client, module, class) of each instrumentation heron turns on when it is installed."""


def configure_content_capture(
    capture: bool, environ: MutableMapping[str, str] | None = None
) -> None:
    """Make every known instrumentation record prompts and completions only when ``capture``.

    heron's setting wins over an earlier ``TRACELOOP_TRACE_CONTENT``, so one
    switch decides what leaves the app.
    """
    env = os.environ if environ is None else environ
    value = "true" if capture else "false"
    env["TRACELOOP_TRACE_CONTENT"] = value  # OpenLLMetry instrumentations
    env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = value  # OTel contrib genai ones
    if capture:
        # The anthropic SDK's own spans record content only in this mode.
        env.setdefault("ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE", "content")


def enable_instrumentations(
    tracer_provider: TracerProvider,
    environ: MutableMapping[str, str] | None = None,
) -> tuple[str, ...]:
    """Instrument each installed client with its instrumentation; the clients now traced.

    An instrumentation the app already enabled counts as on and is left as is.
    """
    env = os.environ if environ is None else environ
    enabled: list[str] = []
    for client, module_name, class_name in INSTRUMENTATIONS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        except Exception:
            _log.warning(
                "heron_sdk: importing %s failed; %s calls are not traced",
                module_name,
                client,
                exc_info=True,
            )
            continue
        try:
            instrumentor = getattr(module, class_name)()
            if not instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.instrument(tracer_provider=tracer_provider)
            if instrumentor.is_instrumented_by_opentelemetry:
                enabled.append(client)
        except Exception:
            _log.warning(
                "heron_sdk: %s instrumentation failed; %s calls are not traced",
                module_name,
                client,
                exc_info=True,
            )
    if "anthropic" in enabled:
        if "ANTHROPIC_OPEN_TELEMETRY" not in env:
            env["ANTHROPIC_OPEN_TELEMETRY"] = "false"
        elif env["ANTHROPIC_OPEN_TELEMETRY"].lower() != "false":
            _log.info(
                "heron_sdk: ANTHROPIC_OPEN_TELEMETRY=%s is set; "
                "anthropic calls may be traced twice (heron marks the inner span as a duplicate)",
                env["ANTHROPIC_OPEN_TELEMETRY"],
            )
    return tuple(enabled)
