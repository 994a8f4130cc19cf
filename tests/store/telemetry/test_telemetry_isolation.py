"""Project isolation: project B's data is never visible through project A, in any method."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from heron.model import Score, Span, StatsQuery, TimeRange, TraceFilter
from heron.store.telemetry import ClickHouseTelemetryStore

MakeSpan = Callable[..., Span]


def _project(project_id: str, make_span: MakeSpan, tokens: int) -> list[Span]:
    # Both projects use the SAME trace and span ids: only project_id separates them.
    root = make_span(
        "tr-shared",
        span_id="root",
        project_id=project_id,
        user_id=f"u-{project_id}",
        session_id=f"s-{project_id}",
        tags=[project_id],
    )
    llm = make_span(
        "tr-shared",
        span_id="llm",
        parent="root",
        project_id=project_id,
        kind="llm",
        model=f"m-{project_id}",
        total_tokens=tokens,
        cost_usd=Decimal(tokens),
    )
    return [root, llm]


def test_nothing_of_b_is_visible_from_a(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, window: TimeRange, t0: datetime
) -> None:
    store.insert_spans(_project("a", make_span, 10) + _project("b", make_span, 99))
    store.insert_scores(
        [
            Score(
                score_id="same",
                project_id=p,
                trace_id="tr-shared",
                span_id="llm",
                name="q",
                created_at=t0,
                value=v,
            )
            for p, v in (("a", 0.1), ("b", 0.9))
        ]
    )

    assert store.count_spans("a") == 2
    assert {s.project_id for s in store.get_trace("a", "tr-shared")} == {"a"}
    assert store.get_span("a", "llm").model == "m-a"  # type: ignore[union-attr]
    (trace,) = store.list_traces("a", TraceFilter(time=window), cursor=None, limit=10).items
    assert (trace.total_tokens, trace.models, trace.eval_score) == (10, ["m-a"], 0.1)
    assert (
        store.list_traces("a", TraceFilter(time=window, model="m-b"), cursor=None, limit=10).items
        == []
    )
    assert [
        s.session_id for s in store.list_sessions("a", window, cursor=None, limit=10).items
    ] == ["s-a"]
    assert [u.user_id for u in store.list_users("a", window, cursor=None, limit=10).items] == [
        "u-a"
    ]
    assert store.get_session("a", "s-b", window).items == []
    (row,) = store.stats("a", StatsQuery(time=window, group_by=("model",)))
    assert (row.group, row.total_tokens, row.avg_score) == ({"model": "m-a"}, 10, 0.1)
    assert [s.value for s in store.list_scores("a", trace_id="tr-shared")] == [0.1]
    assert [s.value for s in store.list_scores("a", span_id="llm")] == [0.1]
    assert store.count_spans("nobody") == 0


def test_deleting_b_leaves_a(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime
) -> None:
    store.insert_spans(_project("a", make_span, 10) + _project("b", make_span, 99))
    store.insert_scores(
        [
            Score(
                score_id=p, project_id=p, trace_id="tr-shared", name="q", created_at=t0, value=1.0
            )
            for p in ("a", "b")
        ]
    )
    store.delete_project_data("b")
    assert (store.count_spans("a"), store.count_spans("b")) == (2, 0)
    # The whole-span copies read by trace lookups go too.
    assert store.get_trace("b", "tr-shared") == []
    assert len(store.get_trace("a", "tr-shared")) == 2
    assert store.list_scores("b", trace_id="tr-shared") == []
    assert len(store.list_scores("a", trace_id="tr-shared")) == 1
