"""Families not in the captured fixtures, built with the real OTLP proto classes."""

from __future__ import annotations

import json
from decimal import Decimal

from heron.normalize import Normalizer
from heron.normalize.conventions import detect_family
from heron.normalize.convert import convert_request

from .conftest import make_request, make_span

ROOT = "1111111111111111"
LLM = "2222222222222222"
HTTP = "3333333333333333"


def _one_llm(scope: str, attrs: dict[str, object], **kw: object) -> list:
    request = make_request((scope, [make_span(LLM, attrs=attrs, **kw)]))  # type: ignore[arg-type]
    return Normalizer().normalize("p", request)


def test_openlit_anthropic_input_tokens_exclude_cache_so_heron_adds_them() -> None:
    attrs = {
        "telemetry.sdk.name": "openlit",
        "gen_ai.system": "anthropic",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "claude-haiku-4-5",
        "gen_ai.response.model": "claude-haiku-4-5-20251001",
        "gen_ai.usage.input_tokens": 25,
        "gen_ai.usage.output_tokens": 42,
        "gen_ai.usage.cache_read_input_tokens": 1200,
        "gen_ai.usage.cache_creation_input_tokens": 100,
        "gen_ai.request.is_stream": False,
        "gen_ai.server.time_to_first_token": 0.21,
        "gen_ai.usage.cost": 0.00048,
        "gen_ai.request.user": "user-7",
    }
    (span,) = _one_llm("openlit.otel.tracing", attrs)
    assert span.convention == "openlit"
    assert (span.input_tokens, span.cached_input_tokens, span.cache_write_input_tokens) == (
        1325,
        1200,
        100,
    )
    assert span.total_tokens == 1367
    # Non-streamed: OpenLIT's time_to_first_token is the whole latency, not a TTFT.
    assert span.streaming is False
    assert span.ttft_ms is None
    assert span.cost_usd == Decimal("0.00048")
    assert "OpenLIT" in (span.cost_note or "")
    assert span.user_id == "user-7"


def test_openlit_streamed_ttft_and_openai_input_left_alone() -> None:
    attrs = {
        "telemetry.sdk.name": "openlit",
        "gen_ai.system": "openai",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 1337,
        "gen_ai.usage.cache_read_input_tokens": 1024,
        "gen_ai.usage.output_tokens": 21,
        "gen_ai.request.is_stream": True,
        "gen_ai.server.time_to_first_token": 0.4,
        "gen_ai.usage.cost": 0,
    }
    (span,) = _one_llm("openlit.otel.tracing", attrs)
    assert span.input_tokens == 1337
    assert span.cached_input_tokens == 1024
    assert span.streaming is True
    assert span.ttft_ms == 400.0
    # A reported zero means "OpenLIT had no price", so heron prices it itself.
    assert span.cost_usd is not None
    assert span.cost_usd > 0
    assert span.cost_note is None


def test_openlit_http_child_span_is_not_an_llm_call() -> None:
    llm = make_span(
        LLM,
        attrs={
            "telemetry.sdk.name": "openlit",
            "gen_ai.system": "openai",
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": 10,
            "gen_ai.usage.output_tokens": 2,
        },
    )
    http = make_span(
        HTTP,
        parent=LLM,
        start_ms=5,
        end_ms=90,
        attrs={
            "telemetry.sdk.name": "openlit",
            "http.request.method": "POST",
            "url.full": "https://api.openai.com/v1/chat/completions",
            "gen_ai.request.model": "gpt-4o-mini",
        },
    )
    spans = Normalizer().normalize("p", make_request(("openlit.otel.tracing", [llm, http])))
    kinds = {s.span_id: s.kind for s in spans}
    assert kinds == {LLM: "llm", HTTP: "span"}


def test_older_flattened_prompt_and_capitalized_system() -> None:
    attrs = {
        "gen_ai.system": "OpenAI",
        "llm.request.type": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.usage.prompt_tokens": 50,
        "gen_ai.usage.completion_tokens": 10,
        "llm.usage.total_tokens": 60,
        "llm.is_streaming": False,
        "gen_ai.prompt.0.role": "system",
        "gen_ai.prompt.0.content": "Be brief.",
        "gen_ai.prompt.1.role": "user",
        "gen_ai.prompt.1.content": "Weather in Paris?",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.finish_reason": "tool_calls",
        "gen_ai.completion.0.tool_calls.0.id": "call_1",
        "gen_ai.completion.0.tool_calls.0.name": "get_weather",
        "gen_ai.completion.0.tool_calls.0.arguments": '{"location": "Paris"}',
        "traceloop.workflow.name": "weather_flow",
        "traceloop.association.properties.user_id": "u-9",
    }
    (span,) = _one_llm("opentelemetry.instrumentation.openai.v1", attrs)
    assert span.convention == "openllmetry"
    assert span.provider == "openai"
    assert span.operation == "chat"
    assert span.kind == "llm"
    assert (span.input_tokens, span.output_tokens, span.total_tokens) == (50, 10, 60)
    assert span.system_prompt == "Be brief."
    assert [m["role"] for m in span.input_messages] == ["system", "user"]
    assert span.input_value == "Weather in Paris?"
    assert span.finish_reasons_raw == ["tool_calls"]
    assert span.finish_reasons == ["tool_call"]
    assert span.tool_calls == [
        {"id": "call_1", "name": "get_weather", "arguments": '{"location": "Paris"}'}
    ]
    assert span.workflow_name == "weather_flow"
    assert span.user_id == "u-9"


def test_llm_usage_total_tokens_alone_derives_the_missing_side() -> None:
    attrs = {
        "gen_ai.system": "Anthropic",
        "gen_ai.request.model": "claude-haiku-4-5",
        "gen_ai.usage.completion_tokens": 8,
        "llm.usage.total_tokens": 30,
    }
    (span,) = _one_llm("opentelemetry.instrumentation.anthropic", attrs)
    assert span.provider == "anthropic"
    assert (span.input_tokens, span.output_tokens, span.total_tokens) == (22, 8, 30)


def test_traceloop_prompt_template_with_flattened_variables() -> None:
    attrs = {
        "traceloop.span.kind": "task",
        "traceloop.prompt.template": "Capital of {country}?",
        "traceloop.prompt.version": 3,
        "traceloop.prompt.template_variables.country": "France",
        "traceloop.entity.input": json.dumps({"inputs": {"country": "France"}}),
    }
    (span,) = _one_llm("traceloop.tracer", attrs)
    assert span.kind == "chain"
    assert span.prompt_template == "Capital of {country}?"
    assert span.prompt_template_version == "3"
    assert span.prompt_template_variables == {"country": "France"}
    assert span.prompt_template_hash is not None
    assert span.input_value is not None
    assert "France" in span.input_value


def test_per_message_events_become_messages() -> None:
    attrs = {
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.operation.name": "chat",
    }
    events = [
        ("gen_ai.system.message", 1.0, {"content": "Sys"}),
        ("gen_ai.user.message", 1.0, {"content": "Hi"}),
        (
            "gen_ai.choice",
            50.0,
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "Hello"},
            },
        ),
    ]
    (span,) = _one_llm("opentelemetry.instrumentation.openai_v2", attrs, events=events)
    assert span.convention == "otel_genai"
    assert span.input_messages == [
        {"role": "system", "content": "Sys"},
        {"role": "user", "content": "Hi"},
    ]
    assert span.output_messages == [{"role": "assistant", "content": "Hello"}]
    assert span.system_prompt == "Sys"
    assert span.output_value == "Hello"


def test_openinference_reported_cost_is_kept_and_noted() -> None:
    attrs = {
        "openinference.span.kind": "LLM",
        "llm.provider": "openai",
        "llm.model_name": "gpt-4o-mini",
        "llm.token_count.prompt": 10,
        "llm.token_count.completion": 5,
        "llm.cost.total": 0.125,
    }
    (span,) = _one_llm("openinference.instrumentation.openai", attrs)
    assert span.cost_usd == Decimal("0.125")
    assert "llm.cost.total" in (span.cost_note or "")


def test_openinference_kinds_map() -> None:
    for raw, kind in [
        ("CHAIN", "chain"),
        ("TOOL", "tool"),
        ("RETRIEVER", "retriever"),
        ("EMBEDDING", "embedding"),
        ("AGENT", "agent"),
        ("reranker", "reranker"),
    ]:
        (span,) = _one_llm("openinference.x", {"openinference.span.kind": raw})
        assert span.kind == kind


def test_family_detection_by_scope_and_markers() -> None:
    request = make_request(
        ("com.anthropic.sdk.python", [make_span("aa00000000000001")]),
        ("opentelemetry.instrumentation.genai.openai", [make_span("aa00000000000002")]),
        ("openinference.instrumentation.anthropic", [make_span("aa00000000000003")]),
        ("my.app", [make_span("aa00000000000004", attrs={"openinference.span.kind": "LLM"})]),
        ("my.app", [make_span("aa00000000000005", attrs={"gen_ai.request.model": "x"})]),
        (
            "opentelemetry.instrumentation.httpx",
            [make_span("aa00000000000006", attrs={"gen_ai.system": "openai"})],
        ),
        ("my.app", [make_span("aa00000000000007", attrs={"app.case": "x"})]),
    )
    families = [detect_family(s) for s in convert_request("p", request)]
    assert families == [
        "anthropic_sdk",
        "otel_genai",
        "openinference",
        "openinference",
        "otel_genai",
        "generic",
        "generic",
    ]


def test_generic_user_and_session_from_resource() -> None:
    request = make_request(
        ("my.app", [make_span(ROOT, attrs={"enduser.id": "end-1"})]),
        resource={"session.id": "s-1", "deployment.environment": "prod"},
    )
    (span,) = Normalizer().normalize("p", request)
    assert (span.user_id, span.session_id, span.environment) == ("end-1", "s-1", "prod")
    assert span.service_name == "synthetic-app"
