"""The alerts REST API through the real composed app (TestClient), with API keys."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from heron.alerts.persistence import MetaAlertStore
from heron.alerts.service import AlertService
from heron.app import create_app
from heron.config import Settings
from heron.store.meta import open_meta_store
from heron.testing.server import free_port

from .conftest import llm_span


@dataclass
class Api:
    client: TestClient
    keys: dict[str, str]
    project_a: str
    project_b: str
    service: AlertService
    app: FastAPI

    def call(self, method: str, path: str, key: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.keys[key]}"}
        return self.client.request(method, path, headers=headers, **kw)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    base = tmp_path_factory.mktemp("alerts-api")
    chdb_dir = tmp_path_factory.getbasetemp() / "chdb"
    settings = Settings(
        data_dir=base / "data", store_url=f"chdb://{chdb_dir}?database=al_{uuid.uuid4().hex[:12]}",
        auth_required=True, grpc_port=free_port(), wal_sync=False, alert_interval_s=3600,
    )  # fmt: skip
    settings.data_dir.mkdir(parents=True)
    meta = open_meta_store(settings.resolved_meta_url)
    meta.migrate()
    a, b = meta.ensure_project("alpha").id, meta.ensure_project("beta").id
    keys = {role: meta.create_key(a, role, role)[1] for role in ("read", "admin", "ingest")}
    keys["b_admin"] = meta.create_key(b, "admin", "b")[1]
    meta.close()
    app = create_app(settings)
    (service,) = [s for s in app.state.components.background if isinstance(s, AlertService)]
    with TestClient(app) as client:
        yield Api(client, keys, a, b, service, app)


def rule_body(**kw: object) -> dict[str, object]:
    body: dict[str, object] = {"id": "slow-checkout", "name": "Slow checkout",
                               "metric": "p95_latency", "threshold": 8, "window": "5m",
                               "for": "2m", "filter": {"model": "gpt-4o"}}  # fmt: skip
    body.update(kw)
    return body


def test_rules_crud_with_roles_and_projects(api: Api) -> None:
    listed = api.call("GET", "/api/v1/alerts/rules", "read")
    assert listed.status_code == 200
    ids = {r["id"] for r in listed.json()["rules"]}
    assert {"default-p95-latency", "default-cost-spike", "default-error-rate",
            "default-eval-score"} <= ids  # fmt: skip

    assert api.call("POST", "/api/v1/alerts/rules", "read", json=rule_body()).status_code == 403
    created = api.call("POST", "/api/v1/alerts/rules", "admin", json=rule_body())
    assert created.status_code == 201, created.text
    assert created.json()["for"] == "2m"
    assert created.json()["unit"] == "s"
    assert api.call("POST", "/api/v1/alerts/rules", "admin", json=rule_body()).status_code == 400

    bad = api.call("POST", "/api/v1/alerts/rules", "admin", json=rule_body(id="x", metric="nope"))
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["metric"]

    got = api.call("GET", "/api/v1/alerts/rules/slow-checkout", "read").json()
    assert got["filter"] == {"model": "gpt-4o"}
    assert got["threshold"] == 8
    updated = api.call("PUT", "/api/v1/alerts/rules/slow-checkout", "admin",
                       json=rule_body(id=None, threshold=12) | {"id": "slow-checkout"})  # fmt: skip
    assert updated.json()["threshold"] == 12

    # Project B sees none of A's rules: 404 exactly like a missing id.
    for method in ("GET", "DELETE"):
        other = api.call(method, "/api/v1/alerts/rules/slow-checkout", "b_admin")
        assert other.status_code == 404
    put_b = api.call("PUT", "/api/v1/alerts/rules/slow-checkout", "b_admin", json=rule_body())
    assert put_b.status_code == 404
    b_ids = {r["id"] for r in api.call("GET", "/api/v1/alerts/rules", "b_admin").json()["rules"]}
    assert "slow-checkout" not in b_ids

    assert api.call("DELETE", "/api/v1/alerts/rules/slow-checkout", "read").status_code == 403
    assert api.call("DELETE", "/api/v1/alerts/rules/slow-checkout", "admin").status_code == 204
    assert api.call("GET", "/api/v1/alerts/rules/slow-checkout", "read").status_code == 404
    assert api.client.get("/api/v1/alerts/rules").status_code == 401


def test_state_and_events_after_an_evaluation(api: Api) -> None:
    store = api.service.store
    assert isinstance(store, MetaAlertStore)
    # After the startup cycle's claims (interval 1 h) expire: the next cycle is ours.
    now = datetime.now(UTC) + timedelta(hours=1, seconds=1)
    telemetry = api.app.state.heron.store
    telemetry.insert_spans([
        llm_span(now - timedelta(seconds=i + 5), n=9000 + i, project_id=api.project_a,
                 status="error") for i in range(4)
    ])  # fmt: skip
    errs = {"id": "errs", "name": "Errors", "metric": "error_rate", "threshold": 0.5}
    api.call("POST", "/api/v1/alerts/rules", "admin", json=errs)
    api.service.run_once(now)

    states = {
        r["rule_id"]: r for r in api.call("GET", "/api/v1/alerts/state", "read").json()["rules"]
    }
    assert states["errs"]["state"] == "firing"
    assert states["errs"]["value"] == 1.0
    assert states["default-error-rate"]["state"] == "pending"  # for: 2m
    assert states["default-eval-score"]["state"] == "no_data"

    firing = api.call("GET", "/api/v1/alerts/events", "read", params={"state": "firing"}).json()
    assert [e["rule_id"] for e in firing["events"]] == ["errs"]
    assert "FIRING" in firing["events"][0]["message"]
    recent = api.call("GET", "/api/v1/alerts/events", "read", params={"since": "1h"}).json()
    assert len(recent["events"]) >= 3
    future = (now + timedelta(hours=1)).isoformat()
    assert api.call("GET", "/api/v1/alerts/events", "read",
                    params={"since": future}).json()["events"] == []  # fmt: skip
    other = api.call("GET", "/api/v1/alerts/events", "b_admin").json()
    assert other["events"]
    assert {e["project_id"] for e in other["events"]} == {api.project_b}
    assert "errs" not in {e["rule_id"] for e in other["events"]}


def test_the_router_is_installed_with_the_service(api: Api) -> None:
    paths = set(api.app.openapi()["paths"])
    assert {"/api/v1/alerts/rules", "/api/v1/alerts/rules/{rule_id}", "/api/v1/alerts/events",
            "/api/v1/alerts/state"} <= paths  # fmt: skip
    assert api.service.interval == timedelta(hours=1)
