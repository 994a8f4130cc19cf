"""Every route x every kind of caller: no key, a revoked key, another project's key, each role.

Routes are read from the app's OpenAPI document, so a new route is covered
the moment it exists: it must be classified in ``ACTIONS`` (or be a GET, which
defaults to ``read``) and have example parameters in ``PATH_VALUES`` /
``BODIES``, or this test fails and says so. OTLP/HTTP and OTLP/gRPC are checked
too. Expected answers follow the role table: ingest writes only, read reads
only, admin does everything in its own project; another project's ids answer
404, exactly like ids that do not exist.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from heron.alerts import AlertRule
from heron.app import create_app
from heron.auth import ALLOWED_ACTIONS
from heron.config import Settings
from heron.model import Span
from heron.store.meta import ROLES, open_meta_store
from heron.testing.server import free_port

PUBLIC = {"/healthz", "/readyz"}
OTLP = {"/v1/traces", "/v1/logs"}  # need OTLP bodies: covered by the OTLP tests below
# Routes whose action is not the default (GET -> read). Anything else unlisted fails.
ACTIONS: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/scores"): "ingest",
    ("POST", "/api/v1/keys"): "admin",
    ("GET", "/api/v1/keys"): "admin",
    ("DELETE", "/api/v1/keys/{key_id}"): "admin",
    ("PATCH", "/api/v1/projects/{project_id}"): "admin",
    ("POST", "/api/v1/alerts/rules"): "admin",
    ("PUT", "/api/v1/alerts/rules/{rule_id}"): "admin",
    ("DELETE", "/api/v1/alerts/rules/{rule_id}"): "admin",
    ("POST", "/api/v1/evals/rules"): "admin",
    ("PUT", "/api/v1/evals/rules/{rule_id}"): "admin",
    ("DELETE", "/api/v1/evals/rules/{rule_id}"): "admin",
    ("POST", "/api/v1/evals/runs"): "admin",
    ("POST", "/api/v1/datasets"): "admin",
    ("POST", "/api/v1/datasets/{dataset_id}/experiments"): "admin",
}
CALLERS = ("none", "revoked", "other_project", *ROLES)


@dataclass
class World:
    """The running app and the ids and keys of projects A and B."""

    client: TestClient
    app: FastAPI
    grpc_port: int
    project_a: str
    project_b: str
    keys: dict[str, str]
    ids_a: dict[str, str] = field(default_factory=dict)
    ids_b: dict[str, str] = field(default_factory=dict)
    settings: Settings | None = None

    def new_key_a(self) -> str:
        """A disposable key id of project A (for DELETE /keys/{key_id})."""
        assert self.settings is not None
        meta = open_meta_store(self.settings.resolved_meta_url)
        try:
            key, _ = meta.create_key(self.project_a, "read", "disposable")
        finally:
            meta.close()
        return key.id

    def _admin_post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.keys['admin']}"}
        response = self.client.post(path, json=body, headers=headers)
        assert response.status_code in (201, 202), (path, response.text)
        result: dict[str, Any] = response.json()
        return result

    def new_eval_rule_a(self) -> str:
        """A disposable eval rule id of project A (for /evals/rules/{rule_id})."""
        made = self._admin_post("/api/v1/evals/rules", {"name": "m", "evaluator": "pii"})
        return str(made["id"])

    def eval_objects_a(self) -> dict[str, str]:
        """A run, a dataset and an experiment of project A (made once, never deleted)."""
        if "run_id" not in self.ids_a:
            run = self._admin_post("/api/v1/evals/runs", {"evaluator": "pii", "since": "1h"})
            dataset = self._admin_post("/api/v1/datasets", {"name": "m", "items": [{"input": "q"}]})
            experiment = self._admin_post(
                f"/api/v1/datasets/{dataset['id']}/experiments",
                {
                    "evaluator": "pii",
                    "sides": [{"model": "m", "base_url": "http://127.0.0.1:9/v1"}],
                },
            )
            self.ids_a.update(
                run_id=str(run["id"]),
                dataset_id=str(dataset["id"]),
                experiment_id=str(experiment["id"]),
            )
        return self.ids_a

    def new_rule_a(self) -> str:
        """A disposable alert rule id of project A (for /alerts/rules/{rule_id})."""
        rule = AlertRule(
            id=f"matrix-{uuid.uuid4().hex[:8]}",
            project_id=self.project_a,
            name="matrix",
            metric="error_rate",
            threshold=0.5,
        )
        self.app.state.heron.extras["alerts"].create_rule(rule)
        return rule.id


def _span(project: str, trace_id: str, span_id: str, session: str, user: str, tmpl: str) -> Span:
    start = datetime.now(UTC) - timedelta(hours=1)
    return Span(
        project_id=project,
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=None,
        name="chat",
        start_time=start,
        end_time=start + timedelta(seconds=1),
        kind="llm",
        model="gpt-4o",
        input_tokens=10,
        output_tokens=5,
        total_tokens=15,
        session_id=session,
        user_id=user,
        prompt_template=f"Answer {{question}} ({tmpl})",
        prompt_template_hash=tmpl,
    )


def build_world(base: Path, chdb_dir: Path) -> tuple[Settings, dict[str, Any]]:
    """Settings for an auth-on app plus projects A/B and their keys, created beforehand."""
    settings = Settings(
        data_dir=base,
        store_url=f"chdb://{chdb_dir}?database=m_{uuid.uuid4().hex[:12]}",
        auth_required=True,
        grpc_port=free_port(),
        wal_sync=False,
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    meta = open_meta_store(settings.resolved_meta_url)
    meta.migrate()
    a = meta.ensure_project("alpha")
    b = meta.ensure_project("beta")
    keys = {role: meta.create_key(a.id, role, role)[1] for role in ROLES}
    revoked, keys["revoked"] = meta.create_key(a.id, "admin", "revoked")
    meta.revoke_key(revoked.id, a.id)
    keys["other_project"] = meta.create_key(b.id, "admin", "b-admin")[1]
    keys["b_read"] = meta.create_key(b.id, "read", "b-read")[1]
    meta.close()
    return settings, {"a": a.id, "b": b.id, "keys": keys}


def _ensure_security_routes(app: FastAPI) -> None:
    # The composition root must include the admin routes (login is tested by its page).
    assert "/api/v1/keys" in app.openapi()["paths"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings, made = build_world(
        tmp_path_factory.mktemp("matrix"), tmp_path_factory.getbasetemp() / "chdb"
    )
    app = create_app(settings)
    _ensure_security_routes(app)
    ids_a = {
        "trace_id": "a1" * 16,
        "span_id": "a2" * 8,
        "session_id": "sess-a",
        "user_id": "user-a",
        "template_hash": "tmpl-a",
    }
    ids_b = {
        "trace_id": "b1" * 16,
        "span_id": "b2" * 8,
        "session_id": "sess-b",
        "user_id": "user-b",
        "template_hash": "tmpl-b",
    }
    with TestClient(app) as client:
        store = app.state.heron.store
        store.insert_spans(
            [
                _span(
                    made["a"],
                    *(
                        ids_a[k]
                        for k in ("trace_id", "span_id", "session_id", "user_id", "template_hash")
                    ),
                ),
                _span(
                    made["b"],
                    *(
                        ids_b[k]
                        for k in ("trace_id", "span_id", "session_id", "user_id", "template_hash")
                    ),
                ),
            ]
        )
        yield World(
            client,
            app,
            settings.grpc_port,
            made["a"],
            made["b"],
            made["keys"],
            {**ids_a, "project_id": made["a"]},
            {**ids_b, "project_id": made["b"]},
            settings,
        )


def _operations(app: FastAPI) -> list[tuple[str, str]]:
    schema = app.openapi()
    return sorted(
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"} and path not in OTLP
    )


def _action(method: str, path: str) -> str:
    if path in PUBLIC:
        return "public"
    if (method, path) in ACTIONS:
        return ACTIONS[(method, path)]
    if method == "GET":
        return "read"
    raise AssertionError(f"classify {method} {path} in ACTIONS (ingest, read or admin)")


def _request_for(world: World, method: str, path: str) -> tuple[str, dict[str, Any]]:
    if "{rule_id}" in path:
        rule_id = world.new_rule_a() if "/alerts/" in path else world.new_eval_rule_a()
    else:
        rule_id = ""
    ids = world.eval_objects_a() if re.search(r"{(run|dataset|experiment)_id}", path) else {}
    values = {
        **world.ids_a,
        **ids,
        "key_id": world.new_key_a() if "{key_id}" in path else "",
        "rule_id": rule_id,
    }
    missing = [n for n in re.findall(r"{(\w+)}", path) if n not in values]
    assert not missing, f"add example values for {missing} of {method} {path} to World.ids_a"
    url = path.format(**values)
    kwargs: dict[str, Any] = {}
    operation = world.app.openapi()["paths"][path][method.lower()]
    required = [
        p["name"]
        for p in operation.get("parameters", [])
        if p.get("in") == "query" and p.get("required")
    ]
    query_values = {"a": world.ids_a["template_hash"], "trace_id": world.ids_a["trace_id"]}
    unknown = [name for name in required if name not in query_values]
    assert not unknown, f"add example query values for {unknown} of {method} {path}"
    params = {name: query_values[name] for name in required}
    if (method, path) == ("GET", "/api/v1/scores"):  # one of trace_id/span_id is required
        params["trace_id"] = world.ids_a["trace_id"]
    if (method, path) == ("GET", "/api/v1/prompts/compare"):  # b, b_version or split_at
        params["b"] = world.ids_a["template_hash"]
    if params:
        kwargs["params"] = params
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/api/v1/scores"): {"trace_id": world.ids_a["trace_id"], "name": "m", "value": 1},
        ("POST", "/api/v1/keys"): {"role": "read", "name": "made-by-matrix"},
        ("PATCH", "/api/v1/projects/{project_id}"): {"capture_content": True},
        ("POST", "/api/v1/alerts/rules"): {
            "id": f"made-{uuid.uuid4().hex[:8]}",
            "name": "m",
            "metric": "error_rate",
            "threshold": 0.5,
        },
        ("PUT", "/api/v1/alerts/rules/{rule_id}"): {
            "name": "m",
            "metric": "error_rate",
            "threshold": 0.4,
        },
        ("POST", "/api/v1/evals/rules"): {"name": "m", "evaluator": "pii"},
        ("PUT", "/api/v1/evals/rules/{rule_id}"): {"name": "m", "evaluator": "pii"},
        ("POST", "/api/v1/evals/runs"): {"evaluator": "pii", "since": "1h"},
        ("POST", "/api/v1/datasets"): {"name": "m", "items": [{"input": "q"}]},
        ("POST", "/api/v1/datasets/{dataset_id}/experiments"): {
            "evaluator": "pii",
            "sides": [{"model": "m", "base_url": "http://127.0.0.1:9/v1"}],
        },
    }
    if method in {"POST", "PUT", "PATCH"}:
        assert (method, path) in bodies, f"add an example body for {method} {path}"
        kwargs["json"] = bodies[(method, path)]
    return url, kwargs


def _expected(action: str, caller: str, path: str) -> set[int] | str:
    if action == "public":
        return {200}
    if caller in ("none", "revoked"):
        return {401}
    if caller == "other_project":
        # Ids of project A: 404 like a missing id (the project route must say exactly
        # that), or an empty 2xx answer; the caller below checks nothing of A leaks.
        if path == "/api/v1/projects/{project_id}" or re.search(
            r"{(key|rule|run|dataset|experiment)_id}", path
        ):
            return {404}
        return "2xx|404" if "{" in path else "2xx"
    if action in ALLOWED_ACTIONS[caller]:  # type: ignore[index]
        return "2xx"
    return {403}


def test_every_rest_route_answers_per_the_role_table(world: World) -> None:
    operations = _operations(world.app)
    assert ("GET", "/api/v1/traces") in operations
    assert ("POST", "/api/v1/keys") in operations
    failures = []
    for method, path in operations:
        action = _action(method, path)
        for caller in CALLERS:
            url, kwargs = _request_for(world, method, path)
            headers = {} if caller == "none" else {"Authorization": f"Bearer {world.keys[caller]}"}
            response = world.client.request(method, url, headers=headers, **kwargs)
            expected = _expected(action, caller, path)
            if expected == "2xx":
                ok = 200 <= response.status_code < 300
            elif expected == "2xx|404":
                ok = 200 <= response.status_code < 300 or response.status_code == 404
            else:
                ok = response.status_code in expected
            if ok and caller == "other_project" and method == "GET" and response.status_code < 300:
                # Another project's reads must not contain any of A's ids (beyond
                # those the caller itself put in the URL, which a route may echo).
                sent = str(response.request.url)
                leaked = [v for v in world.ids_a.values() if v in response.text and v not in sent]
                ok = not leaked
            if not ok:
                failures.append(
                    f"{method} {path} as {caller}: {response.status_code} "
                    f"(expected {expected}) {response.text[:200]}"
                )
    assert not failures, "\n".join(failures)


def test_project_of_another_tenant_is_indistinguishable_from_a_missing_one(world: World) -> None:
    headers = {"Authorization": f"Bearer {world.keys['admin']}"}
    other = world.client.get(f"/api/v1/projects/{world.project_b}", headers=headers)
    missing = world.client.get(f"/api/v1/projects/{uuid.uuid4().hex}", headers=headers)
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"].replace(world.project_b, "X") == missing.json()["detail"].replace(
        missing.url.path.rsplit("/", 1)[1], "X"
    )


def _otlp_trace_body(trace_id: bytes) -> bytes:
    request = trace_service_pb2.ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = trace_id, b"\x07" * 8, "otlp"
    span.start_time_unix_nano = span.end_time_unix_nano = 1_700_000_000_000_000_000
    return request.SerializeToString()


def _otlp_logs_body() -> bytes:
    request = logs_service_pb2.ExportLogsServiceRequest()
    record = request.resource_logs.add().scope_logs.add().log_records.add()
    record.body.string_value = "hello"
    return request.SerializeToString()


@pytest.mark.parametrize("caller", CALLERS)
def test_otlp_http_routes(world: World, caller: str) -> None:
    headers = {"Content-Type": "application/x-protobuf"}
    if caller != "none":
        headers["Authorization"] = f"Bearer {world.keys[caller]}"
    expected = {"none": 401, "revoked": 401, "read": 403}.get(caller, 200)
    for path, body in (
        ("/v1/traces", _otlp_trace_body(b"\x05" * 16)),
        ("/v1/logs", _otlp_logs_body()),
    ):
        response = world.client.post(path, content=body, headers=headers)
        assert response.status_code == expected, (path, caller, response.text[:200])


@pytest.mark.parametrize("caller", CALLERS)
def test_otlp_grpc(world: World, caller: str) -> None:
    metadata = () if caller == "none" else (("authorization", f"Bearer {world.keys[caller]}"),)
    expected = {
        "none": grpc.StatusCode.UNAUTHENTICATED,
        "revoked": grpc.StatusCode.UNAUTHENTICATED,
        "read": grpc.StatusCode.PERMISSION_DENIED,
    }.get(caller, grpc.StatusCode.OK)
    with grpc.insecure_channel(f"127.0.0.1:{world.grpc_port}") as channel:
        traces = trace_service_pb2_grpc.TraceServiceStub(channel)
        logs = logs_service_pb2_grpc.LogsServiceStub(channel)
        calls = (
            lambda: traces.Export(
                trace_service_pb2.ExportTraceServiceRequest.FromString(
                    _otlp_trace_body(b"\x06" * 16)
                ),
                metadata=metadata,
                timeout=10,
            ),
            lambda: logs.Export(
                logs_service_pb2.ExportLogsServiceRequest.FromString(_otlp_logs_body()),
                metadata=metadata,
                timeout=10,
            ),
        )
        for call in calls:
            try:
                call()
                code = grpc.StatusCode.OK
            except grpc.RpcError as exc:
                code = exc.code()
            assert code == expected, caller


def test_admin_key_lifecycle_shows_the_secret_once(world: World) -> None:
    headers = {"Authorization": f"Bearer {world.keys['admin']}"}
    created = world.client.post(
        "/api/v1/keys", json={"role": "ingest", "name": "ci"}, headers=headers
    )
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("heron_i_")
    listed = world.client.get("/api/v1/keys", headers=headers)
    assert secret not in listed.text
    assert "secret" not in listed.json()["keys"][0]
    assert created.json()["id"] in {k["id"] for k in listed.json()["keys"]}
    assert all(k["project_id"] == world.project_a for k in listed.json()["keys"])
    ingest = {"Authorization": f"Bearer {secret}", "Content-Type": "application/x-protobuf"}
    assert (
        world.client.post(
            "/v1/traces", content=_otlp_trace_body(b"\x08" * 16), headers=ingest
        ).status_code
        == 200
    )
    revoked = world.client.delete(f"/api/v1/keys/{created.json()['id']}", headers=headers)
    assert revoked.status_code == 200
    assert revoked.json()["active"] is False
    assert (
        world.client.post(
            "/v1/traces", content=_otlp_trace_body(b"\x09" * 16), headers=ingest
        ).status_code
        == 401
    )
    # B's admin cannot revoke A's key, and learns nothing from the answer.
    b_headers = {"Authorization": f"Bearer {world.keys['other_project']}"}
    assert (
        world.client.delete(f"/api/v1/keys/{world.new_key_a()}", headers=b_headers).status_code
        == 404
    )


def test_admin_patches_project_settings_and_sees_oldest_data(world: World) -> None:
    headers = {"Authorization": f"Bearer {world.keys['admin']}"}
    url = f"/api/v1/projects/{world.project_a}"
    before = world.client.get(url, headers={"Authorization": f"Bearer {world.keys['read']}"})
    assert before.status_code == 200
    assert before.json()["oldest_data"] is not None  # the seeded span
    patched = world.client.patch(
        url,
        headers=headers,
        json={
            "retention_days": 7,
            "redaction": {"pii": {"ip": False}, "patterns": [{"name": "emp", "regex": "EMP-\\d+"}]},
        },
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["retention_days"] == 7
    assert body["capture_content"] is True
    assert body["effective_redaction"]["pii"]["ip"] is False
    assert body["effective_redaction"]["patterns"] == [{"name": "emp", "regex": "EMP-\\d+"}]
    assert "ingested after" in body["retention_note"]
    bad = world.client.patch(
        url, headers=headers, json={"redaction": {"patterns": [{"name": "x", "regex": "("}]}}
    )
    assert bad.status_code == 400
    assert "regular expression" in bad.json()["detail"]
    assert world.client.patch(url, headers=headers, json={"retention_days": 0}).status_code == 422
    forever = world.client.patch(url, headers=headers, json={"retention_days": None})
    assert forever.json()["retention_days"] is None
    assert (
        world.client.get(url, headers=headers).json()["effective_redaction"]["pii"]["ip"] is False
    )
