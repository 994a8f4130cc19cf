"""Every captured case normalizes to the manifest's ground truth (protobuf and OTLP/JSON).

Where a manifest's ``known_library_deviations`` says the library itself sent
something else, the test asserts what it sent (and that the deviation is listed).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from heron.model import Span
from heron.normalize import Normalizer, parse_otlp_json, template_hash
from heron.normalize.finish_reasons import normalize_finish_reason

from .conftest import FIXTURES, fixture_cases, load_pb, manifest

CASES = fixture_cases()
# Streamed calls whose library recorded no TTFT at all (listed in the manifests).
NO_TTFT = {
    ("openllmetry", "anthropic_chat_stream"): "anthropic streaming: no TTFT at all",
    ("openinference", "anthropic_chat_stream"): "anthropic streaming has none",
}
# Where the library sent a different output token count than the truth.
SENT_OUTPUT_TOKENS = {
    ("openllmetry", "anthropic_chat_stream"): "gen_ai.usage.output_tokens=16 but truth is 15",
}
NO_OUTPUT_MESSAGES = {
    ("anthropic_sdk_native", "anthropic_chat_stream"): "no gen_ai.output.messages on the span",
}


def _load(folder: str, case: str, encoding: str) -> ExportTraceServiceRequest:
    if encoding == "pb":
        return load_pb(folder, case)
    body = (FIXTURES / folder / f"{case}.json").read_bytes()
    return parse_otlp_json(body, ExportTraceServiceRequest)


def _deviations(folder: str) -> str:
    return " ".join(manifest(folder).get("known_library_deviations", []))


def test_every_folder_has_cases() -> None:
    assert {folder for folder, _ in CASES} >= {
        "openllmetry",
        "openinference",
        "otel_genai",
        "anthropic_sdk_native",
    }
    assert len(CASES) >= 28


@pytest.mark.parametrize("encoding", ["pb", "json"])
@pytest.mark.parametrize(("folder", "case"), CASES)
def test_case_matches_ground_truth(folder: str, case: str, encoding: str) -> None:
    truth = manifest(folder)
    case_truth = truth["cases"][case]
    spans = Normalizer().normalize("proj", _load(folder, case, encoding))

    assert len(spans) == case_truth["span_count"]
    assert {s.trace_id for s in spans}
    assert all(len(s.trace_id) == 32 for s in spans)
    llm_spans = sorted((s for s in spans if s.kind == "llm"), key=lambda s: s.start_time)
    calls = sorted(case_truth["llm_calls"], key=lambda c: c["app_observed"]["start_unix"])
    assert len(llm_spans) == len(calls)
    root = next(s for s in spans if s.name == case_truth["parent_span"])
    assert root.kind != "llm"
    for span, call in zip(llm_spans, calls, strict=True):
        _check_call(folder, case, span, call, truth, root)


def _check_call(
    folder: str, case: str, span: Span, call: dict[str, Any], truth: dict[str, Any], root: Span
) -> None:
    key = (folder, case)
    assert span.parent_span_id == root.span_id
    assert span.provider == call["provider"]
    assert span.operation == call["operation"]
    assert span.request_model == call["request_model"]
    assert span.response_model == call["response_model"]
    assert span.model == (call["response_model"] or call["request_model"])
    assert span.streaming is call["streamed"]
    assert span.user_id == truth["common_truth"]["user_id"]
    assert span.session_id == truth["common_truth"]["session_id"]
    assert span.duplicate_of is None

    if "error" in call:
        _check_error(span, call)
        return
    assert span.status == "ok"
    assert span.input_tokens == call["input_tokens_total"]
    assert span.cached_input_tokens == call["cache_read_input_tokens"]
    assert span.cache_write_input_tokens == call["cache_creation_input_tokens"]
    if key in SENT_OUTPUT_TOKENS:
        assert SENT_OUTPUT_TOKENS[key] in _deviations(folder)
        assert span.output_tokens == span.attributes["gen_ai.usage.output_tokens"]
        assert span.output_tokens != call["output_tokens"]
    else:
        assert span.output_tokens == call["output_tokens"]
    assert span.total_tokens == span.input_tokens + span.output_tokens
    expected_reason = normalize_finish_reason(call["finish_reason_provider"])
    assert span.finish_reasons == [expected_reason]
    assert span.cost_usd is not None, span.cost_note
    assert span.cost_usd > 0
    assert span.context_window_tokens
    assert span.context_window_utilization
    assert span.context_window_utilization == span.input_tokens / span.context_window_tokens

    if call["streamed"]:
        if key in NO_TTFT:
            assert NO_TTFT[key] in _deviations(folder)
            assert span.ttft_ms is None
        else:
            delay = call["timing"]["server_delay_before_first_chunk_s"] * 1000
            assert span.ttft_ms is not None
            assert delay <= span.ttft_ms <= span.duration_ms
    else:
        assert span.ttft_ms is None

    assert span.system_prompt == call["system_prompt"]
    non_system = [m for m in span.input_messages if m["role"] != "system"]
    if "n_input_messages_excluding_system" in call:
        assert len(non_system) == call["n_input_messages_excluding_system"]
    else:
        assert len(span.input_messages) == call["n_input_messages_including_system"]
    if key in NO_OUTPUT_MESSAGES:
        assert NO_OUTPUT_MESSAGES[key] in _deviations(folder)
        assert span.output_messages == []
    else:
        assert span.output_messages[0]["content"] == call["output_text"]
    assert [(t["id"], t["name"], json.loads(t["arguments"])) for t in span.tool_calls] == [
        (t["id"], t["name"], t["arguments"]) for t in call["tool_calls"]
    ]
    if span.attributes.get("llm.prompt_template.template") is not None:
        common = truth["common_truth"]
        assert span.prompt_template == common["prompt_template"]
        assert span.prompt_template_version == common["prompt_template_version"]
        assert span.prompt_template_variables == common["prompt_template_variables"]
        assert span.prompt_template_hash == template_hash(common["prompt_template"])


def _check_error(span: Span, call: dict[str, Any]) -> None:
    assert span.status == "error"
    assert span.input_tokens == 0
    assert span.output_tokens == 0
    assert span.cost_usd is None
    assert span.cost_note
    has_exception_event = any(e["name"] == "exception" for e in span.events)
    if has_exception_event:
        assert span.error_type == call["error"]["exception_class"]
    else:
        # The library sent no exception event: heron reports its error.type as sent.
        assert span.error_type == span.attributes["error.type"]
    if span.status_message is not None:
        assert str(call["error"]["http_status"]) in span.status_message


@pytest.mark.parametrize(("folder", "case"), CASES)
def test_protobuf_and_json_normalize_alike(folder: str, case: str) -> None:
    from_pb = Normalizer().normalize("proj", _load(folder, case, "pb"))
    from_json = Normalizer().normalize("proj", _load(folder, case, "json"))
    assert [s.to_api_dict() for s in from_pb] == [s.to_api_dict() for s in from_json]


@pytest.mark.parametrize(("folder", "case"), CASES)
def test_same_request_gives_equal_spans(folder: str, case: str) -> None:
    normalizer = Normalizer()
    first = normalizer.normalize("proj", load_pb(folder, case))
    again = normalizer.normalize("proj", load_pb(folder, case))
    assert first == again
    assert first == Normalizer().normalize("proj", load_pb(folder, case))
