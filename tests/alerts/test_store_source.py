"""StoreMetricSource over the real embedded chDB agrees with the in-memory reference source."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from heron.alerts import METRICS, RuleFilter
from heron.alerts.rule import MetricName
from heron.alerts.store_source import StoreMetricSource
from heron.model import Score, Span
from heron.store.telemetry import ClickHouseTelemetryStore

from .conftest import T0, SpanMetricSource, llm_span

WINDOW = timedelta(minutes=5)


def traffic() -> tuple[list[Span], list[Score]]:
    """Known traffic inside the window ending at T0, plus spans that must not count."""
    spans: list[Span] = []
    for i in range(40):
        at = T0 - timedelta(seconds=5 + i * 6)
        model = "gpt-4o" if i % 2 else "claude"
        spans.append(llm_span(
            at, n=i + 1, duration_s=0.5 + (i % 10) * 1.5, model=model,
            status="error" if i % 8 == 0 else "ok", cost=0.01 * (i % 3),
            input_tokens=100 + i, output_tokens=20, total_tokens=120 + i,
            ttft_ms=100.0 + 40 * i if i % 4 else None, tags=["prod"] if i % 3 else [],
            user_id=f"u{i % 4}",
        ))  # fmt: skip
    # Outside the window, another project, a duplicate and a non-LLM span: never counted.
    spans.append(llm_span(T0 - timedelta(minutes=6), n=100, duration_s=99))
    spans.append(llm_span(T0 + timedelta(seconds=1), n=101, duration_s=99))
    spans.append(llm_span(T0 - timedelta(minutes=1), n=102, duration_s=99, project_id="other"))
    spans.append(llm_span(T0 - timedelta(minutes=1), n=103, duration_s=99, duplicate_of="1"))
    spans.append(llm_span(T0 - timedelta(minutes=1), n=104, duration_s=99, kind="tool"))
    scores = []
    for i, span in enumerate(spans[:12]):
        name = "hallucination" if i % 3 == 0 else "relevance"
        value = (1.0 if i % 2 else 0.0) if name == "hallucination" else 0.1 * i
        scores.append(Score(
            score_id=uuid.uuid4().hex, project_id="proj", trace_id=span.trace_id,
            span_id=span.span_id, name=name, value=value, created_at=span.end_time,
        ))  # fmt: skip
    return spans, scores


@pytest.mark.parametrize(
    "flt", [RuleFilter(), RuleFilter(model="gpt-4o"), RuleFilter(tag="prod", user_id="u1")]
)
def test_every_metric_matches_the_reference(
    telemetry: ClickHouseTelemetryStore, flt: RuleFilter
) -> None:
    spans, scores = traffic()
    telemetry.insert_spans(spans)
    telemetry.insert_scores(scores)
    reference = SpanMetricSource(spans, scores)
    source = StoreMetricSource(telemetry)
    for metric in METRICS:
        m: MetricName = metric  # type: ignore[assignment]
        got = source.value("proj", m, flt, WINDOW, T0)
        want = reference.value("proj", m, flt, WINDOW, T0)
        assert (got is None) == (want is None), metric
        if got is None or want is None:
            continue
        if metric in ("p95_latency", "p99_latency", "ttft_p95"):
            # The store interpolates between ranks, the reference takes the nearest
            # rank: close, and both in seconds (not milliseconds).
            assert got == pytest.approx(want, rel=0.35), metric
            assert got < 20.0
        else:
            assert got == pytest.approx(want), metric


def test_latency_is_in_seconds_and_exact_for_uniform_calls(
    telemetry: ClickHouseTelemetryStore,
) -> None:
    telemetry.insert_spans([llm_span(T0 - timedelta(seconds=i + 1), n=i + 1, duration_s=14.0)
                            for i in range(10)])  # fmt: skip
    source = StoreMetricSource(telemetry)
    assert source.value("proj", "p95_latency", RuleFilter(), WINDOW, T0) == pytest.approx(14.0)
    assert source.value("proj", "request_rate", RuleFilter(), WINDOW, T0) == pytest.approx(2.0)
    assert source.value("proj", "error_rate", RuleFilter(), WINDOW, T0) == 0.0


def test_no_requests_in_the_window_is_no_data(telemetry: ClickHouseTelemetryStore) -> None:
    telemetry.insert_spans([llm_span(T0 - timedelta(hours=1), n=1)])
    source = StoreMetricSource(telemetry)
    for metric in METRICS:
        assert source.value("proj", metric, RuleFilter(), WINDOW, T0) is None  # type: ignore[arg-type]
    # The same call an hour earlier sees the span.
    earlier = T0 - timedelta(minutes=59)
    assert source.value("proj", "request_rate", RuleFilter(), WINDOW, earlier) == pytest.approx(0.2)
