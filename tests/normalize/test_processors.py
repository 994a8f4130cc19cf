"""Usage, finish reasons, TTFT, template hash, context window and messages, each alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from heron.errors import ConfigError
from heron.model import Span, SpanEvent, format_time
from heron.normalize import template_hash
from heron.normalize.context_window import ContextWindowResolver
from heron.normalize.finish_reasons import FinishReasonNormalizer, normalize_finish_reason
from heron.normalize.messages import from_openinference, from_parts_json, system_from_instructions
from heron.normalize.template import TemplateHasher
from heron.normalize.ttft import TtftResolver
from heron.normalize.usage import UsageNormalizer

START = datetime(2026, 1, 1, tzinfo=UTC)


def _span(**fields: Any) -> Span:
    return Span(
        project_id="p",
        trace_id="t" * 32,
        span_id="s" * 16,
        name="x",
        start_time=START,
        end_time=START + timedelta(seconds=1),
        **fields,
    )


def test_usage_adds_cache_back_when_input_was_reported_uncached() -> None:
    span = UsageNormalizer()(
        _span(
            input_tokens=25,
            cached_input_tokens=1200,
            cache_write_input_tokens=100,
            output_tokens=42,
        )
    )
    assert (span.input_tokens, span.total_tokens) == (1325, 1367)


def test_usage_never_negative_and_reasoning_within_output() -> None:
    span = UsageNormalizer()(_span(input_tokens=-5, output_tokens=3, reasoning_tokens=10))
    assert (span.input_tokens, span.output_tokens, span.total_tokens) == (0, 10, 10)


def test_usage_lone_total_is_kept() -> None:
    span = UsageNormalizer()(_span(total_tokens=77))
    assert (span.input_tokens, span.output_tokens, span.total_tokens) == (0, 0, 77)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("STOP", "stop"),
        ("max_tokens", "length"),
        ("length", "length"),
        ("tool_use", "tool_call"),
        ("tool_calls", "tool_call"),
        ("function_call", "tool_call"),
        ("content_filter", "content_filter"),
        ("SAFETY", "content_filter"),
    ],
)
def test_finish_reasons_map(raw: str, normalized: str) -> None:
    assert normalize_finish_reason(raw) == normalized
    span = FinishReasonNormalizer()(_span(finish_reasons_raw=[raw, "weird"]))
    assert span.finish_reasons == [normalized]
    assert span.finish_reasons_raw == [raw, "weird"]


def _event(name: str, ms: float) -> SpanEvent:
    return SpanEvent(name=name, time=format_time(START + timedelta(milliseconds=ms)), attributes={})


def test_ttft_from_earliest_chunk_event_on_streamed_spans_only() -> None:
    events = [
        _event("gen_ai.content.completion.chunk", 450),
        _event("llm.content.completion.chunk", 420),
    ]
    span = TtftResolver()(_span(events=events))
    assert span.streaming is True
    assert span.ttft_ms == pytest.approx(420.0)
    assert TtftResolver()(_span(ttft_ms=300.0)).ttft_ms is None  # not streamed: never a TTFT
    kept = TtftResolver()(_span(streaming=True, ttft_ms=300.0, events=events))
    assert kept.ttft_ms == 300.0  # the attribute wins over events
    assert TtftResolver()(_span(streaming=True)).ttft_ms is None


def test_template_hash_is_stable_and_normalizes_text() -> None:
    text = "Capital of {country}?\n"
    assert template_hash(text) == template_hash("Capital of {country}?\r\n")
    assert template_hash("caf\u00e9") == template_hash("cafe\u0301")
    assert template_hash(text) != template_hash("Capital of {city}?\n")
    assert len(template_hash(text)) == 16
    assert int(template_hash(text), 16) >= 0
    # Pinned: the hash must never change across heron versions.
    assert template_hash("What is the capital of {country}?") == "18ba06e9011c32cc"
    assert TemplateHasher()(_span(prompt_template=text)).prompt_template_hash == template_hash(text)


def test_context_window_from_genai_prices_fallback_and_file(tmp_path: Path) -> None:
    resolver = ContextWindowResolver()
    assert resolver.window("gpt-4o-mini-2024-07-18", "openai") == 128_000
    assert resolver.window("claude-haiku-4-5-20251001", "anthropic") == 200_000
    assert resolver.window("claude-future-9", "some-gateway") == 200_000  # family fallback
    assert resolver.window("foo", None) is None
    windows = tmp_path / "windows.yaml"
    windows.write_text("models:\n  foo: 1000\n  'gpt-4o*': 64000\n")
    custom = ContextWindowResolver(windows)
    span = custom(_span(kind="llm", request_model="foo", input_tokens=250))
    assert span.context_window_tokens == 1000
    assert span.context_window_utilization == 0.25
    assert custom.window("gpt-4o-mini", "openai") == 64_000
    bad = tmp_path / "bad.yaml"
    bad.write_text("models:\n  foo: -3\n")
    with pytest.raises(ConfigError, match="HERON_CONTEXT_WINDOWS_FILE"):
        ContextWindowResolver(bad)


def test_parts_json_tolerates_nulls_unknown_keys_and_bad_json() -> None:
    value = (
        '[{"role": "user", "parts": [{"type": "text", "content": "hi"}, {"type": "blob"}, null],'
        ' "name": null, "extra": 1}, {"role": null, "parts": null}, 5]'
    )
    assert from_parts_json(value) == [
        {"role": "user", "content": "hi"},
        {"role": "user", "content": None},
    ]
    assert from_parts_json("[{not json") is None
    assert from_parts_json(None) is None
    assert system_from_instructions('[{"type": "text", "content": "Be kind"}]') == "Be kind"
    assert system_from_instructions("plain text") == "plain text"


def test_openinference_messages_with_contents_and_tool_calls() -> None:
    attrs = {
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.contents.0.message_content.type": "text",
        "llm.output_messages.0.message.contents.0.message_content.text": "Looking.",
        "llm.output_messages.0.message.tool_calls.0.tool_call.id": "t1",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "f",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": {"a": 1},
        "llm.output_messages.x.message.role": "ignored",
    }
    assert from_openinference(attrs, "llm.output_messages.") == [
        {
            "role": "assistant",
            "content": "Looking.",
            "tool_calls": [{"id": "t1", "name": "f", "arguments": '{"a": 1}'}],
        },
    ]
