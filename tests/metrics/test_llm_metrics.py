"""LlmMetrics: what each LLM span and score adds to which series."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry

from heron.metrics import OTHER, LlmMetrics
from heron.model import Score

from .conftest import T0, FakeClock, SpanFactory


def value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def test_requests_are_counted_by_model_provider_status_and_project(
    metrics: LlmMetrics, registry: CollectorRegistry, span: SpanFactory
) -> None:
    metrics.observe_spans([
        span(), span(), span(status="error"), span(model="claude-sonnet-4", provider="anthropic"),
        span(project_id="other-proj"),
    ])  # fmt: skip
    base = {"model": "gpt-4o", "provider": "openai", "project": "proj"}
    assert value(registry, "llm_requests_total", **base, status="ok") == 2
    assert value(registry, "llm_requests_total", **base, status="error") == 1
    assert value(registry, "llm_requests_total", model="claude-sonnet-4", provider="anthropic",
                 project="proj", status="ok") == 1  # fmt: skip
    assert value(registry, "llm_requests_total", **{**base, "project": "other-proj"},
                 status="ok") == 1  # fmt: skip


def test_error_and_cost_series_exist_at_zero_so_ratios_are_not_empty(
    metrics: LlmMetrics, registry: CollectorRegistry, span: SpanFactory
) -> None:
    metrics.observe_spans([span()])
    assert value(registry, "llm_requests_total", model="gpt-4o", provider="openai",
                 project="proj", status="error") == 0  # fmt: skip
    assert value(registry, "llm_cost_usd_total", model="gpt-4o", project="proj") == 0


def test_non_llm_spans_are_ignored_and_embeddings_count(
    metrics: LlmMetrics, registry: CollectorRegistry, span: SpanFactory
) -> None:
    metrics.observe_spans([span(kind="chain"), span(kind="tool"), span(kind="embedding",
                           model="text-embedding-3-small", operation="embeddings")])  # fmt: skip
    assert value(registry, "llm_requests_total", model="gpt-4o", provider="openai",
                 project="proj", status="ok") is None  # fmt: skip
    assert value(registry, "llm_requests_total", model="text-embedding-3-small",
                 provider="openai", project="proj", status="ok") == 1  # fmt: skip


def test_tokens_by_type(
    metrics: LlmMetrics, registry: CollectorRegistry, span: SpanFactory
) -> None:
    metrics.observe_spans([
        span(input_tokens=1000, cached_input_tokens=400, output_tokens=50, total_tokens=1050),
        span(input_tokens=10, output_tokens=5, total_tokens=0),  # total derived when absent
    ])  # fmt: skip
    labels = {"model": "gpt-4o", "project": "proj"}
    assert value(registry, "llm_tokens_total", **labels, type="input") == 1010
    assert value(registry, "llm_tokens_total", **labels, type="output") == 55
    assert value(registry, "llm_tokens_total", **labels, type="cached_input") == 400
    assert value(registry, "llm_tokens_total", **labels, type="total") == 1065
    genai = {"gen_ai_operation_name": "chat", "gen_ai_provider_name": "openai",
             "gen_ai_request_model": "gpt-4o", "project": "proj"}  # fmt: skip
    assert value(registry, "gen_ai_client_token_usage_sum", **genai,
                 gen_ai_token_type="input") == 1010  # fmt: skip
    assert value(registry, "gen_ai_client_token_usage_count", **genai,
                 gen_ai_token_type="output") == 2  # fmt: skip
    # 1000 input tokens fall in the semconv bucket (256, 1024], 10 in (4, 16].
    assert value(registry, "gen_ai_client_token_usage_bucket", **genai, gen_ai_token_type="input",
                 le="16.0") == 1  # fmt: skip
    assert value(registry, "gen_ai_client_token_usage_bucket", **genai, gen_ai_token_type="input",
                 le="1024.0") == 2  # fmt: skip


def test_duration_and_ttft_histograms_in_seconds(
    metrics: LlmMetrics, registry: CollectorRegistry, span: SpanFactory
) -> None:
    metrics.observe_spans([
        span(duration_s=0.4), span(duration_s=4.0), span(duration_s=12.0),
        span(duration_s=2.0, streaming=True, ttft_ms=250.0),
    ])  # fmt: skip
    labels = {"model": "gpt-4o", "project": "proj"}
    assert value(registry, "llm_request_duration_count", **labels) == 4
    assert value(registry, "llm_request_duration_sum", **labels) == pytest.approx(18.4)
    assert value(registry, "llm_request_duration_bucket", **labels, le="0.5") == 1
    assert value(registry, "llm_request_duration_bucket", **labels, le="5.0") == 3
    assert value(registry, "llm_request_duration_bucket", **labels, le="10.0") == 3
    assert value(registry, "llm_request_duration_bucket", **labels, le="+Inf") == 4
    assert value(registry, "llm_time_to_first_token_count", **labels) == 1
    assert value(registry, "llm_time_to_first_token_bucket", **labels, le="0.2") == 0
    assert value(registry, "llm_time_to_first_token_bucket", **labels, le="0.3") == 1
    genai = {"gen_ai_operation_name": "chat", "gen_ai_provider_name": "openai",
             "gen_ai_request_model": "gpt-4o", "project": "proj"}  # fmt: skip
    assert value(registry, "gen_ai_client_operation_duration_seconds_count", **genai,
                 error_type="") == 4  # fmt: skip
    assert value(registry, "gen_ai_client_operation_duration_seconds_bucket", **genai,
                 error_type="", le="10.24") == 3  # fmt: skip
    assert value(registry, "gen_ai_client_operation_time_to_first_chunk_seconds_sum",
                 **genai) == pytest.approx(0.25)  # fmt: skip
    assert value(registry, "gen_ai_server_time_to_first_token_seconds_bucket", **genai,
                 le="0.25") == 1  # fmt: skip


def test_error_type_labels_failed_operations(
    metrics: LlmMetrics, registry: CollectorRegistry, span: SpanFactory
) -> None:
    metrics.observe_spans([span(status="error", error_type="RateLimitError"),
                           span(status="error")])  # fmt: skip
    genai = {"gen_ai_operation_name": "chat", "gen_ai_provider_name": "openai",
             "gen_ai_request_model": "gpt-4o", "project": "proj"}  # fmt: skip
    name = "gen_ai_client_operation_duration_seconds_count"
    assert value(registry, name, **genai, error_type="RateLimitError") == 1
    assert value(registry, name, **genai, error_type="_OTHER") == 1


def test_cost_is_summed_and_unknown_cost_adds_nothing(
    metrics: LlmMetrics, registry: CollectorRegistry, span: SpanFactory
) -> None:
    metrics.observe_spans([span(cost="0.0125"), span(cost="0.5"), span(cost=None)])
    assert value(registry, "llm_cost_usd_total", model="gpt-4o", project="proj") == (
        pytest.approx(0.5125)
    )


def test_duplicate_spans_and_replays_are_counted_once(
    metrics: LlmMetrics, registry: CollectorRegistry, span: SpanFactory
) -> None:
    outer = span(input_tokens=100, output_tokens=10, cost="0.01")
    inner = span(trace_id=outer.trace_id, parent_span_id=outer.span_id, duplicate_of=outer.span_id,
                 input_tokens=100, output_tokens=10, cost="0.01")  # fmt: skip
    metrics.observe_spans([outer, inner])
    metrics.observe_spans([outer, inner])  # the WAL replays the same batch after a restart
    assert value(registry, "llm_requests_total", model="gpt-4o", provider="openai",
                 project="proj", status="ok") == 1  # fmt: skip
    assert value(registry, "llm_tokens_total", model="gpt-4o", project="proj", type="input") == 100
    assert value(registry, "llm_cost_usd_total", model="gpt-4o", project="proj") == (
        pytest.approx(0.01)
    )
    assert value(registry, "llm_request_duration_count", model="gpt-4o", project="proj") == 1


def test_same_span_id_in_another_project_is_a_different_span(
    metrics: LlmMetrics, registry: CollectorRegistry, span: SpanFactory
) -> None:
    a = span(project_id="a")
    b = span(project_id="b", trace_id=a.trace_id, span_id=a.span_id)
    metrics.observe_spans([a, b])
    for project in ("a", "b"):
        assert value(registry, "llm_requests_total", model="gpt-4o", provider="openai",
                     project=project, status="ok") == 1  # fmt: skip


def test_models_beyond_the_limit_collapse_into_other(
    registry: CollectorRegistry, span: SpanFactory
) -> None:
    metrics = LlmMetrics(registry, max_models_per_project=3)
    metrics.observe_spans([span(model=f"model-{i}") for i in range(10)])
    metrics.observe_spans([span(model="model-0"), span(project_id="p2", model="model-9")])
    names = {
        s.labels["model"]
        for fam in registry.collect() if fam.name == "llm_requests"
        for s in fam.samples if s.name == "llm_requests_total" and s.labels["project"] == "proj"
    }  # fmt: skip
    assert names == {"model-0", "model-1", "model-2", OTHER}
    labels = {"provider": "openai", "project": "proj", "status": "ok"}
    assert value(registry, "llm_requests_total", model=OTHER, **labels) == 7
    assert value(registry, "llm_requests_total", model="model-0", **labels) == 2
    # The limit is per project: p2 has its own budget.
    assert value(registry, "llm_requests_total", model="model-9", provider="openai",
                 project="p2", status="ok") == 1  # fmt: skip


def test_projects_beyond_the_limit_collapse_into_other(
    registry: CollectorRegistry, span: SpanFactory
) -> None:
    metrics = LlmMetrics(registry, max_projects=2)
    metrics.observe_spans([span(project_id=f"p{i}") for i in range(5)])
    labels = {"model": "gpt-4o", "provider": "openai", "status": "ok"}
    assert value(registry, "llm_requests_total", project="p0", **labels) == 1
    assert value(registry, "llm_requests_total", project="p1", **labels) == 1
    assert value(registry, "llm_requests_total", project=OTHER, **labels) == 3


def test_no_user_session_or_trace_id_ever_becomes_a_label(
    metrics: LlmMetrics, registry: CollectorRegistry, span: SpanFactory
) -> None:
    metrics.observe_spans([span(user_id="alice@example.com", session_id="sess-42", ttft_ms=10.0,
                                tags=["vip"], status="error")])  # fmt: skip
    metrics.observe_scores([Score(score_id="s1", project_id="proj", trace_id="t", name="qa",
                                  created_at=T0, value=0.9)])  # fmt: skip
    body, _ = metrics.render("text/plain")
    text = body.decode()
    for secret in ("alice@example.com", "sess-42", "vip"):
        assert secret not in text
    label_names = {k for fam in registry.collect() for s in fam.samples for k in s.labels}
    assert label_names.isdisjoint({"user_id", "user", "session_id", "trace_id", "span_id"})


def test_eval_score_is_the_average_of_the_latest_window(
    registry: CollectorRegistry, clock: FakeClock, span: SpanFactory
) -> None:
    metrics = LlmMetrics(registry, clock=clock, eval_window_s=300)
    llm = span(model="gpt-4o-mini")
    metrics.observe_spans([llm])

    def score(sid: str, v: float, **kw: object) -> Score:
        return Score(score_id=sid, project_id="proj", trace_id=llm.trace_id, span_id=llm.span_id,
                     name="faithfulness", created_at=T0, value=v, source="eval",
                     evaluator="faithfulness", **kw)  # type: ignore[arg-type]  # fmt: skip

    labels = {"evaluator": "faithfulness", "model": "gpt-4o-mini", "project": "proj"}
    metrics.observe_scores([score("a", 1.0), score("b", 0.5)])
    assert value(registry, "llm_eval_score", **labels) == pytest.approx(0.75)
    metrics.observe_scores([score("b", 0.0)])  # same score id again: ignored
    assert value(registry, "llm_eval_score", **labels) == pytest.approx(0.75)
    clock.now += 301  # the first two scores leave the window when a new one arrives
    metrics.observe_scores([score("c", 0.2)])
    assert value(registry, "llm_eval_score", **labels) == pytest.approx(0.2)
    clock.now += 3600  # no newer score: the latest window's average stays
    assert value(registry, "llm_eval_score", **labels) == pytest.approx(0.2)
    # Categorical scores (no value) are not part of the gauge; metadata can name the model.
    metrics.observe_scores([score("d", 0.6, metadata={"model": "claude"}),
                            Score(score_id="e", project_id="proj", trace_id="x", name="tone",
                                  created_at=T0, label="rude")])  # fmt: skip
    assert value(registry, "llm_eval_score", evaluator="faithfulness", model="claude",
                 project="proj") == pytest.approx(0.6)  # fmt: skip
    assert value(registry, "llm_eval_score", evaluator="tone", model="unknown",
                 project="proj") is None  # fmt: skip


def test_eval_score_model_falls_back_to_the_trace_then_unknown(
    metrics: LlmMetrics, registry: CollectorRegistry, span: SpanFactory
) -> None:
    llm = span(model="gpt-4.1")
    metrics.observe_spans([llm])
    metrics.observe_scores([
        Score(score_id="1", project_id="proj", trace_id=llm.trace_id, name="helpful",
              created_at=T0, value=0.8),
        Score(score_id="2", project_id="proj", trace_id="unseen", name="helpful",
              created_at=T0, value=0.4),
    ])  # fmt: skip
    assert value(registry, "llm_eval_score", evaluator="helpful", model="gpt-4.1",
                 project="proj") == pytest.approx(0.8)  # fmt: skip
    assert value(registry, "llm_eval_score", evaluator="helpful", model="unknown",
                 project="proj") == pytest.approx(0.4)  # fmt: skip


def test_metrics_is_a_span_observer(
    metrics: LlmMetrics, registry: CollectorRegistry, span: SpanFactory
) -> None:
    metrics([span(start_time=T0 + timedelta(minutes=1))])
    assert value(registry, "llm_requests_total", model="gpt-4o", provider="openai",
                 project="proj", status="ok") == 1  # fmt: skip
