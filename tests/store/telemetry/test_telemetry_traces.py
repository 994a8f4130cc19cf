"""list_traces: roots in range, totals, ANY-span filters, cursor pagination; get_session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from heron.errors import QueryError
from heron.model import Score, Span, TimeRange, TraceFilter
from heron.store.telemetry import TRACE_WINDOW, ClickHouseTelemetryStore

MakeSpan = Callable[..., Span]


@pytest.fixture
def agent_trace(store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime) -> list[Span]:
    """root (chain) -> llm (gpt-4o, cost) -> duplicate llm; root -> tool (error)."""
    root = make_span(
        "tr-agent",
        span_id="r",
        name="agent run",
        kind="chain",
        ms=3000,
        user_id="alice",
        session_id="sess-1",
        tags=["prod"],
        service_name="bot",
        input_value="What's the WEATHER in Paris?",
        output_value="Sunny",
    )
    llm = make_span(
        "tr-agent",
        span_id="l1",
        parent="r",
        kind="llm",
        model="gpt-4o",
        provider="openai",
        start=t0 + timedelta(milliseconds=5),
        ms=800,
        input_tokens=100,
        output_tokens=20,
        total_tokens=120,
        cost_usd=Decimal("0.002"),
        prompt_template_hash="tpl-1",
        output_messages=[{"role": "assistant", "content": "calling weather tool"}],
    )
    dup = make_span(
        "tr-agent",
        span_id="l2",
        parent="l1",
        kind="llm",
        model="gpt-4o",
        provider="openai",
        start=t0 + timedelta(milliseconds=6),
        ms=790,
        input_tokens=100,
        output_tokens=20,
        total_tokens=120,
        cost_usd=Decimal("0.002"),
        duplicate_of="l1",
    )
    tool = make_span(
        "tr-agent",
        span_id="t",
        parent="r",
        kind="tool",
        status="error",
        start=t0 + timedelta(milliseconds=900),
        ms=50,
    )
    spans = [tool, dup, llm, root]  # any arrival order
    store.insert_spans(spans)
    return spans


def test_summary_totals_skip_duplicates(
    store: ClickHouseTelemetryStore, agent_trace: list[Span], window: TimeRange, t0: datetime
) -> None:
    (summary,) = store.list_traces("proj-a", TraceFilter(time=window), cursor=None, limit=10).items
    assert summary.trace_id == "tr-agent"
    assert (summary.root_span_id, summary.name, summary.start_time) == ("r", "agent run", t0)
    assert summary.duration_ms == pytest.approx(3000.0)
    assert (summary.span_count, summary.llm_call_count) == (4, 1)
    assert (summary.input_tokens, summary.output_tokens, summary.total_tokens) == (100, 20, 120)
    assert summary.cost_usd == pytest.approx(0.002)
    assert summary.error is True
    assert (summary.user_id, summary.session_id, summary.service_name) == ("alice", "sess-1", "bot")
    assert summary.models == ["gpt-4o"]
    assert summary.tags == ["prod"]
    assert summary.input_preview == "What's the WEATHER in Paris?"
    assert summary.output_preview == "Sunny"
    assert summary.eval_score is None


def test_eval_score_is_the_average_numeric_score(
    store: ClickHouseTelemetryStore, agent_trace: list[Span], window: TimeRange, t0: datetime
) -> None:
    store.insert_scores(
        [
            Score(
                score_id="a",
                project_id="proj-a",
                trace_id="tr-agent",
                name="q",
                created_at=t0,
                value=0.5,
            ),
            Score(
                score_id="b",
                project_id="proj-a",
                trace_id="tr-agent",
                span_id="l1",
                name="r",
                created_at=t0,
                value=1.0,
            ),
            Score(
                score_id="c",
                project_id="proj-a",
                trace_id="tr-agent",
                name="tone",
                created_at=t0,
                label="friendly",
            ),
        ]
    )
    (summary,) = store.list_traces("proj-a", TraceFilter(time=window), cursor=None, limit=10).items
    assert summary.eval_score == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("field", "match", "miss"),
    [
        ("model", "gpt-4o", "claude"),
        ("provider", "openai", "anthropic"),
        ("status", "error", "ok"),
        ("user_id", "alice", "bob"),
        ("session_id", "sess-1", "sess-2"),
        ("prompt_template_hash", "tpl-1", "tpl-2"),
        ("tag", "prod", "dev"),
        ("q", "weather", "snow"),  # case-insensitive, over input and output
        ("q", "CALLING WEATHER", "calling snow"),  # found in a child's output messages
        ("min_duration_ms", 2999.0, 3001.0),
        ("service_name", "bot", "web"),
    ],
)
def test_a_filter_matches_when_any_span_matches(
    store: ClickHouseTelemetryStore,
    agent_trace: list[Span],
    window: TimeRange,
    field: str,
    match: object,
    miss: object,
) -> None:
    def ids(value: object) -> list[str]:
        flt = replace(TraceFilter(time=window), **{field: value})
        return [t.trace_id for t in store.list_traces("proj-a", flt, cursor=None, limit=10).items]

    assert ids(match) == ["tr-agent"]
    assert ids(miss) == []


def test_status_ok_means_no_span_failed(
    store: ClickHouseTelemetryStore,
    agent_trace: list[Span],
    make_span: MakeSpan,
    t0: datetime,
    window: TimeRange,
) -> None:
    store.insert_spans([make_span("tr-fine", start=t0 + timedelta(seconds=5))])
    page = store.list_traces("proj-a", TraceFilter(time=window, status="ok"), cursor=None, limit=9)
    assert [t.trace_id for t in page.items] == ["tr-fine"]


def test_root_is_the_span_whose_parent_is_not_stored(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime, window: TimeRange
) -> None:
    # The upstream service (span "up") does not export to heron.
    entry = make_span("tr-orphan", span_id="entry", parent="up", name="GET /chat", ms=500)
    child = make_span("tr-orphan", span_id="c", parent="entry", start=t0 + timedelta(seconds=-1))
    store.insert_spans([entry, child])  # the child started earlier (clock skew)
    (summary,) = store.list_traces("proj-a", TraceFilter(time=window), cursor=None, limit=5).items
    assert (summary.root_span_id, summary.name, summary.start_time) == ("entry", "GET /chat", t0)


def test_only_traces_whose_root_started_in_range(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime
) -> None:
    rng = TimeRange(t0, t0 + timedelta(minutes=10))
    before = make_span("tr-before", span_id="b-root", start=t0 - timedelta(minutes=1), ms=120_000)
    before_child = make_span("tr-before", parent="b-root", start=t0 + timedelta(seconds=30))
    inside = make_span("tr-inside", span_id="i-root", start=t0 + timedelta(minutes=9), ms=1000)
    inside_late_child = make_span(
        "tr-inside", parent="i-root", start=rng.end + timedelta(minutes=1), total_tokens=7
    )
    after = make_span("tr-after", start=rng.end)
    store.insert_spans([before, before_child, inside, inside_late_child, after])
    items = store.list_traces("proj-a", TraceFilter(time=rng), cursor=None, limit=10).items
    assert [t.trace_id for t in items] == ["tr-inside"]
    assert items[0].span_count == 2
    assert items[0].total_tokens == 7
    assert timedelta(minutes=1) < TRACE_WINDOW


def test_pagination_has_no_overlaps_or_gaps(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime, window: TimeRange
) -> None:
    spans = []
    for i in range(23):
        # Pairs of traces share a start time: the cursor must break ties by trace_id.
        start = t0 + timedelta(seconds=(i // 2) * 7)
        spans.append(make_span(f"tr-{i:02d}", start=start))
    store.insert_spans(spans)
    expected = sorted(((s.start_time, s.trace_id) for s in spans), reverse=True)

    seen: list[tuple[datetime, str]] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = store.list_traces("proj-a", TraceFilter(time=window), cursor=cursor, limit=5)
        seen += [(t.start_time, t.trace_id) for t in page.items]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected
    assert pages == 5


def test_pages_skip_quiet_hours_without_losing_traces(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime
) -> None:
    # Bursts of traces separated by hours without traffic, none in the newest
    # hours of the range: the list restarts at the newest span instead of widening.
    rng = TimeRange(t0 - timedelta(hours=20), t0 + timedelta(hours=4))
    spans = []
    for burst, hours_ago in enumerate((19, 11, 3)):
        for i in range(4):
            start = t0 - timedelta(hours=hours_ago) + timedelta(seconds=i)
            root = make_span(f"tr-{burst}-{i}", span_id=f"r-{burst}-{i}", start=start)
            spans.append(root)
        # A child hours after its root, the only error of its trace.
        spans.append(
            make_span(
                f"tr-{burst}-0",
                parent=f"r-{burst}-0",
                start=t0 - timedelta(hours=hours_ago) + timedelta(hours=2),
                status="error",
            )
        )
    store.insert_spans(spans)
    roots = [s for s in spans if s.parent_span_id is None]
    expected = sorted(((s.start_time, s.trace_id) for s in roots), reverse=True)
    seen: list[tuple[datetime, str]] = []
    cursor: str | None = None
    while True:
        page = store.list_traces("proj-a", TraceFilter(time=rng), cursor=cursor, limit=5)
        seen += [(t.start_time, t.trace_id) for t in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected
    errors = store.list_traces(
        "proj-a", TraceFilter(time=rng, status="error"), cursor=None, limit=5
    ).items
    assert [t.trace_id for t in errors] == ["tr-2-0", "tr-1-0", "tr-0-0"]
    quiet = TimeRange(t0, t0 + timedelta(hours=4))
    assert store.list_traces("proj-a", TraceFilter(time=quiet), cursor=None, limit=5).items == []


def test_bad_cursor_and_limit_are_query_errors(
    store: ClickHouseTelemetryStore, window: TimeRange
) -> None:
    with pytest.raises(QueryError, match="invalid cursor"):
        store.list_traces("proj-a", TraceFilter(time=window), cursor="not-a-cursor", limit=5)
    with pytest.raises(QueryError, match="limit=0"):
        store.list_traces("proj-a", TraceFilter(time=window), cursor=None, limit=0)
    backwards = TimeRange(window.end, window.start)
    with pytest.raises(QueryError, match="swap the bounds"):
        store.list_traces("proj-a", TraceFilter(time=backwards), cursor=None, limit=5)


def test_get_session_lists_its_traces_oldest_first(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime, window: TimeRange
) -> None:
    store.insert_spans(
        [
            make_span("tr-s2", start=t0 + timedelta(minutes=2), session_id="s"),
            make_span("tr-s1", start=t0 + timedelta(minutes=1), session_id="s"),
            make_span("tr-other", start=t0, session_id="other"),
        ]
    )
    root = make_span("tr-s3", span_id="s3-root", start=t0 + timedelta(minutes=3))
    child = make_span("tr-s3", parent="s3-root", start=t0 + timedelta(minutes=3), session_id="s")
    store.insert_spans([root, child])  # session only on a child still makes it the session's
    traces = store.get_session("proj-a", "s", window).items
    assert [t.trace_id for t in traces] == ["tr-s1", "tr-s2", "tr-s3"]
    assert store.get_session("proj-a", "nope", window).items == []


def test_get_session_pages_follow_root_start_even_when_the_session_is_on_a_late_child(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime, window: TimeRange
) -> None:
    # tr-late's session span starts 50 minutes after its root: by root start it is
    # the second trace although its session span is the last one.
    spans = [
        make_span(f"tr-{n}", start=t0 + timedelta(minutes=10 * n), session_id="s")
        for n in (0, 2, 3, 4)
    ]
    spans += [
        make_span("tr-late", span_id="late-root", start=t0 + timedelta(minutes=5)),
        make_span("tr-late", parent="late-root", start=t0 + timedelta(minutes=55), session_id="s"),
    ]
    store.insert_spans(spans)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = store.get_session("proj-a", "s", window, cursor=cursor, limit=2)
        seen += [t.trace_id for t in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["tr-0", "tr-late", "tr-2", "tr-3", "tr-4"]
    assert pages == 3
    with pytest.raises(QueryError, match="limit 0 is out of range"):
        store.get_session("proj-a", "s", window, limit=0)


def test_session_summary_totals_every_trace_of_the_session(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime, window: TimeRange
) -> None:
    store.insert_spans(
        [
            make_span(
                f"tr-{n}",
                start=t0 + timedelta(minutes=n),
                session_id="s",
                user_id="u-1",
                total_tokens=10 * (n + 1),
                status="error" if n == 1 else "ok",
            )
            for n in range(3)
        ]
        + [make_span("tr-other", start=t0, session_id="other", total_tokens=1000)]
    )
    whole = store.get_session("proj-a", "s", window).summary  # from the one page
    first = store.get_session("proj-a", "s", window, limit=2)  # read from the store
    later = store.get_session("proj-a", "s", window, limit=2, cursor=first.next_cursor)
    assert whole is not None
    assert (whole.session_id, whole.user_id, whole.trace_count) == ("s", "u-1", 3)
    assert (whole.total_tokens, whole.error_count) == (60, 1)
    assert whole.first_seen == t0
    assert first.summary == later.summary == whole
    assert [len(first.items), len(later.items)] == [2, 1]
    assert store.get_session("proj-a", "nope", window).summary is None


def _record_queries(store: ClickHouseTelemetryStore) -> list[str]:
    """From now on, the purpose (``what``) of every query ``store`` runs, in order."""
    queries: list[str] = []
    real = store.query_rows

    def recording(sql: str, params: dict[str, Any], what: str) -> Any:
        queries.append(what)
        return real(sql, params, what)

    store.query_rows = recording  # type: ignore[method-assign]
    return queries


def test_a_rare_filter_over_dense_spans_widens_the_slice(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime
) -> None:
    # One matching trace 20 h before the end of the range, a trace every minute
    # otherwise: the list widens its slice instead of stepping back 15 min at a time.
    rng = TimeRange(t0 - timedelta(hours=24), t0)
    spans = [
        make_span(f"tr-{m}", start=t0 - timedelta(minutes=m, seconds=30)) for m in range(1, 1200)
    ]
    spans.append(make_span("tr-rare", start=t0 - timedelta(hours=20), model="rare-model"))
    store.insert_spans(spans)
    queries = _record_queries(store)
    flt = TraceFilter(time=rng, model="rare-model")
    items = store.list_traces("proj-a", flt, cursor=None, limit=5).items
    assert [t.trace_id for t in items] == ["tr-rare"]
    assert len(queries) <= 10, queries


def test_a_filtered_list_restarts_after_quiet_hours(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime
) -> None:
    # A trace every 10 s for 50 minutes, ending 20 h before the end of the range, then
    # nothing: the first slice is empty, so even a filtered list restarts at the newest
    # span instead of widening through 20 empty hours (it used to take five slices).
    rng = TimeRange(t0 - timedelta(hours=24), t0)
    spans = [
        make_span(f"tr-{i:03d}", start=t0 - timedelta(hours=20, seconds=10 * i), model="m-1")
        for i in range(300)
    ]
    store.insert_spans(spans)
    queries = _record_queries(store)
    items = store.list_traces("proj-a", TraceFilter(time=rng, model="m-1"), cursor=None, limit=5)
    assert [t.trace_id for t in items.items] == [f"tr-{i:03d}" for i in range(5)]
    assert queries.count("list traces") == 2, queries
    # Roots' text and scores are read once, for the slice that holds the page.
    assert queries.count("read root spans") == 1, queries


@pytest.mark.parametrize("gap_s", [1, 45, 1200])
def test_pages_are_exact_at_any_density(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime, gap_s: int
) -> None:
    # The slice grows by the density it finds (a trace a second, or one per 20
    # minutes): whatever it guesses, every page is the next traces by root start.
    rng = TimeRange(t0 - timedelta(hours=24), t0)
    spans = []
    for i in range(60):
        start = t0 - timedelta(seconds=gap_s * (i + 1))
        spans.append(make_span(f"tr-{i:02d}", span_id=f"r-{i:02d}", start=start))
        # A child after its root, so each trace spans beyond its own start.
        spans.append(
            make_span(f"tr-{i:02d}", parent=f"r-{i:02d}", start=start + timedelta(seconds=1))
        )
    store.insert_spans(spans)
    expected = [f"tr-{i:02d}" for i in range(60)]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = store.list_traces("proj-a", TraceFilter(time=rng), cursor=cursor, limit=7)
        seen += [t.trace_id for t in page.items]
        assert all(t.span_count == 2 for t in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected


def test_a_later_page_finds_a_trace_whose_matching_span_comes_after_the_cursor(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime, window: TimeRange
) -> None:
    # Six traces a minute apart; the oldest has its model and its text only on a
    # child 30 minutes after its root, so after the newer pages' cursor.
    spans = []
    for i in range(6):
        root_start = t0 + timedelta(minutes=i)
        if i == 0:
            spans.append(make_span("tr-0", span_id="r-0", start=root_start))
            spans.append(
                make_span(
                    "tr-0",
                    parent="r-0",
                    start=root_start + timedelta(minutes=30),
                    model="m-x",
                    output_value="the needle",
                )
            )
        else:
            spans.append(
                make_span(f"tr-{i}", start=root_start, model="m-x", output_value="a needle")
            )
    store.insert_spans(spans)
    for flt in (TraceFilter(time=window, model="m-x"), TraceFilter(time=window, q="NEEDLE")):
        seen: list[str] = []
        cursor: str | None = None
        while True:
            page = store.list_traces("proj-a", flt, cursor=cursor, limit=2)
            seen += [t.trace_id for t in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == ["tr-5", "tr-4", "tr-3", "tr-2", "tr-1", "tr-0"], flt


def test_recently_scored_traces_are_read_from_their_scores(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime, window: TimeRange
) -> None:
    # Twelve traces, four scored (one of them only with a label), one in another project.
    spans = [make_span(f"tr-{i:02d}", start=t0 + timedelta(minutes=i)) for i in range(12)]
    spans.append(make_span("tr-other", project_id="proj-b", start=t0))
    store.insert_spans(spans)

    def score(trace_id: str, minutes: int, project_id: str = "proj-a", **value: Any) -> Score:
        return Score(
            score_id=f"s-{trace_id}",
            project_id=project_id,
            trace_id=trace_id,
            name="quality",
            created_at=t0 + timedelta(hours=1, minutes=minutes),
            **value,
        )

    store.insert_scores(
        [
            score("tr-02", 5, value=0.2),
            score("tr-07", 1, value=0.9),
            score("tr-09", 3, value=0.6),
            score("tr-05", 9, label="rude"),  # no numeric value: not an eval score
            score("tr-other", 9, project_id="proj-b", value=1.0),
        ]
    )
    got = store.recently_scored_traces("proj-a", window, limit=10)
    assert [(t.trace_id, t.eval_score) for t in got] == [
        ("tr-09", pytest.approx(0.6)),
        ("tr-07", pytest.approx(0.9)),
        ("tr-02", pytest.approx(0.2)),
    ]
    # The limit keeps the most recently scored (tr-02, then tr-09), shown newest first.
    assert [t.trace_id for t in store.recently_scored_traces("proj-a", window, limit=2)] == [
        "tr-09",
        "tr-02",
    ]
    later = TimeRange(t0 + timedelta(minutes=8), window.end)
    assert [t.trace_id for t in store.recently_scored_traces("proj-a", later, limit=10)] == [
        "tr-09"
    ]
