"""The one-scan analytics queries against their definitions: rankings against scipy
and numpy, the cost rollup against ``cost_points``, examples against the spans."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
from scipy import stats as sp

from heron.analytics import template_detail
from heron.analytics.prompts import variables_window
from heron.model import TimeRange
from heron.model.analytics import CompareSide, RankSample, TemplateStats
from heron.store.telemetry import ClickHouseTelemetryStore
from heron.store.telemetry.analytics import TelemetryAnalytics

H = "5ca1ab1e00000001"


def _check_ranking(sample: RankSample, values: dict[str, list[float]]) -> None:
    """Sizes, rank sums, means, medians and the tie term equal scipy's and numpy's."""
    keys = sorted(values)
    pooled = [v for k in keys for v in values[k]]
    ranks = sp.rankdata(pooled)
    _, tie_counts = np.unique(pooled, return_counts=True)
    assert sample.total == len(pooled)
    assert sample.tie_term == pytest.approx(float(np.sum(tie_counts**3 - tie_counts)))
    assert sample.mean == pytest.approx(float(np.mean(pooled)))
    assert sample.median == pytest.approx(float(np.median(pooled)))
    assert sorted(sample.groups) == keys
    offset = 0
    for key in keys:
        group, own = sample.groups[key], values[key]
        assert group.n == len(own), key
        assert group.rank_sum == pytest.approx(float(ranks[offset : offset + len(own)].sum()))
        assert group.mean == pytest.approx(float(np.mean(own)))
        assert group.median == pytest.approx(float(np.median(own))), key
        offset += len(own)


@pytest.fixture
def sides(
    store: ClickHouseTelemetryStore, make_span: Any, make_score: Any, t0: Any
) -> dict[str, dict[str, list[float]]]:
    """Side a (before t0, 41 calls) and b (after, 36): tied latencies, some unpriced calls."""
    rng = random.Random(11)
    values: dict[str, dict[str, list[float]]] = {
        "latency": {"a": [], "b": []},
        "cost": {"a": [], "b": []},
        "score": {"a": [], "b": []},
    }
    spans, scores = [], []
    for side, n, sign in (("a", 41, -1), ("b", 36, 1)):
        for k in range(n):
            ms = float(rng.choice([100, 110, 120, 130, 150]) + (10 if side == "b" else 0))
            cost = None if k % 7 == 0 else round(rng.uniform(0.001, 0.003), 4)
            span = make_span(
                ms=ms, start=t0 + sign * timedelta(minutes=k + 1), cost=cost, prompt_template_hash=H
            )
            score = round(rng.uniform(0, 1), 1)
            spans.append(span)
            scores.append(make_score(span, score))
            values["latency"][side].append(ms)
            values["score"][side].append(score)
            if cost is not None:
                values["cost"][side].append(cost)
    store.insert_spans(spans)
    store.insert_scores(scores)
    return values


def test_compare_rankings_of_one_scan_match_scipy_ranks(
    analytics: TelemetryAnalytics, sides: dict[str, Any], t0: Any, window: TimeRange
) -> None:
    a = CompareSide(H, TimeRange(window.start, t0))
    b = CompareSide(H, TimeRange(t0, window.end))
    samples = analytics.compare_rankings("proj-analytics", a, b, ["latency", "cost", "score"])
    assert list(samples) == ["latency", "cost", "score"]
    for measure, sample in samples.items():
        _check_ranking(sample, sides[measure])
        # One measure alone ranks the same as in the shared scan.
        assert analytics.compare_ranks("proj-analytics", a, b, measure) == sample


def test_user_rankings_match_scipy_per_user(
    store: ClickHouseTelemetryStore, analytics: TelemetryAnalytics, make_span: Any, t0: Any
) -> None:
    rng = random.Random(5)
    spans, values = [], {}
    for user, n in (("u1", 12), ("u2", 7), (None, 9), ("u3", 1)):
        own = [float(rng.randint(1, 6) * 10) for _ in range(n)]
        values[user or ""] = own
        spans += [make_span(ms=ms, start=t0, user_id=user) for ms in own]
    store.insert_spans(spans)
    window = TimeRange(t0 - timedelta(hours=1), t0 + timedelta(hours=1))
    _check_ranking(analytics.user_ranks("proj-analytics", window, "latency"), values)


def test_empty_ranking_has_no_groups(analytics: TelemetryAnalytics, window: TimeRange) -> None:
    sample = analytics.user_ranks("proj-analytics", window, "latency")
    assert (sample.groups, sample.total, sample.mean, sample.median) == ({}, 0, None, None)


@pytest.mark.parametrize("by", ["tag", "model", "user_id", "service_name"])
@pytest.mark.parametrize("bucket", ["1h", None])
def test_cost_rollup_equals_cost_points(
    analytics: TelemetryAnalytics, traffic: Any, t0: Any, by: str, bucket: str | None
) -> None:
    time = TimeRange(t0 - timedelta(hours=1, minutes=30), t0 + timedelta(hours=1))
    week = TimeRange(time.end - timedelta(days=7), time.end)
    parts = analytics.cost_rollup("proj-analytics", time, week, by, bucket)
    key = lambda p: p.key or ""  # noqa: E731 - sort key
    assert sorted(parts["totals"], key=key) == analytics.cost_points(
        "proj-analytics", time, by, None
    )
    week_points = analytics.cost_points("proj-analytics", week, by, None)
    assert {p.key: p.cost_usd for p in parts["week"]} == pytest.approx(
        {p.key: p.cost_usd for p in week_points}
    )
    expected_series = analytics.cost_points("proj-analytics", time, by, bucket) if bucket else []
    assert parts["series"] == expected_series
    assert parts["project"] == analytics.cost_points("proj-analytics", time, None, None)
    project_week = analytics.cost_points("proj-analytics", week, None, None)
    assert [p.cost_usd for p in parts["project_week"]] == pytest.approx(
        [p.cost_usd for p in project_week]
    )
    # Each call once in the project totals, though BAD's calls have two tags.
    counted = [s for s in traffic.counted() if time.start <= s.start_time < time.end]
    assert parts["project"][0].requests == len(counted)


def test_template_example_is_its_latest_call(analytics: TelemetryAnalytics, traffic: Any) -> None:
    window = TimeRange(
        min(s.start_time for s in traffic.spans), max(s.end_time for s in traffic.spans)
    )
    latest: dict[str, Any] = {}
    for span in traffic.counted():
        key = span.prompt_template_hash
        if key and (key not in latest or span.start_time > latest[key].start_time):
            latest[key] = span
    stats = {t.prompt_template_hash: t for t in analytics.template_stats("proj-analytics", window)}
    assert set(stats) == set(latest)
    for key, span in latest.items():
        assert stats[key].example_trace_id == span.trace_id
        assert stats[key].last_seen == span.start_time
        assert stats[key].template_preview == span.prompt_template


def test_length_examples_belong_to_their_group(
    store: ClickHouseTelemetryStore, analytics: TelemetryAnalytics, make_span: Any, t0: Any
) -> None:
    spans = [
        make_span(
            start=t0,
            model=model,
            finish_reasons=["length"] if k < stopped else ["stop"],
            context_window_utilization=0.5,
        )
        for model, stopped in (("m-one", 2), ("m-two", 0), ("m-three", 5))
        for k in range(6)
    ]
    store.insert_spans(spans)
    rows = analytics.context_pressure("proj-analytics", TimeRange(t0, t0 + timedelta(hours=1)))
    by_model = {r.key: r for r in rows if r.level == "model"}
    stopped = Counter(s.model for s in spans if "length" in s.finish_reasons)
    for model, row in by_model.items():
        assert row.length_finishes == stopped[model]
        traces = {s.trace_id for s in spans if s.model == model and "length" in s.finish_reasons}
        assert set(row.length_examples) <= traces
        assert len(row.length_examples) == min(3, stopped[model])
    overall = next(r for r in rows if r.level == "all")
    assert (overall.calls, overall.length_finishes) == (18, 7)


def test_template_detail_reads_every_call_and_the_latest_text(
    store: ClickHouseTelemetryStore, analytics: TelemetryAnalytics, make_span: Any, t0: Any
) -> None:
    spans = [
        make_span(
            ms=100.0 + k,
            start=t0 + timedelta(minutes=7 * k),
            prompt_template_hash=H,
            prompt_template=f"Answer {{q}} (edit {k})",
            prompt_template_variables={"q": f"q{k % 2}"},
            status="error" if k == 0 else "ok",
        )
        for k in range(9)
    ]
    store.insert_spans(spans)
    window = TimeRange(t0 - timedelta(days=1), t0 + timedelta(days=1))
    detail = template_detail(analytics, "proj-analytics", window, H)
    assert detail["template"] == "Answer {q} (edit 8)"
    assert detail["variables"] == [
        {
            "name": "q",
            "calls": 9,
            "distinct_values": 2,
            "top_values": [{"value": "q0", "count": 5}, {"value": "q1", "count": 4}],
        }
    ]
    worst = [c["span_id"] for c in detail["worst_calls"]]
    by_badness = sorted(spans, key=lambda s: (s.status != "error", -s.duration_ms))
    assert worst == [s.span_id for s in by_badness]


def test_one_templates_stats_bring_the_full_text_the_separate_query_reads(
    store: ClickHouseTelemetryStore, analytics: TelemetryAnalytics, make_span: Any, t0: Any
) -> None:
    long_text = "Answer {q} " + "with care " * 40  # longer than the 200-character preview
    spans = [
        make_span(
            start=t0 + timedelta(minutes=k),
            prompt_template_hash=H,
            prompt_template=long_text if k == 4 else f"Answer {{q}} (edit {k})",
        )
        for k in range(5)
    ]
    store.insert_spans(spans)
    window = TimeRange(t0 - timedelta(hours=1), t0 + timedelta(hours=1))
    (one,) = analytics.template_stats("proj-analytics", window, H)
    latest = TimeRange(one.last_seen, window.end)
    assert one.template_text == long_text
    assert one.template_text == analytics.template_text("proj-analytics", latest, H)
    assert one.template_preview == long_text[:200]
    (listed,) = analytics.template_stats("proj-analytics", window)  # the list: previews only
    assert (listed.template_text, listed.template_preview) == (None, long_text[:200])


def test_variables_of_a_busy_template_are_read_from_its_latest_calls(
    store: ClickHouseTelemetryStore, analytics: TelemetryAnalytics, make_span: Any, t0: Any
) -> None:
    spans = [
        make_span(
            start=t0 + timedelta(minutes=6 * k),
            prompt_template_hash=H,
            prompt_template="Answer {q}",
            # Early calls ask old questions; the latest ask new ones, some with a tone.
            prompt_template_variables={"q": f"old{k % 3}" if k < 70 else f"new{k % 2}"}
            | ({"tone": "terse"} if k % 4 == 0 else {}),
        )
        for k in range(100)
    ]
    store.insert_spans(spans)
    window = TimeRange(t0 - timedelta(days=1), t0 + timedelta(days=1))
    every = template_detail(analytics, "proj-analytics", window, H, variable_calls=None)
    assert every["variables_sample"]["sampled"] is False
    assert every["variables_sample"]["calls"] == 100
    assert {v["name"]: v["calls"] for v in every["variables"]} == {"q": 100, "tone": 25}

    sample = template_detail(analytics, "proj-analytics", window, H, variable_calls=20)
    info = sample["variables_sample"]
    assert info["sampled"] is True
    assert sample["calls"] == 100  # the other figures still count every call
    start = datetime.fromisoformat(info["start"].replace("Z", "+00:00"))
    read = [s for s in spans if s.start_time >= start]
    assert info["calls"] == len(read)
    assert 15 <= len(read) <= 25  # about 20 at this even rate
    counts = Counter(str(s.prompt_template_variables["q"]) for s in read)
    q = next(v for v in sample["variables"] if v["name"] == "q")
    assert q["calls"] == len(read)
    assert q["distinct_values"] == len(counts) == 2
    assert {tv["value"]: tv["count"] for tv in q["top_values"]} == dict(counts)
    tone = next(v for v in sample["variables"] if v["name"] == "tone")
    assert tone["calls"] == sum("tone" in s.prompt_template_variables for s in read)


def test_variables_window_is_every_call_unless_the_template_has_more(t0: Any) -> None:
    calls = TimeRange(t0, t0 + timedelta(hours=10))
    stats = TemplateStats(
        "h", 1_000, 0, 1.0, 1.0, None, 1.0, 1.0, None, 0, calls.start, calls.end, [], "", "", None
    )
    assert variables_window(stats, calls, None) == calls
    assert variables_window(stats, calls, 1_000) == calls
    latest_hour = TimeRange(calls.end - timedelta(hours=1), calls.end)
    assert variables_window(stats, calls, 100) == latest_hour  # a tenth of the calls
