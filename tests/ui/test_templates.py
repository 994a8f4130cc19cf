"""Templates rendered from model objects: content shown, hostile content escaped."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest

from heron.model import SessionSummary, TimeRange, UserSummary
from heron.model.log import LogRecord
from heron.ui.conversation import conversation
from heron.ui.pages.dashboard import model_charts, quality_charts, summarize
from heron.ui.params import RANGE_PRESETS, TRACE_FILTERS, parse_time_choice, parse_trace_query
from heron.ui.render import Renderer
from heron.ui.waterfall import KIND_LABELS, trace_totals, waterfall

from .factories import HOSTILE, T0, TRACE, llm_span, sample_trace, score, span, stats_row, summary


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


class Collector(HTMLParser):
    """Collects script elements and event-handler attributes: none may come from data."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[str] = []
        self.labels: set[str] = set()
        self.inputs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
        self.handlers += [name for name in attributes if name.startswith("on")]
        if tag == "label" and attributes.get("for"):
            self.labels.add(str(attributes["for"]))
        if tag in ("input", "select", "textarea") and attributes.get("type") != "hidden":
            self.inputs.append(str(attributes.get("id")))


def check_safe(html: str) -> Collector:
    parsed = Collector()
    parsed.feed(html)
    assert parsed.scripts == [{"src": parsed.scripts[0]["src"], "defer": None}]
    assert str(parsed.scripts[0]["src"]).startswith("/static/heron.js")
    assert parsed.handlers == []
    assert "<script>alert" not in html
    assert not set(parsed.inputs) - parsed.labels, "every input needs a label"
    return parsed


def trace_context(spans: list[Any], selected: Any, scores: list[Any]) -> dict[str, Any]:
    return {
        "path": f"/traces/{TRACE}",
        "trace_id": TRACE,
        "span": selected,
        "bubbles": conversation(selected),
        "kind_labels": KIND_LABELS,
        "logs": None,
        "span_scores": [s for s in scores if s.span_id == selected.span_id],
        "root": spans[1],
        "rows": waterfall(spans),
        "totals": trace_totals(spans),
        "trace_scores": [s for s in scores if not s.span_id],
        "all_scores": scores,
    }


def test_trace_page_escapes_hostile_prompts_everywhere(renderer: Renderer) -> None:
    hostile = llm_span(
        "b" * 16,
        "a" * 16,
        60,
        350,
        name=HOSTILE,
        system_prompt=HOSTILE,
        input_messages=[{"role": "user", "content": HOSTILE}],
        output_messages=[{"role": "assistant", "content": HOSTILE}],
        tool_calls=[{"id": HOSTILE, "name": HOSTILE, "arguments": HOSTILE}],
        attributes={"gen_ai.prompt": HOSTILE},
        prompt_template=HOSTILE,
        user_id=HOSTILE,
        tags=[HOSTILE],
    )
    spans = [s if s.span_id != "b" * 16 else hostile for s in sample_trace()]
    html = renderer.html(
        "trace.html", trace_context(spans, hostile, [score(hostile.span_id, reasoning=HOSTILE)])
    )
    check_safe(html)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") >= 6


def test_trace_page_shows_waterfall_totals_and_the_selected_span(renderer: Renderer) -> None:
    spans = sample_trace()
    selected = spans[2]
    html = renderer.html(
        "trace.html",
        trace_context(spans, selected, [score(selected.span_id), score(None, name="csat")]),
    )
    check_safe(html)
    order = [html.index(f'data-span-id="{c * 16}"') for c in "adbec"]
    assert order == sorted(order)
    assert 'data-depth="2"' in html
    assert html.count('aria-current="true"') == 1
    assert "Where is my order?" in html
    assert "It ships today." in html
    assert 'class="wf-ttft"' in html  # the streamed call
    assert f'<li class="wf-item is-error" data-span-id="{"c" * 16}"' in html
    assert "Answered the question." in html
    assert "csat" in html
    assert "1,300" in html  # input tokens: 1200 + 100
    assert "No log lines carry this trace id" in html


def test_span_panel_renders_logs_when_present(renderer: Renderer) -> None:
    spans = sample_trace()
    ctx = trace_context(spans, spans[1], [])
    ctx["logs"] = [
        LogRecord("p1", "l1", T0, 17, "ERROR", HOSTILE, TRACE, spans[1].span_id),
        LogRecord(
            "p1", "l2", T0, 9, "INFO", "other span", TRACE, "c" * 16, attributes={"k": HOSTILE}
        ),
    ]
    html = renderer.html("_span_panel.html", ctx)
    assert 'class="sev-error here"' in html
    assert f"?span={'c' * 16}" in html
    assert "&lt;script&gt;" in html
    assert "<script>" not in html


def test_trace_list_renders_rows_filters_and_pager(renderer: Renderer) -> None:
    state = parse_trace_query({"range": "1h", "model": HOSTILE})
    traces = [summary(1, name=HOSTILE, user_id="team/a"), summary(2, error=True, eval_score=0.5)]
    html = renderer.html(
        "traces.html",
        {
            "path": "/traces",
            "state": state,
            "form": {"range": "1h", "model": HOSTILE},
            "error": None,
            "traces": traces,
            "next_url": state.url(cursor="abc"),
            "presets": RANGE_PRESETS,
            "filters": TRACE_FILTERS,
        },
    )
    parsed = check_safe(html)
    assert {"f-range", "f-q", "f-model", "f-status", "f-user", "f-mindur"} <= set(parsed.inputs)
    assert html.count("<tr data-trace-id=") == 2
    assert "/users/team%2Fa" in html
    assert "cursor=abc" in html
    assert 'rel="next"' in html
    assert 'data-api="/api/v1/traces?since=1h&amp;model=' in html
    assert "0.50" in html
    assert "badge err" in html


def test_trace_list_error_and_empty_states(renderer: Renderer) -> None:
    base = {
        "path": "/traces",
        "state": None,
        "form": {"status": "maybe"},
        "traces": [],
        "next_url": None,
        "presets": RANGE_PRESETS,
        "filters": TRACE_FILTERS,
    }
    html = renderer.html("traces.html", {**base, "error": "status 'maybe' is not 'ok'"})
    assert 'role="alert"' in html
    assert "status &#39;maybe&#39;" in html
    state = parse_trace_query({})
    empty = renderer.html("traces.html", {**base, "state": state, "error": None, "form": {}})
    assert "No traces match" in empty


def test_dashboard_renders_charts_and_quality_empty_state(renderer: Renderer) -> None:
    choice = parse_time_choice({"range": "1h"})
    time = TimeRange(T0, T0 + timedelta(hours=1))
    rows = [
        stats_row(T0 + timedelta(minutes=i), model=m)
        for i in range(0, 60, 5)
        for m in ("gpt-4o", HOSTILE)
    ]
    html = renderer.html(
        "dashboard.html",
        {
            "path": "/dashboard",
            "choice": choice,
            "presets": RANGE_PRESETS,
            "bucket": "1m",
            "summary": summarize([stats_row(None), stats_row(None, model="m2", cost_usd=None)]),
            "cost_24h": 1.5,
            "charts": model_charts(rows, time, "1m"),
            "quality": quality_charts([stats_row(T0, model=None)], time, "1m"),
            "models": [stats_row(None)],
        },
    )
    check_safe(html)
    assert html.count('<figure class="chart"') == 7
    assert html.count("No eval scores in this range") == 2
    assert "$1.50" in html
    assert "$0.05" in html
    assert "20" in html


def test_lists_and_session_timeline(renderer: Renderer) -> None:
    choice = parse_time_choice({})
    sessions = [SessionSummary(HOSTILE, "u1", 3, T0, T0, 100, 0.2, 1)]
    html = renderer.html(
        "sessions.html",
        {
            "path": "/sessions",
            "choice": choice,
            "presets": RANGE_PRESETS,
            "sessions": sessions,
            "next_params": None,
            "first_params": None,
        },
    )
    check_safe(html)
    assert "&lt;script&gt;" in html
    users = [UserSummary("u1", 10, 2, 5000, 0.5, 1900.0, T0)]
    html = renderer.html(
        "users.html",
        {
            "path": "/users",
            "choice": choice,
            "presets": RANGE_PRESETS,
            "users": users,
            "next_params": {"range": "24h", "cursor": "x"},
            "first_params": None,
        },
    )
    assert "1.90 s" in html
    assert "cursor=x" in html
    traces = [summary(1, input_preview=HOSTILE, output_preview="fine"), summary(2, error=True)]
    session = SessionSummary("s1", "u1", 7, T0, T0 + timedelta(seconds=1), 3000, 0.01, 1)
    html = renderer.html(
        "session.html",
        {
            "path": "/sessions/s1",
            "session_id": "s1",
            "traces": traces,
            "summary": session,
            "choice": parse_time_choice({}, "30d"),
            "presets": RANGE_PRESETS,
            "next_params": {"range": "30d", "cursor": "c2"},
            "first_params": None,
        },
    )
    check_safe(html)
    assert html.count('<li class="turn') == 2
    assert "(failed: no output)" in html
    assert "Showing 2 turns of 7" in html
    assert "Later turns" in html
    assert "cursor=c2" in html
    assert 'href="/users/u1"' in html


def test_error_page(renderer: Renderer) -> None:
    html = renderer.html(
        "error.html",
        {
            "path": "/traces/x",
            "code": 404,
            "auth": False,
            "message": f"trace {HOSTILE!r} not found",
        },
    )
    check_safe(html)
    assert "Not found" in html


def test_span_without_messages_says_so(renderer: Renderer) -> None:
    plain = span("d" * 16, None, 0, 10, kind="retriever")
    ctx = trace_context([plain, plain], plain, [])
    html = renderer.html("_span_panel.html", ctx)
    assert "carries no messages" in html
    assert "retriever span" in html
