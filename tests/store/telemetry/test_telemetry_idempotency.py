"""Replaying a batch never duplicates a span in any result (the WAL replays after a crash)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from heron.model import Span, StatsQuery, TimeRange, TraceFilter
from heron.store.telemetry import ClickHouseTelemetryStore

MakeSpan = Callable[..., Span]


def _batch(make_span: MakeSpan, t0: datetime, traces: int = 5) -> list[Span]:
    spans: list[Span] = []
    for i in range(traces):
        trace_id = f"trace-{i:03d}"
        root = make_span(trace_id, span_id=f"root-{i}", start=t0 + timedelta(minutes=i), ms=900)
        llm = make_span(
            trace_id,
            span_id=f"llm-{i}",
            parent=root.span_id,
            kind="llm",
            model="gpt-4o",
            start=root.start_time + timedelta(milliseconds=10),
            ms=500,
            input_tokens=100,
            output_tokens=10,
            total_tokens=110,
            cost_usd=Decimal("0.01"),
        )
        spans += [root, llm]
    return spans


def _assert_each_span_once(
    store: ClickHouseTelemetryStore, spans: list[Span], window: TimeRange
) -> None:
    assert store.count_spans("proj-a") == len(spans)
    for trace_id in {s.trace_id for s in spans}:
        got = store.get_trace("proj-a", trace_id)
        assert sorted(s.span_id for s in got) == sorted(
            s.span_id for s in spans if s.trace_id == trace_id
        )
    page = store.list_traces("proj-a", TraceFilter(time=window), cursor=None, limit=100)
    assert len(page.items) == len({s.trace_id for s in spans})
    assert {t.span_count for t in page.items} == {2}
    assert {t.total_tokens for t in page.items} == {110}
    (row,) = store.stats("proj-a", StatsQuery(time=window))
    llm_calls = [s for s in spans if s.kind == "llm"]
    assert row.requests == len(llm_calls)
    assert row.total_tokens == 110 * len(llm_calls)
    assert row.cost_usd == pytest.approx(0.01 * len(llm_calls))


@pytest.mark.parametrize("token", ["wal-7-42", None], ids=["with-token", "without-token"])
def test_same_batch_twice(
    store: ClickHouseTelemetryStore,
    make_span: MakeSpan,
    t0: datetime,
    window: TimeRange,
    token: str | None,
) -> None:
    spans = _batch(make_span, t0)
    store.insert_spans(spans, dedup_token=token)
    store.insert_spans(spans, dedup_token=token)
    _assert_each_span_once(store, spans, window)


def test_replay_through_a_new_store_instance(
    open_store: Callable[[], ClickHouseTelemetryStore],
    make_span: MakeSpan,
    t0: datetime,
    window: TimeRange,
) -> None:
    spans = _batch(make_span, t0)
    first = open_store()
    first.insert_spans(spans, dedup_token="segment-1")
    first.close()
    second = open_store()  # as after a restart: the flusher replays past its checkpoint
    second.insert_spans(spans, dedup_token="segment-1")
    second.insert_spans(spans[:3], dedup_token=None)  # a regrouped partial replay
    _assert_each_span_once(second, spans, window)


def test_the_token_drops_a_replayed_block_before_any_merge(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime
) -> None:
    spans = _batch(make_span, t0, traces=2)
    store.insert_spans(spans, dedup_token="segment-9")
    store.insert_spans(spans, dedup_token="segment-9")
    _, rows = store.query_rows(  # raw rows, without FINAL: the replay was never stored
        f"SELECT count() FROM {store.spans_table} WHERE project_id = {{p:String}}",
        {"p": "proj-a"},
        "count raw rows",
    )
    assert rows[0][0] == len(spans)


def test_scores_are_idempotent_by_score_id(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime
) -> None:
    from heron.model import Score

    store.insert_spans(_batch(make_span, t0, traces=1))
    score = Score(
        score_id="sc-1",
        project_id="proj-a",
        trace_id="trace-000",
        name="quality",
        created_at=t0,
        value=0.25,
    )
    store.insert_scores([score])
    store.insert_scores([score])
    assert store.list_scores("proj-a", trace_id="trace-000") == [score]
    edited = Score(
        score_id="sc-1",
        project_id="proj-a",
        trace_id="trace-000",
        name="quality",
        created_at=t0,
        value=0.75,
    )
    store.insert_scores([edited])  # the latest write of a score_id wins
    assert store.list_scores("proj-a", trace_id="trace-000") == [edited]


def test_a_resent_span_is_stored_once_and_read_without_final(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime, window: TimeRange
) -> None:
    assert store.spans_final == ""  # chDB: one writer, reads skip FINAL
    spans = _batch(make_span, t0, traces=3)
    store.insert_spans(spans, dedup_token="first")
    # Re-sent by the client under other tokens, once mixed with a new span and a repeat.
    extra = make_span("trace-000", span_id="late-0", start=t0 + timedelta(seconds=1), ms=5)
    store.insert_spans([spans[0], extra, extra, *spans[1:]], dedup_token="second")
    store.insert_spans(spans[:2], dedup_token=None)
    _, rows = store.query_rows(  # raw rows: nothing for a merge to collapse
        f"SELECT trace_id, span_id, count() FROM {store.spans_table} "
        "WHERE project_id = {p:String} GROUP BY trace_id, span_id HAVING count() > 1",
        {"p": "proj-a"},
        "find stored duplicates",
    )
    assert rows == []
    assert store.count_spans("proj-a") == len(spans) + 1
    got = store.get_trace("proj-a", "trace-000")
    assert sorted(s.span_id for s in got) == ["late-0", "llm-0", "root-0"]
    (row,) = store.stats("proj-a", StatsQuery(time=window))
    assert row.requests == 3
