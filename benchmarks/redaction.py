"""Redaction throughput: spans/s through ``redact_traces_request`` (and the caps).

    .venv/bin/python benchmarks/redaction.py [--spans 2000] [--rounds 5]

Builds realistic LLM spans (OTel GenAI messages as JSON, OpenInference flattened
messages, usage numbers, a few PII values in some prompts) and times the
in-place redaction with every PII kind on, then with content capture off, then
the size caps. Prints spans/s per mode (best of ``--rounds``).
"""

from __future__ import annotations

import argparse
import json
import time

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from heron.security import PayloadCaps, RedactionPolicy, cap_traces_request, redact_traces_request

PROMPTS = [
    "Summarize the attached quarterly report in three bullet points.",
    "My card 4111 1111 1111 1111 was charged twice, email me at jane.doe@example.com",
    "Translate to French: the meeting is moved to 2024-03-15 at 10:30.",
    "Call me on +44 20 7946 0958; server 10.0.0.12 returned error 502 after 3.2s.",
    "Write a haiku about version 1.2.3 of our release pipeline.",
]


def build(spans: int) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource = request.resource_spans.add()
    attr = resource.resource.attributes.add()
    attr.key, attr.value.string_value = "service.name", "bench"
    scope = resource.scope_spans.add()
    for i in range(spans):
        span = scope.spans.add()
        span.trace_id, span.span_id, span.name = bytes(16), i.to_bytes(8, "big"), "chat gpt-4o"
        prompt = PROMPTS[i % len(PROMPTS)]
        values = {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.input.messages": json.dumps(
                [
                    {"role": "system", "parts": [{"type": "text", "content": "You are helpful."}]},
                    {"role": "user", "parts": [{"type": "text", "content": prompt}]},
                ]
            ),
            "gen_ai.output.messages": json.dumps(
                [{"role": "assistant", "parts": [{"type": "text", "content": prompt[::-1]}]}]
            ),
            "llm.input_messages.0.message.content": prompt,
            "gen_ai.response.id": f"chatcmpl-{i:012d}",
        }
        for key, value in values.items():
            kv = span.attributes.add()
            kv.key, kv.value.string_value = key, value
        for key, number in (("gen_ai.usage.input_tokens", 812), ("gen_ai.usage.output_tokens", 96)):
            kv = span.attributes.add()
            kv.key, kv.value.int_value = key, number
    return request


def bench(name: str, spans: int, rounds: int, run: object) -> None:
    payload = build(spans).SerializeToString()
    best = float("inf")
    for _ in range(rounds):
        request = ExportTraceServiceRequest.FromString(payload)
        start = time.perf_counter()
        run(request)  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    print(f"{name:<28} {spans / best:>12,.0f} spans/s  ({best * 1000:.1f} ms for {spans} spans)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pii = RedactionPolicy()
    off = RedactionPolicy(capture_content=False, pii_kinds=frozenset())
    caps = PayloadCaps()
    bench("pii (all kinds)", args.spans, args.rounds, lambda r: redact_traces_request(r, pii))
    bench("capture_content off", args.spans, args.rounds, lambda r: redact_traces_request(r, off))
    bench("caps only", args.spans, args.rounds, lambda r: cap_traces_request(r, caps))


if __name__ == "__main__":
    main()
