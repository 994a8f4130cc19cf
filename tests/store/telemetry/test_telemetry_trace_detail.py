"""get_trace_detail: a trace's spans, scores and logs in one query equal the three reads."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

import pytest

from heron.model import LogRecord, Score, TraceDetail
from heron.store.telemetry import ClickHouseTelemetryStore, trace_detail

from .conftest import MakeSpan


def _log(project: str, trace: str | None, log_id: str, at: datetime, **fields: Any) -> LogRecord:
    return LogRecord(project_id=project, log_id=log_id, time=at, trace_id=trace, **fields)


def _fill(store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime) -> None:
    root = make_span("tr-1", span_id="root", name="agent", user_id="u-1", tags=["beta"])
    llm = make_span(
        "tr-1",
        span_id="llm",
        parent="root",
        start=t0 + timedelta(milliseconds=5),
        kind="llm",
        model="gpt-4o-mini",
        input_tokens=12,
        output_tokens=7,
        total_tokens=19,
    )
    other = make_span("tr-2", span_id="x")
    foreign = make_span("tr-1", span_id="root", project_id="proj-b")
    store.insert_spans([root, llm, other, foreign])
    store.insert_scores(
        [
            Score(
                score_id="s-late",
                project_id="proj-a",
                trace_id="tr-1",
                name="helpful",
                created_at=t0 + timedelta(minutes=2),
                label="yes",
                comment='quoted "text"\nand a newline',
                source="human",
            ),
            Score(
                score_id="s-early",
                project_id="proj-a",
                trace_id="tr-1",
                span_id="llm",
                name="quality",
                created_at=t0 + timedelta(minutes=1),
                value=1.0,
                source="eval",
                evaluator="judge-x",
                reasoning="fine",
                flags=["pii"],
                metadata={"judge": {"model": "m", "tokens": 3}},
                cost_usd=0.00012,
            ),
            Score(
                score_id="s-other",
                project_id="proj-a",
                trace_id="tr-2",
                name="quality",
                created_at=t0,
                value=0.2,
            ),
            Score(
                score_id="s-foreign",
                project_id="proj-b",
                trace_id="tr-1",
                name="quality",
                created_at=t0,
                value=0.3,
            ),
        ]
    )
    store.insert_logs(
        [
            _log(
                "proj-a",
                "tr-1",
                "l-2",
                t0 + timedelta(seconds=2),
                span_id="llm",
                severity_number=17,
                severity_text="ERROR",
                body="upstream said 529",
                event_name="llm_call",
                attributes={"gen_ai.request.model": "gpt-4o-mini", "retry": 2},
                resource_attributes={"service.name": "bot"},
            ),
            _log("proj-a", "tr-1", "l-1", t0 + timedelta(seconds=1), body="first"),
            _log("proj-a", "tr-2", "l-3", t0, body="other trace"),
            _log("proj-b", "tr-1", "l-4", t0, body="other project"),
        ]
    )


def test_one_query_equals_the_three_reads(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime
) -> None:
    _fill(store, make_span, t0)
    detail = store.get_trace_detail("proj-a", "tr-1")
    assert detail.spans == store.get_trace("proj-a", "tr-1")
    assert [s.span_id for s in detail.spans] == ["root", "llm"]
    assert detail.spans[1].user_id == "u-1"  # inherited from the root, as get_trace does
    assert detail.scores == store.list_scores("proj-a", trace_id="tr-1")
    assert [s.score_id for s in detail.scores] == ["s-early", "s-late"]
    assert isinstance(detail.scores[0].value, float)
    assert detail.scores[0].metadata == {"judge": {"model": "m", "tokens": 3}}
    assert detail.logs == store.list_logs("proj-a", trace_id="tr-1")
    assert [r.log_id for r in detail.logs] == ["l-1", "l-2"]
    assert detail.logs[1].attributes == {"gen_ai.request.model": "gpt-4o-mini", "retry": 2}


def test_a_replaced_score_is_read_once_with_its_latest_value(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime
) -> None:
    store.insert_spans([make_span("tr-1", span_id="root")])
    first = Score(
        score_id="s", project_id="proj-a", trace_id="tr-1", name="q", created_at=t0, value=0.1
    )
    store.insert_scores([first])
    store.insert_scores([dataclasses.replace(first, value=0.9)])
    assert [s.value for s in store.get_trace_detail("proj-a", "tr-1").scores] == [0.9]


def test_unknown_trace_is_empty_and_other_projects_stay_apart(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime
) -> None:
    _fill(store, make_span, t0)
    assert store.get_trace_detail("proj-a", "nope") == TraceDetail([], [], [])
    foreign = store.get_trace_detail("proj-b", "tr-1")
    assert [s.span_id for s in foreign.spans] == ["root"]
    assert [s.score_id for s in foreign.scores] == ["s-foreign"]
    assert [r.log_id for r in foreign.logs] == ["l-4"]


def test_logs_keep_the_oldest_up_to_the_limit(
    store: ClickHouseTelemetryStore,
    make_span: MakeSpan,
    t0: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # More spans and scores than the limit: only log records are capped.
    store.insert_spans(
        [make_span("tr-1", span_id=f"s-{i}", start=t0 + timedelta(seconds=i)) for i in range(5)]
    )
    store.insert_scores(
        [
            Score(score_id=f"c-{i}", project_id="proj-a", trace_id="tr-1", name="q", created_at=t0)
            for i in range(5)
        ]
    )
    store.insert_logs(
        [_log("proj-a", "tr-1", f"l-{i}", t0 + timedelta(seconds=10 - i)) for i in range(5)]
    )
    monkeypatch.setattr(trace_detail, "TRACE_LOG_LIMIT", 3)
    detail = store.get_trace_detail("proj-a", "tr-1")
    assert [r.log_id for r in detail.logs] == ["l-4", "l-3", "l-2"]
    assert len(detail.spans) == 5
    assert len(detail.scores) == 5
