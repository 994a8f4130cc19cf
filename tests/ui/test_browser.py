"""The pages in real Chromium against a real ``heron serve`` filled with demo-like traffic."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest

from heron.testing.server import HeronServer, wait_for
from heron.testing.traffic import make_request, trace_specs
from heron.ui.format import format_tokens

from .conftest import HOSTILE, HOSTILE_TRACE, PageErrors, api, post_traces, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.integration]
Tab = tuple[Any, PageErrors]


def tree_order(spans: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """The expected waterfall: depth-first from the roots, siblings by start time."""
    ids = {s["span_id"] for s in spans}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for s in spans:
        parent = s["parent_span_id"] if s["parent_span_id"] in ids else None
        children.setdefault(parent, []).append(s)
    out: list[tuple[str, int]] = []

    def walk(parent: str | None, depth: int) -> None:
        for s in sorted(children.get(parent, []), key=lambda s: (s["start_time"], s["span_id"])):
            out.append((s["span_id"], depth))
            walk(s["span_id"], depth + 1)

    walk(None, 0)
    return out


def test_every_page_renders_without_javascript_errors(ui_server: HeronServer, page: Tab) -> None:
    tab, errors = page
    listing = api(ui_server.url, "/api/v1/traces", since="1h", limit=10)["traces"]
    normal = next(t for t in listing if t["trace_id"] != HOSTILE_TRACE)
    pages = {
        "dashboard": ("/dashboard?range=1h", "Dashboard"),
        "traces": ("/traces?range=1h", "Traces"),
        "trace": (f"/traces/{normal['trace_id']}", normal["name"]),
        "sessions": ("/sessions?range=1h", "Sessions"),
        "session": (f"/sessions/{quote(normal['session_id'], safe='')}", "Session"),
        "users": ("/users?range=1h", "Users"),
        "user": (f"/users/{quote(normal['user_id'], safe='')}?range=24h", "User"),
        "prompts": ("/prompts?range=1h", "Prompts"),
        "evals": ("/evals?range=1h", "Evals"),
        "alerts": ("/alerts", "Alerts"),
        "settings": ("/settings", "Settings"),
    }
    for name, (path, heading) in pages.items():
        resp = tab.goto(ui_server.url + path)
        assert resp is not None, name
        assert resp.status == 200, (name, resp.status)
        assert heading in tab.locator("h1").first.inner_text(), name
        screenshot(tab, name)
    assert errors.messages == []


def test_session_page_shows_the_turns_and_totals_of_the_api(
    ui_server: HeronServer, page: Tab
) -> None:
    tab, errors = page
    listing = api(ui_server.url, "/api/v1/traces", since="1h", limit=50)["traces"]
    session_id = next(t["session_id"] for t in listing if t["session_id"])
    data = api(ui_server.url, f"/api/v1/sessions/{quote(session_id, safe='')}")
    summary, traces = data["summary"], data["traces"]
    assert summary["trace_count"] == len(traces) > 0
    assert [t["start_time"] for t in traces] == sorted(t["start_time"] for t in traces)
    assert summary["total_tokens"] == sum(t["total_tokens"] for t in traces)
    tab.goto(f"{ui_server.url}/sessions/{quote(session_id, safe='')}")
    assert tab.locator("li.turn").count() == len(traces)
    shown = tab.locator(".stat", has_text="Tokens").locator("dd").text_content()
    assert shown == format_tokens(summary["total_tokens"])
    assert errors.messages == []


def test_root_redirects_to_the_dashboard(ui_server: HeronServer, page: Tab) -> None:
    tab, errors = page
    tab.goto(ui_server.url + "/")
    assert urlsplit(tab.url).path == "/dashboard"
    rows = api(ui_server.url, "/api/v1/stats", since="24h")["rows"]
    requests = tab.locator(".stat", has_text="LLM requests").locator("dd")
    assert requests.text_content() == f"{sum(r['requests'] for r in rows):,}"
    assert tab.locator("figure.chart svg polyline").count() > 0
    assert errors.messages == []


def test_filter_bar_filters_and_the_url_reflects_it(ui_server: HeronServer, page: Tab) -> None:
    tab, errors = page
    listing = api(ui_server.url, "/api/v1/traces", since="1h", status="ok", tag="support")
    model = listing["traces"][0]["models"][0]
    tab.goto(ui_server.url + "/traces?range=1h")
    tab.get_by_label("Model").fill(model)
    tab.get_by_label("Status").select_option("ok")
    tab.get_by_role("button", name="Apply").click()
    tab.wait_for_url(re.compile(r"model="))
    query = parse_qs(urlsplit(tab.url).query)
    assert query["model"] == [model]
    assert query["status"] == ["ok"]
    assert "q" not in query  # empty fields stay out of the URL
    expected = api(ui_server.url, "/api/v1/traces", since="1h", model=model, status="ok", limit=50)[
        "traces"
    ]
    rows = tab.locator("#trace-table tbody tr")
    assert rows.count() == len(expected) > 0
    assert [rows.nth(i).get_attribute("data-trace-id") for i in range(rows.count())] == [
        t["trace_id"] for t in expected
    ]
    for i in range(rows.count()):
        assert model in rows.nth(i).locator("td").nth(4).inner_text()
    screenshot(tab, "traces-filtered")
    assert errors.messages == []


def test_trace_page_matches_the_api(ui_server: HeronServer, page: Tab) -> None:
    tab, errors = page
    tab.goto(ui_server.url + "/traces?range=1h&status=ok&tag=support")
    tab.locator("#trace-table tbody tr td.name a").first.click()
    tab.wait_for_url(re.compile(r"/traces/[0-9a-f]{32}$"))
    trace_id = urlsplit(tab.url).path.rsplit("/", 1)[1]
    data = api(ui_server.url, f"/api/v1/traces/{trace_id}")

    items = tab.locator("#waterfall > li")
    shown = [
        (items.nth(i).get_attribute("data-span-id"), int(items.nth(i).get_attribute("data-depth")))
        for i in range(items.count())
    ]
    assert shown == tree_order(data["spans"])
    totals = data["totals"]
    assert tab.locator(".stat.t-total dd").inner_text() == f"{totals['total_tokens']:,}"
    assert tab.locator(".stat.t-input dd").inner_text() == f"{totals['input_tokens']:,}"

    # Select the second LLM call: the panel switches in place, the URL follows.
    llm = [s for s in data["spans"] if s["kind"] == "llm"]
    target = max(llm, key=lambda s: s["start_time"])
    tab.locator(f'#waterfall li[data-span-id="{target["span_id"]}"] a').click()
    tab.wait_for_url(re.compile(f"span={target['span_id']}"))
    panel = tab.locator(f'#span-panel article[data-span-id="{target["span_id"]}"]')
    panel.wait_for()
    assert panel.locator(".f-input-tokens").get_attribute("data-value") == str(
        target["input_tokens"]
    )
    assert panel.locator(".f-output-tokens").get_attribute("data-value") == str(
        target["output_tokens"]
    )
    assert panel.locator(".f-model").inner_text().startswith(target["model"])
    bubbles = panel.locator(".chat .bubble")
    messages = target["input_messages"] + target["output_messages"]
    assert bubbles.count() == len(messages)
    for i, message in enumerate(messages):
        assert bubbles.nth(i).locator(".who").inner_text().lower().startswith(message["role"])
        assert bubbles.nth(i).locator(".text").text_content() == message["content"]
    panel.locator("summary", has_text="Attributes").click()
    assert "gen_ai.request.model" in panel.locator("pre.json").first.inner_text()
    screenshot(tab, "trace-llm-span")

    # Back restores the previous selection; j selects the next span.
    tab.go_back()
    tab.wait_for_function("!location.search.includes('span=')")
    tab.keyboard.press("j")
    tab.wait_for_url(re.compile(r"span="))
    assert errors.messages == []


def test_span_links_work_without_javascript(ui_server: HeronServer, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    try:
        listing = api(ui_server.url, "/api/v1/traces", since="1h", limit=3)["traces"]
        data = api(ui_server.url, f"/api/v1/traces/{listing[-1]['trace_id']}")
        tool = next(s for s in data["spans"] if s["kind"] == "tool")
        tab.goto(f"{ui_server.url}/traces/{data['trace_id']}")
        tab.locator(f'#waterfall li[data-span-id="{tool["span_id"]}"] a').click()
        tab.wait_for_url(re.compile(tool["span_id"]))
        assert tab.locator("#span-panel article").get_attribute("data-span-id") == tool["span_id"]
        assert tab.locator(".copy").first.is_hidden()  # copy needs JS: hidden without it
    finally:
        context.close()


def test_hostile_content_is_shown_as_text(ui_server: HeronServer, page: Tab) -> None:
    tab, errors = page
    tab.goto(f"{ui_server.url}/traces/{HOSTILE_TRACE}?span={'2' * 16}")
    bubbles = tab.locator("#span-panel .bubble .text")
    assert [bubbles.nth(i).text_content() for i in range(bubbles.count())] == [HOSTILE, HOSTILE]
    assert HOSTILE in tab.locator("h1").inner_text()
    logs = api(ui_server.url, f"/api/v1/traces/{HOSTILE_TRACE}")["logs"]
    assert [line["body"] for line in logs] == [f"retrying {HOSTILE}"]
    line = tab.locator("#span-panel ol.logs li.here")
    assert line.locator(".body").text_content() == f"retrying {HOSTILE}"
    tab.goto(ui_server.url + "/traces?range=1h&q=pwned")
    tab.goto(ui_server.url + "/users?range=1h")
    assert tab.locator("text=<b>eve</b>").count() == 1
    assert tab.evaluate("window.__pwned") is None
    assert errors.messages == []


def test_keyboard_navigation_on_the_trace_table(ui_server: HeronServer, page: Tab) -> None:
    tab, errors = page
    tab.goto(ui_server.url + "/traces?range=1h")
    rows = tab.locator("#trace-table tbody tr")
    tab.keyboard.press("j")
    tab.keyboard.press("j")
    assert rows.nth(1).get_attribute("class") is not None
    assert "is-selected" in (rows.nth(1).get_attribute("class") or "")
    tab.keyboard.press("k")
    assert "is-selected" in (rows.nth(0).get_attribute("class") or "")
    first = rows.nth(0).get_attribute("data-trace-id")
    tab.keyboard.press("Enter")
    tab.wait_for_url(re.compile(f"/traces/{first}"))
    assert errors.messages == []


def test_live_mode_prepends_new_traces(ui_server: HeronServer, page: Tab) -> None:
    tab, errors = page
    tab.goto(ui_server.url + "/traces?range=15m")
    tab.get_by_label("Live").check()
    spec = next(trace_specs(1, seed=99, start_ns=time.time_ns(), user_id="live-user"))
    post_traces(ui_server.url, make_request([spec], seed=5))
    wait_for(
        lambda: api(ui_server.url, "/api/v1/traces", since="15m", user_id="live-user"),
        lambda body: bool(body["traces"]),
        timeout=30,
    )
    first = tab.locator("#trace-table tbody tr").first
    first.locator("text=live-user").wait_for(timeout=15_000)
    assert first.get_attribute("data-trace-id") == spec.trace_id.hex()
    screenshot(tab, "traces-live")
    assert errors.messages == []


def test_evals_and_prompts_show_what_exists(ui_server: HeronServer, page: Tab) -> None:
    tab, errors = page
    tab.goto(ui_server.url + "/prompts?range=1h")
    stats = api(ui_server.url, "/api/v1/stats", since="1h", group_by="prompt_template_hash")
    templated = [r for r in stats["rows"] if r["group"]["prompt_template_hash"]]
    assert tab.locator("#prompt-table tbody tr").count() == len(templated) > 0
    listed = api(ui_server.url, "/api/v1/prompts", since="1h")["prompts"]
    shown = tab.locator("#prompt-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.template)"
    )
    assert sorted(shown) == sorted(p["prompt_template_hash"] for p in listed)
    tab.goto(ui_server.url + "/evals?range=1h")
    assert tab.locator("table.list tbody tr").count() >= 1
    assert errors.messages == []


def test_an_alert_rule_appears_on_the_alerts_page(ui_server: HeronServer, page: Tab) -> None:
    tab, errors = page
    rule = {"name": "UI slow checkout", "metric": "p95_latency", "threshold": 8, "window": "5m"}
    resp = httpx.post(f"{ui_server.url}/api/v1/alerts/rules", json=rule, timeout=30)
    assert resp.status_code == 201, resp.text
    listed = api(ui_server.url, "/api/v1/alerts/rules")
    tab.goto(ui_server.url + "/alerts")
    rows = tab.locator("#alert-rules tbody tr")
    assert rows.count() == len(listed["rules"]) >= 1
    assert rows.filter(has_text="UI slow checkout").count() == 1
    screenshot(tab, "alerts-with-rule")
    assert errors.messages == []


def test_an_eval_rule_appears_on_the_evals_page(ui_server: HeronServer, page: Tab) -> None:
    tab, errors = page
    # A model filter no span matches: the rule is listed but never scores the shared data.
    rule = {"name": "UI PII check", "evaluator": "pii", "filter": {"models": ["none"]}}
    resp = httpx.post(f"{ui_server.url}/api/v1/evals/rules", json=rule, timeout=30)
    assert resp.status_code == 201, resp.text
    listed = api(ui_server.url, "/api/v1/evals/rules")["rules"]
    tab.goto(ui_server.url + "/evals?range=1h")
    rows = tab.locator("#eval-rules tbody tr")
    assert rows.count() == len(listed) >= 1
    assert rows.filter(has_text="UI PII check").count() == 1
    assert tab.locator("figure svg rect.bar").count() > 0  # the demo data carries scores
    screenshot(tab, "evals-with-rule")
    assert errors.messages == []


def test_create_and_revoke_a_key_through_the_settings_form(
    ui_server: HeronServer, page: Tab
) -> None:
    tab, errors = page
    tab.goto(ui_server.url + "/settings")
    tab.fill("#key-name", "ui-made-key")
    tab.select_option("#key-role", "read")
    tab.click("#create-key button[type=submit]")
    secret = tab.locator("#new-key-secret").inner_text().strip()
    keys = api(ui_server.url, "/api/v1/keys")["keys"]
    made = [k for k in keys if k["name"] == "ui-made-key"]
    assert [(k["role"], k["active"]) for k in made] == [("read", True)]
    assert secret.startswith(made[0]["prefix"])
    screenshot(tab, "settings-key-created")
    row = tab.locator("tr", has_text="ui-made-key")
    row.locator("button.revoke").click()
    tab.wait_for_url(ui_server.url + "/settings")
    assert tab.locator("#new-key").count() == 0  # the secret is not shown again
    keys = api(ui_server.url, "/api/v1/keys")["keys"]
    assert [k["active"] for k in keys if k["name"] == "ui-made-key"] == [False]
    assert tab.locator("tr", has_text="ui-made-key").locator("button.revoke").count() == 0
    assert errors.messages == []


def test_a_template_page_shows_text_variables_worst_calls_and_a_comparison(
    ui_server: HeronServer, page: Tab
) -> None:
    tab, errors = page
    tab.goto(ui_server.url + "/prompts?range=1h")
    link = tab.locator("#prompt-table tbody tr a").first
    template_hash = link.inner_text().strip()
    link.click()
    tab.wait_for_url(re.compile(r"/prompts/[0-9a-f]+"))
    full_hash = urlsplit(tab.url).path.rsplit("/", 1)[1]
    assert full_hash.startswith(template_hash)
    detail = api(ui_server.url, f"/api/v1/prompts/{full_hash}", since="1h")
    assert tab.locator("#template-text").inner_text() == detail["template"]
    names = tab.locator("#variables tbody th").all_text_contents()
    assert names == [v["name"] for v in detail["variables"]]
    calls = tab.locator("#template-stats .stat", has_text="Calls").locator("dd")
    assert calls.inner_text() == f"{detail['calls']:,}"
    # No versions recorded in this data: nothing is compared until asked; the link
    # compares the two halves of the range (no JavaScript needed), every call lands on
    # one side, and each row names its test and sample sizes.
    assert tab.locator("#compare-table").count() == 0
    tab.locator("#compare-split").click()
    tab.wait_for_url(re.compile(r"vs=split"))
    assert tab.locator("#f-vs").input_value() == "split"
    latency = tab.locator("#compare-table tbody tr", has_text="Latency")
    cells = latency.locator("td").all_inner_texts()
    assert int(cells[1].replace(",", "")) + int(cells[3].replace(",", "")) == detail["calls"]
    assert "Mann-Whitney U" in cells[6]
    assert latency.get_attribute("data-verdict") in (
        "worse", "better", "no_significant_change", "insufficient_data"
    )  # fmt: skip
    worst = tab.locator("#worst-calls tbody tr")
    assert worst.count() == len(detail["worst_calls"]) > 0
    screenshot(tab, "prompt")
    # Against another template, typed in (this traffic has one template, so one
    # without calls): side B is that template and holds no samples.
    tab.fill("#f-vs-other", "feedc0de00000000")
    tab.locator("#f-vs-other").press("Enter")
    tab.wait_for_url(re.compile(r"vs=feedc0de"))
    assert "template feedc0de0000" in tab.locator("#compare-table caption").inner_text()
    latency = tab.locator("#compare-table tbody tr", has_text="Latency")
    cells = latency.locator("td").all_inner_texts()
    assert (int(cells[1].replace(",", "")), cells[3]) == (detail["calls"], "0")
    assert latency.get_attribute("data-verdict") == "insufficient_data"
    tab.go_back()
    worst.first.locator("a").click()
    expected = detail["worst_calls"][0]
    tab.wait_for_url(re.compile(rf"/traces/{expected['trace_id']}"))
    assert tab.locator(f"[data-span-id='{expected['span_id']}'] a[aria-current]").count() == 1
    assert errors.messages == []


def test_a_template_without_calls_in_the_range_says_so(ui_server: HeronServer, page: Tab) -> None:
    tab, errors = page
    resp = tab.goto(ui_server.url + "/prompts/0000000000000000?range=15m")
    assert resp is not None
    assert resp.status == 404
    assert "No calls of this template" in tab.locator("#no-calls").inner_text()
    assert [m for m in errors.messages if "status of 404" not in m] == []
