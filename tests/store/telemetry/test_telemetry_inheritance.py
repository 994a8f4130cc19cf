"""Trace-level fields of ancestors fill descendants at read time, whatever the arrival order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from heron.model import Span
from heron.store.telemetry import ClickHouseTelemetryStore
from heron.store.telemetry.inheritance import inherit_trace_fields

MakeSpan = Callable[..., Span]
TEMPLATE = {
    "prompt_template": "Summarize {doc}",
    "prompt_template_version": "v2",
    "prompt_template_variables": {"doc": "report.pdf"},
    "prompt_template_hash": "tpl-sum",
}


def test_children_stored_before_their_root_inherit_at_read_time(
    store: ClickHouseTelemetryStore, make_span: MakeSpan, t0: datetime
) -> None:
    agent = make_span(
        "tr-i", span_id="agent", parent="root", start=t0 + timedelta(seconds=1), tags=["own-tag"]
    )
    llm = make_span(
        "tr-i", span_id="llm", parent="agent", kind="llm", start=t0 + timedelta(seconds=2)
    )
    own = make_span(
        "tr-i",
        span_id="own",
        parent="agent",
        user_id="carol",
        session_id="s-own",
        prompt_template_hash="tpl-own",
        start=t0 + timedelta(seconds=3),
    )
    store.insert_spans([agent, llm, own])  # first batch: the children end (and arrive) first
    root = make_span(
        "tr-i", span_id="root", user_id="alice", session_id="s-1", tags=["prod"], **TEMPLATE
    )
    store.insert_spans([root])  # a later batch

    spans = {s.span_id: s for s in store.get_trace("proj-a", "tr-i")}
    assert (spans["agent"].user_id, spans["agent"].session_id) == ("alice", "s-1")
    assert spans["agent"].tags == ["own-tag"]  # its own tags win
    assert spans["llm"].tags == ["own-tag"]  # nearest ancestor's tags
    assert (spans["llm"].user_id, spans["llm"].session_id) == ("alice", "s-1")
    for name, value in TEMPLATE.items():
        assert getattr(spans["llm"], name) == value
    assert (spans["own"].user_id, spans["own"].session_id) == ("carol", "s-own")
    assert spans["own"].prompt_template_hash == "tpl-own"
    assert spans["own"].prompt_template is None  # template fields travel as one group

    single = store.get_span("proj-a", "llm")
    assert single is not None
    assert single.user_id == "alice"
    assert single.tags == ["own-tag"]


def test_read_time_inheritance_does_not_change_the_stored_rows(
    store: ClickHouseTelemetryStore, make_span: MakeSpan
) -> None:
    store.insert_spans(
        [
            make_span("tr-j", span_id="root", user_id="alice"),
            make_span("tr-j", span_id="kid", parent="root"),
        ]
    )
    assert store.get_span("proj-a", "kid").user_id == "alice"  # type: ignore[union-attr]
    _, rows = store.query_rows(
        f"SELECT user_id FROM {store.spans_table} WHERE span_id = 'kid'", {}, "raw read"
    )
    assert rows == [(None,)]


def test_deep_chains_and_cycles(make_span: MakeSpan) -> None:
    chain = [make_span("tr-deep", span_id="n0", user_id="deep-user")]
    chain += [make_span("tr-deep", span_id=f"n{i}", parent=f"n{i - 1}") for i in range(1, 5000)]
    inherit_trace_fields(list(reversed(chain)))
    assert {s.user_id for s in chain} == {"deep-user"}

    a = make_span("tr-cycle", span_id="a", parent="b")
    b = make_span("tr-cycle", span_id="b", parent="a", session_id="s")
    inherit_trace_fields([a, b])  # must terminate
    assert a.session_id == "s"
