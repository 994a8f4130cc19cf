"""Synthetic but realistic LLM traffic as OTLP requests (tests, benchmarks, ``heron demo``).

Each trace is an app request: a root ``chain`` span with user and session, a
retriever, an LLM call in the OTel GenAI convention (tokens, cache, finish
reason, messages), a tool span and a second LLM call. Everything is seeded, so
the same arguments give the same bytes.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Status
from opentelemetry.proto.trace.v1.trace_pb2 import Span as OtlpSpan

__all__ = ["TraceSpec", "attr", "encoded_requests", "make_request", "trace_specs"]

_TEXT = (
    "the model answered with a concise summary of the retrieved context about shipping "
    "policies refunds invoices account settings latency budgets and the customer's order "
    "history including dates amounts and the carrier tracking number"
)
_WORDS = tuple(_TEXT.split(" "))

MODELS = (
    ("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
    ("openai", "gpt-4o", "gpt-4o-2024-08-06"),
    ("anthropic", "claude-haiku-4-5", "claude-haiku-4-5-20251001"),
    ("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929"),
)


def attr(key: str, value: str | int | float | bool | list[str]) -> KeyValue:
    """One OTLP attribute from a Python value."""
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    if isinstance(value, list):
        any_list = AnyValue()
        any_list.array_value.values.extend(AnyValue(string_value=v) for v in value)
        return KeyValue(key=key, value=any_list)
    return KeyValue(key=key, value=AnyValue(string_value=value))


@dataclass
class TraceSpec:
    """What one synthetic trace looks like."""

    trace_id: bytes
    start_ns: int
    user_id: str
    session_id: str
    provider: str
    request_model: str
    response_model: str
    error: bool = False
    streaming: bool = False
    text_bytes: int = 2000
    template: str = "Answer the customer's question about {topic} using the context."
    tags: list[str] = field(default_factory=lambda: ["support"])
    service_name: str = "support-bot"


def _text(rng: random.Random, n_bytes: int) -> str:
    words: list[str] = []
    size = 0
    while size < n_bytes:
        word = rng.choice(_WORDS)
        words.append(word)
        size += len(word) + 1
    return " ".join(words)


def trace_specs(
    count: int, *, seed: int = 7, start_ns: int, spacing_ns: int = 1_000_000, **overrides: object
) -> Iterator[TraceSpec]:
    """``count`` varied trace specs starting at ``start_ns``."""
    rng = random.Random(seed)
    for i in range(count):
        provider, req, resp = MODELS[rng.randrange(len(MODELS))]
        spec = TraceSpec(
            trace_id=rng.getrandbits(128).to_bytes(16, "big"),
            start_ns=start_ns + i * spacing_ns,
            user_id=f"user-{rng.randrange(50)}",
            session_id=f"sess-{rng.randrange(200)}",
            provider=provider,
            request_model=req,
            response_model=resp,
            error=rng.random() < 0.03,
            streaming=rng.random() < 0.3,
        )
        for key, value in overrides.items():
            setattr(spec, key, value)
        yield spec


def _llm_span(
    spec: TraceSpec, rng: random.Random, span_id: bytes, parent: bytes, start: int, turn: int
) -> OtlpSpan:
    prompt = _text(rng, spec.text_bytes // 2)
    answer = _text(rng, spec.text_bytes // 2)
    input_tokens = 400 + rng.randrange(1200)
    cached = rng.choice((0, 0, 256, 1024)) if input_tokens > 1024 else 0
    output_tokens = 20 + rng.randrange(300)
    duration = 300_000_000 + rng.randrange(2_500_000_000)
    attrs = [
        attr("gen_ai.operation.name", "chat"),
        attr("gen_ai.provider.name", spec.provider),
        attr("gen_ai.request.model", spec.request_model),
        attr("gen_ai.usage.input_tokens", input_tokens),
        attr("gen_ai.usage.output_tokens", output_tokens),
        attr("gen_ai.usage.cache_read.input_tokens", cached),
        attr("gen_ai.request.stream", spec.streaming),
        attr(
            "gen_ai.input.messages",
            json.dumps(
                [
                    {"role": "system", "parts": [{"type": "text", "content": "You are helpful."}]},
                    {"role": "user", "parts": [{"type": "text", "content": prompt}]},
                ]
            ),
        ),
        attr("llm.prompt_template.template", spec.template),
        attr("llm.prompt_template.variables", json.dumps({"topic": rng.choice(_WORDS)})),
    ]
    status = Status(code=Status.STATUS_CODE_OK)
    if spec.error and turn == 1:
        attrs.append(attr("error.type", "RateLimitError"))
        status = Status(code=Status.STATUS_CODE_ERROR, message="429 rate_limit_exceeded")
    else:
        attrs.extend(
            [
                attr("gen_ai.response.model", spec.response_model),
                attr("gen_ai.response.finish_reasons", ["stop"]),
                attr(
                    "gen_ai.output.messages",
                    json.dumps(
                        [
                            {
                                "role": "assistant",
                                "parts": [{"type": "text", "content": answer}],
                                "finish_reason": "stop",
                            }
                        ]
                    ),
                ),
            ]
        )
        if spec.streaming:
            attrs.append(attr("gen_ai.response.time_to_first_chunk", 0.1 + rng.random() * 0.5))
    return OtlpSpan(
        trace_id=spec.trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=f"chat {spec.request_model}",
        kind=OtlpSpan.SPAN_KIND_CLIENT,
        start_time_unix_nano=start,
        end_time_unix_nano=start + duration,
        attributes=attrs,
        status=status,
    )


def make_request(specs: list[TraceSpec], *, seed: int = 11) -> ExportTraceServiceRequest:
    """One OTLP request holding a 5-span trace per spec."""
    rng = random.Random(seed)
    app_spans: list[OtlpSpan] = []
    llm_spans: list[OtlpSpan] = []
    service = specs[0].service_name if specs else "app"
    for spec in specs:
        ids = [rng.getrandbits(64).to_bytes(8, "big") for _ in range(5)]
        t0 = spec.start_ns
        first = _llm_span(spec, rng, ids[2], ids[0], t0 + 60_000_000, 1)
        second = _llm_span(spec, rng, ids[4], ids[0], first.end_time_unix_nano + 40_000_000, 2)
        end = second.end_time_unix_nano + 5_000_000
        root_status = Status(
            code=Status.STATUS_CODE_ERROR if spec.error else Status.STATUS_CODE_UNSET
        )
        app_spans.append(
            OtlpSpan(
                trace_id=spec.trace_id,
                span_id=ids[0],
                name="handle_request",
                kind=OtlpSpan.SPAN_KIND_SERVER,
                start_time_unix_nano=t0,
                end_time_unix_nano=end,
                attributes=[
                    attr("user.id", spec.user_id),
                    attr("session.id", spec.session_id),
                    attr("tag.tags", spec.tags),
                    attr("openinference.span.kind", "CHAIN"),
                    attr("input.value", _text(rng, 200)),
                    attr("output.value", _text(rng, 200)),
                ],
                status=root_status,
            )
        )
        app_spans.append(
            OtlpSpan(
                trace_id=spec.trace_id,
                span_id=ids[1],
                parent_span_id=ids[0],
                name="retrieve",
                start_time_unix_nano=t0 + 1_000_000,
                end_time_unix_nano=t0 + 50_000_000,
                attributes=[
                    attr("openinference.span.kind", "RETRIEVER"),
                    attr("input.value", _text(rng, 100)),
                ],
            )
        )
        app_spans.append(
            OtlpSpan(
                trace_id=spec.trace_id,
                span_id=ids[3],
                parent_span_id=ids[0],
                name="lookup_order",
                start_time_unix_nano=first.end_time_unix_nano + 1_000_000,
                end_time_unix_nano=first.end_time_unix_nano + 30_000_000,
                attributes=[attr("openinference.span.kind", "TOOL")],
            )
        )
        llm_spans.extend([first, second])
    resource = Resource(
        attributes=[attr("service.name", service), attr("deployment.environment.name", "test")]
    )
    return ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=resource,
                scope_spans=[
                    ScopeSpans(
                        scope=InstrumentationScope(name="heron.synthetic.app"), spans=app_spans
                    ),
                    ScopeSpans(
                        scope=InstrumentationScope(name="opentelemetry.instrumentation.genai"),
                        spans=llm_spans,
                    ),
                ],
            )
        ]
    )


def encoded_requests(count: int, *, traces_per_request: int, start_ns: int) -> list[bytes]:
    """``count`` serialized requests (the ingest benchmarks' traffic), request ``i`` seeded ``i``.

    Requests start 1 s apart and their traces 5 ms apart, so every span is distinct.
    """
    return [
        make_request(
            list(
                trace_specs(
                    traces_per_request,
                    seed=i,
                    start_ns=start_ns + i * 1_000_000_000,
                    spacing_ns=5_000_000,
                )
            ),
            seed=i,
        ).SerializeToString()
        for i in range(count)
    ]
