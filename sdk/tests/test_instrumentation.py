"""Turning on OpenLLMetry instrumentations, and switching the anthropic SDK's own spans off."""

from __future__ import annotations

import sys
import types

import pytest
from heron_sdk.instrumentation import configure_content_capture, enable_instrumentations
from opentelemetry.sdk.trace import TracerProvider


class _Instrumentor:
    """Behaves like an opentelemetry BaseInstrumentor: a process-wide on/off switch."""

    on = False
    provider: object = None

    @property
    def is_instrumented_by_opentelemetry(self) -> bool:
        return type(self).on

    def instrument(self, tracer_provider: object = None) -> None:
        type(self).on = True
        type(self).provider = tracer_provider


@pytest.fixture
def anthropic_instrumentation(monkeypatch):
    cls = type("AnthropicInstrumentor", (_Instrumentor,), {"on": False})
    module = types.ModuleType("opentelemetry.instrumentation.anthropic")
    module.AnthropicInstrumentor = cls  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "opentelemetry.instrumentation.anthropic", module)
    return cls


def test_installed_instrumentation_is_enabled_and_native_spans_turned_off(
    anthropic_instrumentation,
):
    provider = TracerProvider()
    env: dict[str, str] = {}
    enabled = enable_instrumentations(provider, env)
    assert "anthropic" in enabled
    assert anthropic_instrumentation.provider is provider
    assert env["ANTHROPIC_OPEN_TELEMETRY"] == "false"


def test_an_explicit_anthropic_setting_is_respected(anthropic_instrumentation):
    env = {"ANTHROPIC_OPEN_TELEMETRY": "true"}
    enable_instrumentations(TracerProvider(), env)
    assert env["ANTHROPIC_OPEN_TELEMETRY"] == "true"


def test_missing_instrumentations_change_nothing(monkeypatch):
    for name in ("opentelemetry.instrumentation.anthropic", "opentelemetry.instrumentation.openai"):
        monkeypatch.setitem(sys.modules, name, None)  # None in sys.modules makes import fail
    env: dict[str, str] = {}
    assert enable_instrumentations(TracerProvider(), env) == ()
    assert env == {}


@pytest.mark.parametrize(("capture", "value"), [(True, "true"), (False, "false")])
def test_content_capture_switch(capture, value):
    env = {"TRACELOOP_TRACE_CONTENT": "true"}
    configure_content_capture(capture, env)
    assert env["TRACELOOP_TRACE_CONTENT"] == value
    assert env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] == value
    assert ("ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE" in env) is capture
