"""Properties: odd attribute values never make normalize raise; output is deterministic."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heron.model import Span
from heron.normalize import Normalizer

from .conftest import make_request, make_span

KEYS = [
    "gen_ai.provider.name",
    "gen_ai.system",
    "gen_ai.operation.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_write.input_tokens",
    "gen_ai.request.stream",
    "gen_ai.response.time_to_first_chunk",
    "gen_ai.server.time_to_first_token",
    "gen_ai.response.finish_reasons",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.prompt.0.content",
    "gen_ai.prompt.0.role",
    "gen_ai.completion.0.tool_calls.0.name",
    "llm.input_messages.0.message.content",
    "llm.output_messages.0.message.role",
    "llm.token_count.prompt",
    "llm.invocation_parameters",
    "llm.prompt_template.variables",
    "llm.prompt_template.template",
    "llm.cost.total",
    "gen_ai.usage.cost",
    "tag.tags",
    "metadata",
    "user.id",
    "session.id",
    "openinference.span.kind",
    "traceloop.span.kind",
    "traceloop.prompt.template_variables.x",
    "anthropic.message.stop_reason",
    "error.type",
    "telemetry.sdk.name",
    "llm.usage.total_tokens",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(
        [
            "[",
            "{}",
            '[{"role": null, "parts": [null]}]',
            "NaN",
            "1e999",
            "anthropic",
            "openlit",
            "LLM",
            "chat",
            "claude-haiku-4-5",
            "true",
        ]
    ),
    st.binary(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
ATTRS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=12)
EVENT_NAMES = st.sampled_from(
    [
        "exception",
        "gen_ai.choice",
        "gen_ai.user.message",
        "First Token Stream Event",
        "gen_ai.content.completion.chunk",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    root_attrs=ATTRS,
    child_attrs=ATTRS,
    event=st.tuples(EVENT_NAMES, st.floats(min_value=-50, max_value=500), ATTRS),
    error=st.one_of(st.none(), st.text(max_size=10)),
    scope=st.sampled_from(
        [
            "openlit.otel.tracing",
            "com.anthropic.sdk.python",
            "app",
            "openinference.instrumentation.openai",
        ]
    ),
)
def test_random_attributes_never_raise_and_are_deterministic(
    root_attrs: dict[str, object],
    child_attrs: dict[str, object],
    event: tuple[str, float, dict[str, object]],
    error: str | None,
    scope: str,
) -> None:
    request = make_request(
        (
            scope,
            [
                make_span(
                    "ab" * 8,
                    parent="cd" * 8,
                    attrs=child_attrs,
                    events=[event],
                    error=error,
                    start_ms=1,
                    end_ms=90,
                ),
                make_span("cd" * 8, attrs=root_attrs),
            ],
        )
    )
    first = Normalizer().normalize("p", request)
    again = Normalizer().normalize("p", request)
    assert len(first) == 2
    # Compared as JSON text: a NaN attribute is never == itself, yet is the same value.
    assert _as_json(first) == _as_json(again)
    for span in first:
        assert span.total_tokens >= 0
        assert span.input_tokens >= span.cached_input_tokens
        assert span.ttft_ms is None or span.streaming


def _as_json(spans: list[Span]) -> str:
    return json.dumps([s.to_api_dict() for s in spans], default=str)
