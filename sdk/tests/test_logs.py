"""Logs: trace-correlated OTLP log export from stdlib logging and structlog; llm_call events."""

from __future__ import annotations

import logging

import heron_sdk
import pytest
import structlog
from heron_sdk.logging import HeronLogHandler, TraceContextFilter


@pytest.fixture
def app_logger():
    logger = logging.getLogger("test_app")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    handler = HeronLogHandler()
    logger.addHandler(handler)
    yield logger
    logger.removeHandler(handler)


def _hex(value: bytes) -> str:
    return value.hex()


def test_handler_exports_records_linked_to_the_current_span(sdk, stub, traced, app_logger):
    h = sdk()
    tracer = traced.provider.get_tracer("app")
    with tracer.start_as_current_span("request") as span:
        app_logger.warning("slow answer %s", "42", extra={"order_id": "o-1"})
        ctx = span.get_span_context()
    app_logger.info("outside")
    assert h.force_flush()

    records = {r.body.string_value: r for r in stub.logs()}
    inside = records["slow answer 42"]
    assert _hex(inside.trace_id) == format(ctx.trace_id, "032x")
    assert _hex(inside.span_id) == format(ctx.span_id, "016x")
    assert inside.severity_text == "WARN"
    assert inside.severity_number == 13
    attributes = stub.attrs(inside.attributes)
    assert attributes["order_id"] == "o-1"
    assert (
        attributes["code.function.name"]
        == "test_handler_exports_records_linked_to_the_current_span"
    )
    assert records["outside"].trace_id == b""
    assert stub.posts("/v1/logs")[0].headers["authorization"] == "Bearer hk_test"
    assert heron_sdk.stats().logs_exported == 2


def test_handler_stamps_ids_on_the_record_for_other_handlers(sdk, traced, app_logger):
    sdk()
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    app_logger.addHandler(Keep())
    with traced.provider.get_tracer("app").start_as_current_span("s") as span:
        app_logger.info("hello")
    assert seen[0].trace_id == format(span.get_span_context().trace_id, "032x")  # type: ignore[attr-defined]
    assert len(seen[0].span_id) == 16  # type: ignore[attr-defined]


def test_exception_details_are_exported(sdk, stub, app_logger):
    h = sdk()
    try:
        raise RuntimeError("db gone")
    except RuntimeError:
        app_logger.exception("query failed")
    h.force_flush()
    [record] = stub.logs()
    attributes = stub.attrs(record.attributes)
    assert attributes["exception.type"] == "RuntimeError"
    assert attributes["exception.message"] == "db gone"
    assert "Traceback" in attributes["exception.stacktrace"]
    assert record.severity_text == "ERROR"


def test_filter_only_stamps(traced):
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    assert TraceContextFilter().filter(record)
    assert record.trace_id == ""  # type: ignore[attr-defined]
    with traced.provider.get_tracer("app").start_as_current_span("s"):
        TraceContextFilter().filter(record)
    assert len(record.trace_id) == 32  # type: ignore[attr-defined]


def test_handler_without_init_only_stamps(stub, app_logger):
    app_logger.info("nobody listens")
    assert stub.logs() == []


def test_structlog_processor_adds_ids_and_exports(sdk, stub, traced):
    h = sdk()
    captured: list[dict[str, object]] = []

    def keep(_logger, _method, event_dict):
        captured.append(dict(event_dict))
        raise structlog.DropEvent

    logger = structlog.wrap_logger(
        None,
        processors=[structlog.processors.add_log_level, heron_sdk.structlog_processor, keep],
    )
    with traced.provider.get_tracer("app").start_as_current_span("s") as span:
        logger.info("cart_checked_out", items=3, user={"id": 7})
    h.force_flush()

    trace_hex = format(span.get_span_context().trace_id, "032x")
    assert captured[0]["trace_id"] == trace_hex
    [record] = stub.logs()
    assert record.body.string_value == "cart_checked_out"
    assert record.trace_id.hex() == trace_hex
    attributes = stub.attrs(record.attributes)
    assert attributes["items"] == 3
    assert attributes["user"] == "{'id': 7}"
    assert record.severity_text == "INFO"


def test_llm_call_event_with_redacted_previews(sdk, stub):
    h = sdk(capture_content=True)
    long_prompt = (
        "Contact me at jane.doe@example.com with key sk-abcdefghijklmnopqrstuvwx " + "x" * 900
    )
    assert heron_sdk.log_llm_interaction(
        request_id="req-1",
        model="gpt-4o-mini",
        provider="openai",
        input_tokens=120,
        output_tokens=30,
        latency_ms=812.5,
        finish_reason="stop",
        estimated_cost_usd=0.0004,
        user_id="u-1",
        prompt=long_prompt,
        response="card 4111 1111 1111 1111 ok",
    )
    h.force_flush()
    [record] = stub.logs()
    assert record.event_name == "llm_call"
    a = stub.attrs(record.attributes)
    assert a["event.name"] == "llm_call"
    assert (a["model"], a["input_tokens"], a["output_tokens"]) == ("gpt-4o-mini", 120, 30)
    assert a["latency_ms"] == 812.5
    assert a["user.id"] == "u-1"
    assert "jane.doe" not in a["prompt_preview"]
    assert "sk-abc" not in a["prompt_preview"]
    assert a["prompt_preview"].count("[REDACTED]") == 2
    assert len(a["prompt_preview"]) <= 501
    assert a["response_preview"] == "card [REDACTED] ok"


def test_llm_call_event_has_no_content_when_capture_is_off(sdk, stub):
    h = sdk(capture_content=False)
    heron_sdk.log_llm_interaction(
        request_id="r",
        model="claude-sonnet-4",
        input_tokens=1,
        output_tokens=2,
        latency_ms=3.0,
        prompt="secret prompt",
        response="secret answer",
    )
    h.force_flush()
    [record] = stub.logs()
    a = stub.attrs(record.attributes)
    assert "prompt_preview" not in a
    assert "response_preview" not in a
    assert "secret" not in str(a)


def test_exporter_failure_logs_do_not_loop(sdk, closed_url, app_logger):
    root = logging.getLogger()
    handler = HeronLogHandler()
    root.addHandler(handler)  # would receive the exporter's own error records
    try:
        h = sdk(endpoint=closed_url)
        app_logger.info("lost")
        h.force_flush()
    finally:
        root.removeHandler(handler)
    stats = heron_sdk.stats()
    assert stats.logs_dropped == 1
    assert stats.logs_exported == 0
