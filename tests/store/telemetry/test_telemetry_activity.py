"""list_sessions and list_users: totals, ordering and pagination."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from heron.model import Span, TimeRange
from heron.store.telemetry import ClickHouseTelemetryStore

MakeSpan = Callable[..., Span]


@pytest.fixture
def conversations(store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime) -> list[Span]:
    spans: list[Span] = []
    plan = [("s-a", "alice", 0, 3), ("s-b", "bob", 10, 2), ("s-c", "alice", 20, 1)]
    for session, user, minute, traces in plan:
        for n in range(traces):
            trace_id = f"{session}-{n}"
            start = t0 + timedelta(minutes=minute + n)
            root = make_span(
                trace_id,
                span_id=f"{trace_id}-root",
                start=start,
                ms=2000,
                session_id=session,
                user_id=user,
            )
            # The LLM span carries no user/session of its own: it belongs to its trace's.
            llm = make_span(
                trace_id,
                parent=root.span_id,
                kind="llm",
                model="m",
                start=start,
                ms=100.0 * (n + 1),
                total_tokens=10 * (n + 1),
                cost_usd=Decimal("0.5"),
                status="error" if n == 1 else "ok",
            )
            dup = make_span(
                trace_id,
                parent=llm.span_id,
                kind="llm",
                total_tokens=1000,
                duplicate_of=llm.span_id,
                start=start,
            )
            spans += [root, llm, dup]
    store.insert_spans(spans)
    return spans


def test_sessions_most_recent_first_with_totals(
    store: ClickHouseTelemetryStore, conversations: list[Span], window: TimeRange, t0: datetime
) -> None:
    page = store.list_sessions("proj-a", window, cursor=None, limit=10)
    assert [s.session_id for s in page.items] == ["s-c", "s-b", "s-a"]
    a = page.items[2]
    assert (a.user_id, a.trace_count, a.error_count) == ("alice", 3, 1)
    assert a.total_tokens == 10 + 20 + 30
    assert a.cost_usd == pytest.approx(1.5)
    assert a.first_seen == t0
    assert a.last_seen == t0 + timedelta(minutes=2, seconds=2)
    assert page.next_cursor is None


def test_sessions_paginate(
    store: ClickHouseTelemetryStore, conversations: list[Span], window: TimeRange
) -> None:
    first = store.list_sessions("proj-a", window, cursor=None, limit=2)
    assert [s.session_id for s in first.items] == ["s-c", "s-b"]
    assert first.next_cursor is not None
    second = store.list_sessions("proj-a", window, cursor=first.next_cursor, limit=2)
    assert [s.session_id for s in second.items] == ["s-a"]
    assert second.next_cursor is None


def test_users_count_llm_calls_of_their_traces(
    store: ClickHouseTelemetryStore, conversations: list[Span], window: TimeRange, t0: datetime
) -> None:
    page = store.list_users("proj-a", window, cursor=None, limit=10)
    assert [u.user_id for u in page.items] == ["alice", "bob"]
    alice, bob = page.items
    assert (alice.requests, alice.errors, alice.total_tokens) == (4, 1, 10 + 20 + 30 + 10)
    assert alice.cost_usd == pytest.approx(2.0)
    assert alice.p95_latency_ms == pytest.approx(float(np.percentile([100, 200, 300, 100], 95)))
    assert alice.last_seen == t0 + timedelta(minutes=20, seconds=2)
    assert (bob.requests, bob.errors) == (2, 1)
    second = store.list_users(
        "proj-a",
        window,
        cursor=store.list_users("proj-a", window, cursor=None, limit=1).next_cursor,
        limit=1,
    )
    assert [u.user_id for u in second.items] == ["bob"]


def test_ranges_exclude_activity_outside(
    store: ClickHouseTelemetryStore, conversations: list[Span], t0: datetime
) -> None:
    late = TimeRange(t0 + timedelta(minutes=15), t0 + timedelta(hours=1))
    assert [
        s.session_id for s in store.list_sessions("proj-a", late, cursor=None, limit=10).items
    ] == ["s-c"]
    assert [u.user_id for u in store.list_users("proj-a", late, cursor=None, limit=10).items] == [
        "alice"
    ]
