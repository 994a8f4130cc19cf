"""The waterfall layout and trace totals computed from a trace's spans."""

from __future__ import annotations

from decimal import Decimal

import pytest

from heron.ui.waterfall import trace_totals, waterfall

from .factories import llm_span, sample_trace, span


def test_rows_are_depth_first_with_siblings_by_start_time() -> None:
    rows = waterfall(sample_trace())
    assert [(r.span.span_id[0], r.depth) for r in rows] == [
        ("a", 0),
        ("d", 1),
        ("b", 1),
        ("e", 2),
        ("c", 1),
    ]
    assert rows[0].child_count == 3


def test_bars_are_to_scale() -> None:
    rows = {r.span.span_id[0]: r for r in waterfall(sample_trace())}
    assert rows["a"].offset_pct == 0
    assert rows["a"].width_pct == pytest.approx(100)
    assert rows["c"].offset_pct == pytest.approx(40)
    assert rows["c"].width_pct == pytest.approx(50)
    assert rows["d"].width_pct == pytest.approx(4.5)


def test_ttft_marker_only_on_streamed_calls() -> None:
    rows = {r.span.span_id[0]: r for r in waterfall(sample_trace())}
    assert rows["b"].ttft_pct == pytest.approx(120 / 290 * 100)
    assert rows["c"].ttft_pct is None
    plain = llm_span("f" * 16, None, 0, 100, ttft_ms=30.0, streaming=False)
    assert waterfall([plain])[0].ttft_pct is None


def test_a_span_whose_parent_is_missing_is_shown_as_a_root() -> None:
    spans = [span("a" * 16, None, 0, 100), span("b" * 16, "9" * 16, 10, 20)]
    rows = waterfall(spans)
    assert [(r.span.span_id[0], r.depth) for r in rows] == [("a", 0), ("b", 0)]


def test_a_parent_cycle_still_shows_every_span_once() -> None:
    spans = [span("a" * 16, "b" * 16, 0, 100), span("b" * 16, "a" * 16, 10, 20)]
    rows = waterfall(spans)
    assert sorted(r.span.span_id for r in rows) == ["a" * 16, "b" * 16]


def test_totals_count_llm_calls_once_and_skip_duplicates() -> None:
    spans = sample_trace()
    spans.append(llm_span("9" * 16, "b" * 16, 70, 340, duplicate_of="b" * 16))
    totals = trace_totals(spans)
    assert totals.llm_calls == 2
    assert totals.input_tokens == 1300
    assert totals.total_tokens == 1600
    assert totals.cost_usd == Decimal("0.0061")
    assert totals.duration_ms == pytest.approx(1000)
    assert totals.error is True
