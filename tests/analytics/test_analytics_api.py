"""The analytics routes over the real embedded store, on traffic whose answers are known."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from scipy import stats as sp

from heron.model import format_time

BAD_USER = "u-bad"
GOOD, BAD, TINY = "900d0000000000aa", "bad0000000000bbb", "7170000000000ccc"


def _range(t0: Any) -> dict[str, str]:
    return {
        "start": format_time(t0 - timedelta(hours=12)),
        "end": format_time(t0 + timedelta(hours=12)),
    }


def test_prompts_list_has_exact_counts_and_sorts(client: TestClient, traffic: Any, t0: Any) -> None:
    resp = client.get("/api/v1/prompts", params={**_range(t0), "sort": "error_rate"})
    assert resp.status_code == 200, resp.text
    rows = {r["prompt_template_hash"]: r for r in resp.json()["prompts"]}
    counted = traffic.counted()
    for key in (GOOD, BAD, TINY):
        mine = [s for s in counted if s.prompt_template_hash == key]
        assert rows[key]["calls"] == len(mine)
        assert rows[key]["errors"] == sum(s.status == "error" for s in mine)
        assert rows[key]["cost_usd"] == pytest.approx(sum(float(s.cost_usd or 0) for s in mine))
    order = [r["prompt_template_hash"] for r in resp.json()["prompts"]]
    assert order == [TINY, BAD, GOOD]  # 100 %, 30 %, ~10 %
    assert rows[GOOD]["versions"] == ["v1"]
    assert rows[GOOD]["avg_score"] > rows[BAD]["avg_score"]
    assert rows[BAD]["example"]["links"]["ui"].startswith("/traces/")
    asc = client.get("/api/v1/prompts", params={**_range(t0), "sort": "calls", "order": "asc"})
    assert [r["calls"] for r in asc.json()["prompts"]] == sorted(rows[k]["calls"] for k in rows)


def test_worst_by_errors_and_latency_puts_the_degraded_template_first(
    client: TestClient, traffic: Any, t0: Any
) -> None:
    for by in ("errors", "latency", "quality"):
        resp = client.get("/api/v1/prompts/worst", params={**_range(t0), "by": by})
        assert resp.status_code == 200, resp.text
        hashes = [r["prompt_template_hash"] for r in resp.json()["prompts"]]
        assert hashes[0] == BAD, by
        assert TINY not in hashes  # 3 calls: below the minimum sample size
    small = client.get(
        "/api/v1/prompts/worst", params={**_range(t0), "by": "errors", "min_calls": 1}
    )
    assert small.json()["prompts"][0]["prompt_template_hash"] == TINY


def test_prompt_detail_shows_text_variables_and_worst_calls(
    client: TestClient, traffic: Any, t0: Any
) -> None:
    resp = client.get(f"/api/v1/prompts/{GOOD}", params=_range(t0))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["template"] == "Answer {question}"
    variables = {v["name"]: v for v in body["variables"]}
    assert variables["lang"]["top_values"] == [{"value": "en", "count": body["calls"]}]
    assert variables["question"]["distinct_values"] == 3
    # Fewer calls than the sample size: every call is read.
    assert body["variables_sample"]["sampled"] is False
    assert body["variables_sample"]["calls"] == body["calls"]
    sampled = client.get(f"/api/v1/prompts/{GOOD}", params={**_range(t0), "variable_calls": 5})
    assert sampled.json()["variables_sample"]["sampled"] is True
    assert sampled.json()["variables_sample"]["calls"] < body["calls"]
    assert sampled.json()["calls"] == body["calls"]
    worst = body["worst_calls"]
    errors = [c for c in worst if c["status"] == "error"]
    assert worst[: len(errors)] == errors
    assert errors
    assert worst[0]["links"] == {
        "ui": f"/traces/{worst[0]['trace_id']}",
        "api": f"/api/v1/traces/{worst[0]['trace_id']}",
    }
    lowest = [c["score"] for c in body["lowest_scored_calls"]]
    assert lowest == sorted(lowest)
    expected_min = min(
        s.value
        for s in traffic.scores
        if s.trace_id in {sp_.trace_id for sp_ in traffic.spans if sp_.prompt_template_hash == GOOD}
    )
    assert lowest[0] == pytest.approx(expected_min)
    missing = client.get("/api/v1/prompts/ffffffffffffffff", params=_range(t0))
    assert missing.status_code == 404


def test_degraded_users_finds_the_injected_user_only(
    client: TestClient, traffic: Any, t0: Any
) -> None:
    resp = client.get("/api/v1/users/degraded", params=_range(t0))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [u["user_id"] for u in body["users"]] == [BAD_USER]
    assert body["users_tested"] == 6
    evidence = {e["metric"]: e for e in body["users"][0]["evidence"]}["error_rate"]
    counted = traffic.counted()
    mine = [s for s in counted if s.user_id == BAD_USER]
    rest = [s for s in counted if s.user_id != BAD_USER]
    x_u, x_r = sum(s.status == "error" for s in mine), sum(s.status == "error" for s in rest)
    _, p_value, _, _ = sp.chi2_contingency(
        [[x_u, len(mine) - x_u], [x_r, len(rest) - x_r]], correction=False
    )
    assert evidence["n"] == len(mine)
    assert evidence["value"] == pytest.approx(x_u / len(mine))
    assert evidence["project_value"] == pytest.approx((x_u + x_r) / len(counted))
    assert evidence["p_value"] == pytest.approx(p_value, rel=1e-9)


def test_user_usage_buckets_sum_to_the_users_calls(
    client: TestClient, traffic: Any, t0: Any
) -> None:
    resp = client.get("/api/v1/users/u2/usage", params={**_range(t0), "bucket": "1h"})
    assert resp.status_code == 200, resp.text
    mine = [s for s in traffic.counted() if s.user_id == "u2"]
    series = resp.json()["series"]
    assert sum(p["requests"] for p in series) == len(mine)
    assert sum(p["input_tokens"] for p in series) == sum(s.input_tokens for s in mine)
    assert resp.json()["totals"]["cost_usd"] == pytest.approx(
        sum(float(s.cost_usd or 0) for s in mine)
    )
    assert len(series) == len(
        {s.start_time.replace(minute=0, second=0, microsecond=0) for s in mine}
    )
    # A user id with a slash is one id, not a longer path (no calls: empty, not 404).
    resp = client.get("/api/v1/users/org%2Fu2/usage", params={**_range(t0), "bucket": "1h"})
    assert resp.status_code == 200, resp.text
    assert (resp.json()["user_id"], resp.json()["totals"]["requests"]) == ("org/u2", 0)


def test_cost_attribution_sums_equal_python_sums(client: TestClient, traffic: Any, t0: Any) -> None:
    counted = traffic.counted()
    for by in ("model", "service_name", "tag", "user_id", "prompt_template_hash"):
        resp = client.get("/api/v1/costs", params={**_range(t0), "by": by, "bucket": "1h"})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        expected: dict[str | None, float] = {}
        for s in counted:
            keys = (s.tags or [None]) if by == "tag" else [getattr(s, by)]
            for key in keys:
                expected[key] = expected.get(key, 0.0) + float(s.cost_usd or 0)
        got = {g["key"]: g["cost_usd"] for g in body["groups"]}
        assert got == pytest.approx(expected), by
        for group in body["groups"]:
            assert sum(p["cost_usd"] for p in group["series"]) == pytest.approx(group["cost_usd"])
        total = sum(float(s.cost_usd or 0) for s in counted)
        assert body["total"]["cost_usd"] == pytest.approx(total)
        assert body["total"]["requests"] == len(counted)
        assert body["projected_monthly_usd"] == pytest.approx(total / 7 * 30)


def test_bad_parameters_are_400(client: TestClient, traffic: Any, t0: Any) -> None:
    assert client.get("/api/v1/prompts", params={"sort": "nope"}).status_code == 400
    assert client.get("/api/v1/costs", params={"by": "nope"}).status_code == 422
    assert client.get("/api/v1/prompts/compare", params={"a": GOOD}).status_code == 400


def test_other_projects_calls_are_invisible(
    client: TestClient, store: Any, make_span: Any, t0: Any
) -> None:
    store.insert_spans(
        [make_span(project_id="someone-else", prompt_template_hash=BAD, user_id="x", cost=9.0)]
    )
    assert client.get("/api/v1/prompts", params=_range(t0)).json()["prompts"] == []
    costs = client.get("/api/v1/costs", params=_range(t0)).json()
    assert costs["total"]["requests"] == 0
    assert costs["groups"] == []
