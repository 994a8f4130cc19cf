"""Version comparison, cache savings and context pressure on known samples."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from genai_prices import Usage, calc_price
from scipy import stats as sp

from heron.model import format_time
from heron.store.telemetry import ClickHouseTelemetryStore
from heron.ui import ui_router

H = "c0ffee0000000001"


def _range(t0: Any) -> dict[str, str]:
    return {
        "start": format_time(t0 - timedelta(hours=12)),
        "end": format_time(t0 + timedelta(hours=12)),
    }


@pytest.fixture
def versions(
    store: ClickHouseTelemetryStore, make_span: Any, make_score: Any, t0: Any
) -> dict[str, Any]:
    """v1 before t0, v2 after: v2 slower, costlier, more errors, lower scores; latencies tie."""
    rng = random.Random(3)
    samples: dict[str, dict[str, list[float]]] = {}
    spans, scores = [], []
    for version, shift, errors, sign in (("v1", 0.0, 2, -1), ("v2", 40.0, 12, 1)):
        lat, cost, score = [], [], []
        for k in range(50):
            ms = float(round(rng.uniform(100, 200) + shift, -1))  # tens of ms: ties
            price = round(rng.uniform(0.001, 0.002) + (0.0005 if version == "v2" else 0), 6)
            start = t0 + sign * timedelta(minutes=k + 1)
            span = make_span(
                ms=ms,
                start=start,
                cost=price,
                prompt_template_hash=H,
                prompt_template_version=version,
                status="error" if k < errors else "ok",
            )
            value = rng.uniform(0.5, 1.0) - (0.2 if version == "v2" else 0.0)
            spans.append(span)
            scores.append(make_score(span, value))
            lat.append(ms)
            cost.append(price)
            score.append(value)
        samples[version] = {"latency": lat, "cost": cost, "score": score}
    store.insert_spans(spans)
    store.insert_scores(scores)
    return samples


def _check_against_scipy(metrics: dict[str, Any], samples: dict[str, Any]) -> None:
    for name, key in (("latency_ms", "latency"), ("cost_usd", "cost"), ("score", "score")):
        m = metrics[name]
        ref = sp.mannwhitneyu(samples["v2"][key], samples["v1"][key], method="asymptotic")
        assert m["test"] == "mann_whitney_u"
        assert (m["a"]["n"], m["b"]["n"]) == (50, 50)
        assert m["statistic"] == pytest.approx(ref.statistic), name
        assert m["p_value"] == pytest.approx(ref.pvalue, rel=1e-6), name
    err = metrics["error_rate"]
    _, p_value, _, _ = sp.chi2_contingency([[12, 38], [2, 48]], correction=False)
    assert err["test"] == "two_proportion_z"
    assert err["p_value"] == pytest.approx(p_value, rel=1e-9)
    assert err["difference"] == pytest.approx(10 / 50)


def test_version_comparison_matches_scipy_and_flags_regressions(
    client: TestClient, versions: dict[str, Any], t0: Any
) -> None:
    resp = client.get(
        "/api/v1/prompts/compare",
        params={**_range(t0), "a": H, "a_version": "v1", "b_version": "v2"},
    )
    assert resp.status_code == 200, resp.text
    metrics = resp.json()["metrics"]
    _check_against_scipy(metrics, versions)
    assert set(resp.json()["regressions"]) == {"latency_ms", "cost_usd", "score", "error_rate"}
    assert metrics["latency_ms"]["effect_size"]["value"] > 0
    assert metrics["hallucination_rate"]["insufficient_data"] is True


def test_split_at_compares_before_and_after(
    client: TestClient, versions: dict[str, Any], t0: Any
) -> None:
    resp = client.get(
        "/api/v1/prompts/compare", params={**_range(t0), "a": H, "split_at": format_time(t0)}
    )
    assert resp.status_code == 200, resp.text
    _check_against_scipy(resp.json()["metrics"], versions)


def test_small_samples_are_never_significant(
    client: TestClient, versions: dict[str, Any], t0: Any
) -> None:
    resp = client.get(
        "/api/v1/prompts/compare",
        params={**_range(t0), "a": H, "a_version": "v1", "b_version": "v2", "min_n": 60},
    )
    for metric in resp.json()["metrics"].values():
        assert metric["insufficient_data"] is True
        assert metric["significant"] is False
        assert metric["verdict"] == "insufficient_data"


def test_context_pressure_counts_are_exact(
    client: TestClient, store: ClickHouseTelemetryStore, make_span: Any, t0: Any
) -> None:
    utils = [0.05, 0.15, 0.5, 0.81, 0.85, 0.96, 0.99, 1.2, None]
    spans = [
        make_span(
            model="m-big" if k % 2 else "m-small",
            context_window_utilization=u,
            prompt_template_hash="p1",
            start=t0 + timedelta(seconds=k),
            finish_reasons=["length"] if u is not None and u > 0.95 else ["stop"],
        )
        for k, u in enumerate(utils)
    ]
    store.insert_spans(spans)
    body = client.get("/api/v1/context-pressure", params=_range(t0)).json()
    overall = body["overall"]
    assert overall["calls"] == 9
    assert overall["measured_calls"] == 8
    assert overall["over_80"] == 5
    assert overall["over_95"] == 3
    assert overall["max"] == pytest.approx(1.2)
    assert overall["finish_length"] == 3
    assert {e["trace_id"] for e in overall["finish_length_examples"]} <= {
        s.trace_id for s in spans if "length" in s.finish_reasons
    }
    counts = {(b["from"], b["to"]): b["count"] for b in overall["histogram"]}
    assert counts[(0.0, 0.1)] == 1
    assert counts[(0.8, 0.9)] == 2
    assert counts[(0.95, 1.0)] == 2
    assert counts[(1.0, None)] == 1
    assert sum(counts.values()) == 8
    by_model = {r["key"]: r for r in body["by_model"]}
    assert by_model["m-big"]["calls"] + by_model["m-small"]["calls"] == 9
    assert body["by_template"][0]["key"] == "p1"


def test_cache_savings_use_genai_prices(
    client: TestClient, store: ClickHouseTelemetryStore, make_span: Any, t0: Any
) -> None:
    spans = [
        make_span(
            model="gpt-4o",
            provider="openai",
            request_model="gpt-4o",
            input_tokens=2000,
            cached_input_tokens=1000,
            output_tokens=10,
            start=t0 + timedelta(seconds=k),
            cost=0.01,
        )
        for k in range(4)
    ]
    spans.append(
        make_span(
            model="acme-mystery",
            request_model="acme-mystery",
            input_tokens=500,
            cached_input_tokens=300,
            start=t0,
            cost=None,
        )
    )
    store.insert_spans(spans)
    body = client.get("/api/v1/costs", params={**_range(t0), "by": "model"}).json()
    models = {m["model"]: m for m in body["cache_savings"]["by_model"]}
    full = calc_price(
        Usage(input_tokens=1000),
        "gpt-4o",
        provider_id="openai",
        genai_request_timestamp=spans[3].start_time,
    ).total_price
    cached = calc_price(
        Usage(input_tokens=1000, cache_read_tokens=1000),
        "gpt-4o",
        provider_id="openai",
        genai_request_timestamp=spans[3].start_time,
    ).total_price
    assert models["gpt-4o"]["savings_usd"] == pytest.approx(float((full - cached) * 4))
    assert models["gpt-4o"]["savings_usd"] > 0
    assert models["acme-mystery"]["savings_usd"] is None
    assert "acme-mystery" in models["acme-mystery"]["reason"]
    assert body["cache_savings"]["unpriced_models"] == 1


def test_template_detail_has_each_versions_figures_from_one_scan(
    client: TestClient, versions: dict[str, Any], t0: Any
) -> None:
    resp = client.get(f"/api/v1/prompts/{H}", params=_range(t0))
    assert resp.status_code == 200, resp.text
    rows = resp.json()["by_version"]
    assert [r["version"] for r in rows] == ["v1", "v2"]  # oldest first
    for row, errors in zip(rows, (2, 12), strict=True):
        sample = versions[row["version"]]
        assert (row["calls"], row["errors"]) == (50, errors)
        assert row["error_rate"] == pytest.approx(errors / 50)
        assert row["latency_avg_ms"] == pytest.approx(np.mean(sample["latency"]))
        assert row["latency_p95_ms"] == pytest.approx(np.percentile(sample["latency"], 95))
        assert row["cost_per_call_usd"] == pytest.approx(np.mean(sample["cost"]))


def test_template_page_shows_versions_side_by_side_and_tests_them_on_request(
    client: TestClient, versions: dict[str, Any], t0: Any
) -> None:
    client.app.include_router(ui_router())  # type: ignore[attr-defined]
    page = client.get(f"/prompts/{H}", params=_range(t0))
    assert page.status_code == 200, page.text
    assert 'id="version-table"' in page.text
    assert 'id="compare-table"' not in page.text
    assert "vs=versions#compare" in page.text
    tested = client.get(f"/prompts/{H}", params={**_range(t0), "vs": "versions"})
    assert 'id="compare-table"' in tested.text
    assert "A: version v1 · B: version v2" in tested.text
