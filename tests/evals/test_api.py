"""Evals over HTTP: rules, the ingest -> score path, offline runs (CLI), datasets, experiments.

One real heron app (``create_app``) served by uvicorn on a loopback port in
this process (chDB allows one directory per process, so it uses a database of
the session's chDB directory); judges and generators talk to the fake provider.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from heron.app import create_app
from heron.cli.eval import eval_group
from heron.config import Settings
from heron.model import Span
from heron.store.meta import open_meta_store
from heron.testing.fake_provider import FakeProvider, Reply
from heron.testing.server import free_port

QUALITY = {
    "accuracy": 0.8,
    "relevance": 1.0,
    "completeness": 0.6,
    "safety": 1.0,
    "helpfulness": 0.6,
    "reasoning": "fine",
}
QUALITY_MEAN = (0.8 + 1.0 + 0.6 + 1.0 + 0.6) / 5


@dataclass
class Heron:
    """The running server, its projects and keys."""

    url: str
    app: Any
    project_a: str
    keys: dict[str, str]

    def client(self, key: str = "admin") -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.keys[key]}"}, timeout=30
        )


@pytest.fixture(scope="module")
def heron(
    tmp_path_factory: pytest.TempPathFactory, chdb_dir: Path, fake: FakeProvider
) -> Iterator[Heron]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("evals-app"),
        store_url=f"chdb://{chdb_dir}?database=ev_{uuid.uuid4().hex[:12]}",
        grpc_port=0,
        wal_sync=False,
        flush_interval_s=0.05,
        auth_required=True,
        judge_provider="openai",
        judge_model="gpt-4o-mini",
        judge_base_url=fake.base_url_openai,
        judge_api_key="test-key",
        eval_workers=2,
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    meta = open_meta_store(settings.resolved_meta_url)
    meta.migrate()
    a, b = meta.ensure_project("alpha"), meta.ensure_project("beta")
    keys = {role: meta.create_key(a.id, role, role)[1] for role in ("ingest", "read", "admin")}
    keys["b_admin"] = meta.create_key(b.id, "admin", "b")[1]
    meta.close()
    app = create_app(settings)
    app.state.heron.extras["evals"].poll_s = 0.05
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield Heron(url, app, a.id, keys)
    server.should_exit = True
    thread.join(timeout=60)


def _wait(fetch: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"gave up waiting; last value: {value!r}"
        time.sleep(0.1)


def test_rule_crud_roles_and_tenancy(heron: Heron) -> None:
    body = {"name": "PII", "evaluator": "pii", "sample_rate": 0.5, "filter": {"models": ["x"]}}
    with heron.client() as admin, heron.client("read") as reader, heron.client("b_admin") as other:
        created = admin.post("/api/v1/evals/rules", json=body)
        assert created.status_code == 201, created.text
        rule = created.json()
        assert (rule["evaluator"], rule["sample_rate"], rule["filter"]["models"]) == (
            "pii",
            0.5,
            ["x"],
        )
        path = f"/api/v1/evals/rules/{rule['id']}"
        assert reader.get(path).json()["name"] == "PII"
        assert rule["id"] in [r["id"] for r in reader.get("/api/v1/evals/rules").json()["rules"]]
        assert reader.post("/api/v1/evals/rules", json=body).status_code == 403
        assert reader.delete(path).status_code == 403
        # Another project sees nothing and cannot touch it: 404 like a missing rule.
        assert other.get(path).status_code == 404
        assert other.put(path, json=body).status_code == 404
        assert other.delete(path).status_code == 404
        assert rule["id"] not in other.get("/api/v1/evals/rules").text
        changed = admin.put(path, json={**body, "sample_rate": 1.0, "enabled": False})
        assert changed.status_code == 200
        assert (changed.json()["sample_rate"], changed.json()["enabled"]) == (1.0, False)
        bad = admin.post("/api/v1/evals/rules", json={**body, "evaluator": "nope"})
        assert bad.status_code == 422
        assert "unknown evaluator" in bad.text
        assert admin.delete(path).status_code == 204
        assert admin.get(path).status_code == 404


def _otlp(trace_id: str, span_id: str, output: str) -> dict[str, Any]:
    now = time.time_ns()
    attrs = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4o-mini",
        "input.value": "What is the capital of France?",
        "output.value": output,
    }
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": []},
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": trace_id,
                                "spanId": span_id,
                                "name": "chat",
                                "kind": 3,
                                "startTimeUnixNano": str(now - 1_000_000_000),
                                "endTimeUnixNano": str(now),
                                "attributes": [
                                    {"key": k, "value": {"stringValue": v}}
                                    for k, v in attrs.items()
                                ],
                            }
                        ]
                    }
                ],
            }
        ]
    }


def test_ingested_spans_are_scored_and_summarized(heron: Heron, fp: FakeProvider) -> None:
    fp.add_rule(Reply.json({"score": 0.75, "reasoning": "on topic"}))
    with heron.client() as admin, heron.client("ingest") as ingest:
        for evaluator in ("refusal", "relevance"):
            rule = {"name": evaluator, "evaluator": evaluator, "delay_s": 0}
            assert admin.post("/api/v1/evals/rules", json=rule).status_code == 201
        trace_id, span_id = uuid.uuid4().hex, uuid.uuid4().hex[:16]
        sent = ingest.post("/v1/traces", json=_otlp(trace_id, span_id, "Paris."))
        assert sent.status_code == 200, sent.text
        trace = _wait(
            lambda: admin.get(f"/api/v1/traces/{trace_id}"),
            lambda r: r.status_code == 200 and len(r.json()["scores"]) == 2,
        ).json()
        scores = {s["name"]: s for s in trace["scores"]}
        assert scores["refusal"]["value"] == 1.0
        assert scores["relevance"]["value"] == 0.75
        assert scores["relevance"]["evaluator"] == "relevance"
        assert {s["source"] for s in trace["scores"]} == {"eval"}
        jobs = admin.get("/api/v1/evals/jobs", params={"status": "done"}).json()["jobs"]
        assert {j["span_id"] for j in jobs} >= {span_id}

        by_evaluator = admin.get("/api/v1/evals/summary", params={"since": "1h"}).json()
        rows = {r["group"]: r for r in by_evaluator["rows"]}
        assert rows["relevance"]["avg_score"] == pytest.approx(0.75)
        by_model = admin.get(
            "/api/v1/evals/summary", params={"since": "1h", "group_by": "model", "bucket": "1d"}
        ).json()
        (row,) = [r for r in by_model["rows"] if r["group"] == "gpt-4o-mini"]
        assert row["avg_score"] == pytest.approx((1.0 + 0.75) / 2)
        metrics = admin.get("/metrics").text
        assert "llm_eval_score" in metrics


def _past_spans(project: str, n: int) -> list[Span]:
    start = datetime.now(UTC) - timedelta(hours=2)
    spans = []
    for i in range(n):
        answer = "I'm sorry, but I can't help with that." if i % 2 else "Paris."
        spans.append(
            Span(
                project_id=project,
                trace_id=uuid.uuid4().hex,
                span_id=uuid.uuid4().hex[:16],
                name="chat",
                kind="llm",
                model="gpt-4o",
                start_time=start + timedelta(minutes=i),
                end_time=start + timedelta(minutes=i, seconds=1),
                input_messages=[{"role": "user", "content": "Capital of France?"}],
                output_messages=[{"role": "assistant", "content": answer}],
            )
        )
    return spans


def test_offline_run_from_the_cli(heron: Heron) -> None:
    spans = _past_spans(heron.project_a, 6)
    heron.app.state.heron.store.insert_spans(spans)
    result = CliRunner().invoke(
        eval_group,
        [
            "run",
            "--evaluator",
            "refusal",
            "--from",
            "now-3h",
            "--model",
            "gpt-4o",
            "--url",
            heron.url,
            "--api-key",
            heron.keys["admin"],
            "--poll",
            "0.1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "refusal" in result.output
    with heron.client("read") as reader, heron.client("b_admin") as other:
        (run,) = [
            r
            for r in reader.get("/api/v1/evals/runs").json()["runs"]
            if r["spec"]["evaluator"] == "refusal"
        ]
        assert run["status"] == "done"
        assert (run["done"], run["total"], run["progress"]) == (6, 6, 1.0)
        summary = run["summary"]
        assert (summary["count"], summary["pass"], summary["fail"]) == (6, 3, 3)
        assert summary["mean_score"] == pytest.approx(0.5)
        assert f"{summary['count']}" in result.output
        assert other.get(f"/api/v1/evals/runs/{run['id']}").status_code == 404
        scores = reader.get("/api/v1/scores", params={"span_id": spans[1].span_id}).json()
        assert [(s["name"], s["value"]) for s in scores["scores"]] == [("refusal", 0.0)]


def test_offline_run_errors_are_reported_by_the_cli(heron: Heron) -> None:
    result = CliRunner().invoke(
        eval_group,
        [
            "run",
            "--rule",
            "no-such-rule",
            "--from",
            "now-1h",
            "--url",
            heron.url,
            "--api-key",
            heron.keys["admin"],
        ],
    )
    assert result.exit_code != 0
    assert "404" in result.output


def test_dataset_experiment_compares_two_models(
    heron: Heron, fp: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_ANTHROPIC_KEY", "test-key")
    monkeypatch.setenv("FAKE_OPENAI_KEY", "test-key")
    # Judge calls carry a response_format; generator calls get the fake's echo.
    fp.add_rule(
        Reply.json(QUALITY).with_usage(200, 30), match=lambda r: "response_format" in r.body
    )
    jsonl = "\n".join(
        json.dumps({"input": {"question": f"Q{i}?"}, "expected": f"A{i}", "metadata": {"n": i}})
        for i in range(3)
    )
    with heron.client() as admin, heron.client("b_admin") as other:
        made = admin.post(
            "/api/v1/datasets",
            params={"name": "capitals"},
            content=jsonl,
            headers={"Content-Type": "application/x-ndjson"},
        )
        assert made.status_code == 201, made.text
        dataset = made.json()
        assert dataset["item_count"] == 3
        got = admin.get(f"/api/v1/datasets/{dataset['id']}").json()
        assert got["items"][2] == {
            "input": {"question": "Q2?"},
            "expected": "A2",
            "metadata": {"n": 2},
        }
        assert other.get(f"/api/v1/datasets/{dataset['id']}").status_code == 404
        bad = admin.post(
            "/api/v1/datasets",
            content='{"expected": 1}',
            headers={"Content-Type": "application/x-ndjson"},
        )
        assert bad.status_code == 400
        spec = {
            "evaluator": "quality",
            "sides": [
                {
                    "label": "oa",
                    "provider": "openai",
                    "model": "gpt-4o-mini",
                    "base_url": fp.base_url_openai,
                    "api_key_env": "FAKE_OPENAI_KEY",
                    "prompt_template": "Answer briefly: {question}",
                },
                {
                    "label": "an",
                    "provider": "anthropic",
                    "model": "claude-3-5-haiku-latest",
                    "base_url": fp.base_url_anthropic,
                    "api_key_env": "FAKE_ANTHROPIC_KEY",
                    "prompt_template": "Please answer: {question}",
                },
            ],
        }
        started = admin.post(f"/api/v1/datasets/{dataset['id']}/experiments", json=spec)
        assert started.status_code == 202, started.text
        path = f"/api/v1/datasets/{dataset['id']}/experiments/{started.json()['id']}"
        done = _wait(lambda: admin.get(path).json(), lambda e: e["status"] in ("done", "error"))
    assert done["status"] == "done", done["error"]
    sides = {s["side"]: s for s in done["summary"]["sides"]}
    assert set(sides) == {"oa", "an"}
    for side in sides.values():
        assert side["count"] == 3
        assert side["mean_score"] == pytest.approx(QUALITY_MEAN)
        assert side["pass_rate"] == 1.0
        assert side["errors"] == 0
        assert side["latency_mean_ms"] > 0
        assert side["eval_cost_usd"] > 0
    first = done["results"][0]
    assert first["expected"] == "A0"
    assert "Answer briefly: Q0?" in first["sides"][0]["output"]  # the fake echoes the prompt
    assert "Please answer: Q0?" in first["sides"][1]["output"]
