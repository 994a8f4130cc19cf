"""stats(): every measure checked against the same synthetic spans computed in Python.

Percentiles are exact with linear interpolation (``quantilesExactInclusive``), the
same definition as numpy's default, so they are compared to numpy within float noise.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from heron.errors import QueryError
from heron.model import Score, Span, StatsQuery, StatsRow, TimeRange
from heron.store.telemetry import ClickHouseTelemetryStore
from heron.ui.pages.dashboard import merge_groups

MakeSpan = Callable[..., Span]
MODELS = ["gpt-4o", "claude-sonnet", "llama-3"]
TAGS = [[], ["prod"], ["prod", "beta"]]


@pytest.fixture
def traffic(store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime) -> list[Span]:
    rng = random.Random(7)
    spans: list[Span] = []
    for i in range(240):
        trace_id = f"tr-{i:04d}"
        start = t0 + timedelta(seconds=rng.randrange(0, 3 * 3600))
        root = make_span(trace_id, span_id=f"root-{i}", start=start, ms=5000, kind="chain")
        model = rng.choice(MODELS)
        streaming = rng.random() < 0.5
        llm = make_span(
            trace_id,
            span_id=f"llm-{i}",
            parent=root.span_id,
            kind=rng.choice(["llm", "embedding"]),
            model=model,
            provider="p-" + model[:3],
            start=start + timedelta(milliseconds=3),
            ms=rng.uniform(50, 4000),
            status="error" if rng.random() < 0.1 else "ok",
            user_id=rng.choice(["u1", "u2", None]),
            tags=rng.choice(TAGS),
            prompt_template_hash=rng.choice(["h1", "h2"]),
            service_name="svc",
            input_tokens=rng.randrange(1, 500),
            output_tokens=rng.randrange(1, 200),
            cached_input_tokens=rng.randrange(0, 50),
            cost_usd=None if model == "llama-3" else Decimal(rng.randrange(1, 10_000)) / 10**6,
            ttft_ms=rng.uniform(10, 300) if streaming else None,
            streaming=streaming,
        )
        llm.total_tokens = llm.input_tokens + llm.output_tokens
        dup = make_span(
            trace_id,
            span_id=f"dup-{i}",
            parent=llm.span_id,
            kind="llm",
            model=model,
            start=llm.start_time,
            ms=10,
            input_tokens=999,
            total_tokens=999,
            duplicate_of=llm.span_id,
        )
        spans += [root, llm, dup]
    store.insert_spans(spans, dedup_token="stats-batch")
    return spans


def _expected(spans: list[Span], key: Callable[[Span], list[tuple[Any, ...]]]) -> dict[Any, dict]:
    groups: dict[Any, list[Span]] = defaultdict(list)
    for span in spans:
        if span.kind in ("llm", "embedding") and span.duplicate_of is None:
            for k in key(span):
                groups[k].append(span)
    out: dict[Any, dict] = {}
    for k, members in groups.items():
        lat = [s.duration_ms for s in members]
        ttft = [s.ttft_ms for s in members if s.ttft_ms is not None]
        costs = [s.cost_usd for s in members if s.cost_usd is not None]
        out[k] = {
            "requests": len(members),
            "errors": sum(s.status == "error" for s in members),
            "latency": [float(np.percentile(lat, q)) for q in (50, 95, 99)],
            "ttft": [float(np.percentile(ttft, q)) for q in (50, 95)] if ttft else [None, None],
            "input": sum(s.input_tokens for s in members),
            "output": sum(s.output_tokens for s in members),
            "cached": sum(s.cached_input_tokens for s in members),
            "total": sum(s.total_tokens for s in members),
            "cost": float(sum(costs)) if costs else None,
        }
    return out


def _check(row: StatsRow, exp: dict) -> None:
    assert row.requests == exp["requests"]
    assert row.errors == exp["errors"]
    assert row.error_rate == pytest.approx(exp["errors"] / exp["requests"])
    assert [row.latency_p50_ms, row.latency_p95_ms, row.latency_p99_ms] == pytest.approx(
        exp["latency"], rel=1e-9
    )
    if exp["ttft"][0] is None:
        assert (row.ttft_p50_ms, row.ttft_p95_ms) == (None, None)
    else:
        assert [row.ttft_p50_ms, row.ttft_p95_ms] == pytest.approx(exp["ttft"], rel=1e-9)
    assert (row.input_tokens, row.output_tokens) == (exp["input"], exp["output"])
    assert (row.cached_input_tokens, row.total_tokens) == (exp["cached"], exp["total"])
    if exp["cost"] is None:
        assert row.cost_usd is None
    else:
        assert row.cost_usd == pytest.approx(exp["cost"], rel=1e-12)


def test_ungrouped_totals(
    store: ClickHouseTelemetryStore, traffic: list[Span], window: TimeRange
) -> None:
    (row,) = store.stats("proj-a", StatsQuery(time=window))
    assert row.group == {}
    assert row.bucket_start is None
    _check(row, _expected(traffic, lambda s: [()])[()])


def test_grouped_by_model(
    store: ClickHouseTelemetryStore, traffic: list[Span], window: TimeRange
) -> None:
    rows = store.stats("proj-a", StatsQuery(time=window, group_by=("model",)))
    expected = _expected(traffic, lambda s: [(s.model,)])
    assert {(r.group["model"],) for r in rows} == set(expected)
    for row in rows:
        _check(row, expected[(row.group["model"],)])
    llama = next(r for r in rows if r.group["model"] == "llama-3")
    assert llama.cost_usd is None  # no llama call had a price


def test_grouped_by_tag_and_user_in_hour_buckets(
    store: ClickHouseTelemetryStore, traffic: list[Span], window: TimeRange
) -> None:
    rows = store.stats("proj-a", StatsQuery(time=window, group_by=("tag", "user_id"), bucket="1h"))

    def key(s: Span) -> list[tuple[Any, ...]]:
        hour = s.start_time.replace(minute=0, second=0, microsecond=0)
        return [(tag, s.user_id, hour) for tag in (s.tags or [None])]

    expected = _expected(traffic, key)
    got = {(r.group["tag"], r.group["user_id"], r.bucket_start): r for r in rows}
    assert set(got) == set(expected)
    for k, row in got.items():
        _check(row, expected[k])
    assert all(r.bucket_start is not None and r.bucket_start.tzinfo == UTC for r in rows)


def test_filters_narrow_the_spans(
    store: ClickHouseTelemetryStore, traffic: list[Span], window: TimeRange
) -> None:
    (row,) = store.stats(
        "proj-a", StatsQuery(time=window, model="gpt-4o", tag="beta", prompt_template_hash="h1")
    )
    subset = [
        s
        for s in traffic
        if s.model == "gpt-4o" and "beta" in s.tags and s.prompt_template_hash == "h1"
    ]
    _check(row, _expected(subset, lambda s: [()])[()])


def test_five_minute_buckets_align_to_the_epoch(
    store: ClickHouseTelemetryStore, make_span: MakeSpan
) -> None:
    at = datetime(2025, 3, 10, 12, 7, 31, 500000, tzinfo=UTC)
    store.insert_spans([make_span("tr-b", kind="llm", start=at)])
    (row,) = store.stats(
        "proj-a",
        StatsQuery(time=TimeRange(at - timedelta(hours=1), at + timedelta(hours=1)), bucket="5m"),
    )
    assert row.bucket_start == datetime(2025, 3, 10, 12, 5, tzinfo=UTC)


def test_scores_group_with_the_spans_they_score(
    store: ClickHouseTelemetryStore, traffic: list[Span], window: TimeRange, t0: datetime
) -> None:
    rng = random.Random(11)
    llm_spans = [s for s in traffic if s.span_id.startswith("llm-")]
    scores: list[Score] = []
    for i, span in enumerate(llm_spans):
        trace_level = i % 3 == 0  # trace-level scores count for the trace's first LLM call
        scores.append(
            Score(
                score_id=f"q-{i}",
                project_id="proj-a",
                trace_id=span.trace_id,
                span_id=None if trace_level else span.span_id,
                name="relevance",
                created_at=t0 + timedelta(days=2),
                value=round(rng.random(), 3),
            )
        )
        scores.append(
            Score(
                score_id=f"h-{i}",
                project_id="proj-a",
                trace_id=span.trace_id,
                span_id=span.span_id,
                name="hallucination",
                created_at=t0,
                value=float(rng.random() < 0.3),
                source="eval",
            )
        )
    scores.append(
        Score(
            score_id="label-only",
            project_id="proj-a",
            trace_id="tr-0000",
            name="tone",
            created_at=t0,
            label="rude",
        )
    )
    store.insert_scores(scores)

    rows = store.stats("proj-a", StatsQuery(time=window, group_by=("model",)))
    by_span = {s.span_id: s for s in llm_spans}
    by_trace = {s.trace_id: s for s in llm_spans}
    for row in rows:
        mine = [
            sc
            for sc in scores
            if sc.value is not None
            and (by_span.get(sc.span_id or "") or by_trace[sc.trace_id]).model == row.group["model"]
        ]
        relevance = [sc.value for sc in mine if sc.name == "relevance"]
        halluc = [sc.value for sc in mine if sc.name == "hallucination"]
        assert row.avg_score == pytest.approx(sum(relevance) / len(relevance))
        assert row.hallucination_rate == pytest.approx(sum(halluc) / len(halluc))
        assert (row.score_count, row.hallucination_count) == (len(relevance), len(halluc))

    # The dashboard merges model x bucket rows into buckets instead of reading again.
    bucketed = StatsQuery(time=window, bucket="1h")
    merged = merge_groups(
        store.stats("proj-a", StatsQuery(time=window, bucket="1h", group_by=("model",)))
    )
    direct = store.stats("proj-a", bucketed)
    assert [r.bucket_start for r in merged] == [r.bucket_start for r in direct]
    for got, want in zip(merged, direct, strict=True):
        assert (got.requests, got.errors, got.total_tokens) == (
            want.requests,
            want.errors,
            want.total_tokens,
        )
        assert got.cost_usd == pytest.approx(want.cost_usd)
        assert got.avg_score == pytest.approx(want.avg_score)
        assert got.hallucination_rate == pytest.approx(want.hallucination_rate)
        assert got.score_count == want.score_count > 0

    # with_totals: the bucketed rows and each group's totals from one read equal
    # the two separate reads, scores and percentiles included.
    both = store.stats(
        "proj-a",
        StatsQuery(time=window, bucket="1h", group_by=("model",), with_totals=True),
    )
    per_bucket = store.stats("proj-a", StatsQuery(time=window, bucket="1h", group_by=("model",)))
    totals = store.stats("proj-a", StatsQuery(time=window, group_by=("model",)))

    def key(r: StatsRow) -> tuple[Any, ...]:
        return (str(r.group["model"]), r.bucket_start or t0)

    assert sorted([r for r in both if r.bucket_start is not None], key=key) == sorted(
        per_bucket, key=key
    )
    assert sorted([r for r in both if r.bucket_start is None], key=key) == sorted(totals, key=key)
    assert len(totals) > 1
    assert len(per_bucket) > len(totals)


def test_groups_without_scores_have_none(
    store: ClickHouseTelemetryStore, traffic: list[Span], window: TimeRange
) -> None:
    rows = store.stats("proj-a", StatsQuery(time=window, group_by=("provider",)))
    assert rows
    assert all(r.avg_score is None and r.hallucination_rate is None for r in rows)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"group_by": ("name",)}, "cannot group stats by"),
        ({"group_by": ("model", "model")}, "names a field twice"),
        ({"bucket": "2m"}, "bucket '2m'"),
    ],
)
def test_invalid_queries(
    store: ClickHouseTelemetryStore, window: TimeRange, query: dict[str, Any], message: str
) -> None:
    with pytest.raises(QueryError, match=message):
        store.stats("proj-a", StatsQuery(time=window, **query))
