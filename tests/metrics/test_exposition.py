"""What Prometheus reads: text and OpenMetrics parse back, and promtool accepts them."""

from __future__ import annotations

import subprocess

from prometheus_client import CollectorRegistry
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families as parse_text

from heron.metrics import HealthCounters, LlmMetrics
from heron.model import Score

from .conftest import T0, SpanFactory


def _fill(metrics: LlmMetrics, span: SpanFactory) -> None:
    metrics.observe_spans([
        span(input_tokens=100, output_tokens=20, cached_input_tokens=10, cost="0.002",
             duration_s=3.0, streaming=True, ttft_ms=400.0),
        span(status="error", error_type="Timeout", model="claude-sonnet-4", provider="anthropic",
             duration_s=30.0),
    ])  # fmt: skip
    metrics.observe_scores([Score(score_id="s", project_id="proj", trace_id="t", name="qa",
                                  created_at=T0, value=0.9)])  # fmt: skip


def test_text_exposition_parses_back_with_the_expected_families(
    registry: CollectorRegistry, span: SpanFactory
) -> None:
    metrics = LlmMetrics(registry, health=HealthCounters())
    _fill(metrics, span)
    body, content_type = metrics.render(None)
    assert content_type.startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in parse_text(body.decode())}
    assert families["llm_requests"].type == "counter"
    assert families["llm_request_duration"].type == "histogram"
    assert families["llm_eval_score"].type == "gauge"
    samples = {s.name for f in families.values() for s in f.samples}
    for name in ("llm_requests_total", "llm_tokens_total", "llm_request_duration_bucket",
                 "llm_request_duration_sum", "llm_request_duration_count",
                 "llm_time_to_first_token_bucket", "llm_cost_usd_total", "llm_eval_score",
                 "gen_ai_client_token_usage_bucket",
                 "gen_ai_client_operation_duration_seconds_bucket",
                 "gen_ai_client_operation_time_to_first_chunk_seconds_bucket",
                 "gen_ai_server_time_to_first_token_seconds_bucket",
                 "heron_spans_accepted_total", "heron_wal_backlog_bytes"):  # fmt: skip
        assert name in samples, name
    # No unit suffix sneaks into the names the standard stack queries.
    assert not any(s.startswith("llm_request_duration_seconds") for s in samples)


def test_openmetrics_is_served_when_accept_asks_for_it(
    registry: CollectorRegistry, span: SpanFactory
) -> None:
    metrics = LlmMetrics(registry, health=HealthCounters())
    _fill(metrics, span)
    body, content_type = metrics.render(
        "application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5"
    )
    assert content_type.startswith("application/openmetrics-text")
    text = body.decode()
    assert text.endswith("# EOF\n")
    families = {f.name: f for f in parse_openmetrics(text)}
    duration = families["gen_ai_client_operation_duration_seconds"]
    assert duration.unit == "seconds"
    count = next(s for s in families["llm_requests"].samples
                 if s.name == "llm_requests_total" and s.labels["status"] == "error"
                 and s.labels["model"] == "claude-sonnet-4")  # fmt: skip
    assert count.value == 1


def test_promtool_accepts_the_exposition(
    registry: CollectorRegistry, span: SpanFactory, promtool: str
) -> None:
    counters = HealthCounters(wal_backlog_bytes=lambda: 4096, eval_queue_depth=lambda: 3)
    counters.add_accepted(10)
    counters.add_rejected("invalid", 2)
    counters.record_flush(0.05)
    counters.add_store_error()
    metrics = LlmMetrics(registry, health=counters)
    _fill(metrics, span)
    body, _ = metrics.render("text/plain")
    result = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True,
                            timeout=60, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr.decode() + result.stdout.decode()
    assert result.stdout.strip() == b"", result.stdout.decode()  # no lint warnings either
