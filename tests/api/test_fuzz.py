"""Fuzzing: schemathesis over the REST API's OpenAPI document, hypothesis over OTLP bodies.

Projects A and B both hold data; every generated request is sent with A's
admin key, and no answer may be a 500 or contain one of B's ids. Generated
OTLP bodies (random bytes, random JSON, structurally valid protobuf with
random content) must only ever get 200/400/413/415/429.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from heron.app import create_app
from heron.config import Settings
from heron.model import Span
from heron.store.meta import open_meta_store

OTLP_OK = {200, 400, 413, 415, 429}
MAX_BODY = 64 * 1024


@dataclass
class Tenants:
    """The app, A's admin key, and B's ids that A must never see."""

    app: FastAPI
    client: TestClient
    key_a: str
    ids_b: list[str]


def _span(project: str, trace_id: str, span_id: str, tag: str) -> Span:
    start = datetime.now(UTC) - timedelta(hours=1)
    return Span(
        project_id=project,
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=None,
        name=f"chat-{tag}",
        start_time=start,
        end_time=start + timedelta(seconds=1),
        kind="llm",
        model=f"model-{tag}",
        session_id=f"session-{tag}",
        user_id=f"user-{tag}",
        prompt_template_hash=f"tmpl-{tag}",
        input_value=f"secret input of {tag}",
    )


@pytest.fixture(scope="module")
def tenants(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenants]:
    base: Path = tmp_path_factory.mktemp("fuzz")
    chdb = tmp_path_factory.getbasetemp() / "chdb"
    config = Settings(
        data_dir=base,
        store_url=f"chdb://{chdb}?database=f_{uuid.uuid4().hex[:12]}",
        auth_required=True,
        grpc_port=0,
        wal_sync=False,
        max_body_bytes=MAX_BODY,
    )
    base.mkdir(parents=True, exist_ok=True)
    meta = open_meta_store(config.resolved_meta_url)
    meta.migrate()
    a, b = meta.ensure_project("alpha"), meta.ensure_project("beta")
    key_a = meta.create_key(a.id, "admin", "fuzz")[1]
    meta.close()
    app = create_app(config)
    trace_b, span_b = "b7" * 16, "b8" * 8
    with TestClient(app) as client:
        app.state.heron.store.insert_spans(
            [_span(a.id, "a7" * 16, "a8" * 8, "alpha-x"), _span(b.id, trace_b, span_b, "beta-x")]
        )
        ids_b = [
            b.id,
            trace_b,
            span_b,
            "session-beta-x",
            "user-beta-x",
            "tmpl-beta-x",
            "secret input of beta-x",
            "model-beta-x",
        ]
        yield Tenants(app, client, key_a, ids_b)


def _operations(app: FastAPI) -> list[Any]:
    # Loaded from the document and sent through the module's TestClient: an ASGI
    # loader would run the app's lifespan a second time. (schemathesis' own pytest
    # plugin does not run under pytest 9, so its strategies drive hypothesis directly.)
    schema = schemathesis.openapi.from_dict(app.openapi())
    return [
        result.ok()
        for result in schema.get_all_operations()
        if not result.ok().path.startswith("/v1/")
    ]


def test_rest_api_never_fails_and_never_leaks_another_project(tenants: Tenants) -> None:
    operations = _operations(tenants.app)
    assert len(operations) >= 10
    headers = {"Authorization": f"Bearer {tenants.key_a}"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
            kwargs.pop("cookies", None)  # the API takes no cookie parameters
            response = tenants.client.request(**kwargs)
            where = (case.method, case.formatted_path, case.query)
            assert response.status_code < 500, (*where, response.text[:300])
            leaked = [i for i in tenants.ids_b if i in response.text]
            assert not leaked, (*where, leaked)

        check()


def _array(items: list[AnyValue]) -> AnyValue:
    value = AnyValue()
    value.array_value.values.extend(items)
    return value


any_values = st.recursive(
    st.one_of(
        st.text(max_size=50).map(lambda s: AnyValue(string_value=s)),
        st.integers(-(2**63), 2**63 - 1).map(lambda i: AnyValue(int_value=i)),
        st.floats(allow_nan=True).map(lambda f: AnyValue(double_value=f)),
        st.booleans().map(lambda b: AnyValue(bool_value=b)),
        st.binary(max_size=20).map(lambda b: AnyValue(bytes_value=b)),
    ),
    lambda children: st.lists(children, max_size=3).map(_array),
    max_leaves=8,
)


@st.composite
def otlp_requests(draw: st.DrawFn) -> bytes:
    request = ExportTraceServiceRequest()
    for _ in range(draw(st.integers(0, 2))):
        scope = request.resource_spans.add().scope_spans.add()
        for _ in range(draw(st.integers(0, 3))):
            span = scope.spans.add()
            span.trace_id = draw(st.sampled_from([b"", b"\0" * 16, b"\1" * 16, b"\2" * 5]))
            span.span_id = draw(st.sampled_from([b"", b"\0" * 8, b"\3" * 8]))
            span.name = draw(st.text(max_size=20))
            span.start_time_unix_nano = draw(st.integers(0, 2**64 - 1))
            span.end_time_unix_nano = draw(st.integers(0, 2**64 - 1))
            span.kind = draw(st.integers(0, 5))  # type: ignore[assignment]
            for key in draw(st.lists(st.text(max_size=30), max_size=4)):
                attribute = span.attributes.add()
                attribute.key = key
                attribute.value.CopyFrom(draw(any_values))
    return request.SerializeToString()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)

bodies = st.one_of(
    st.tuples(otlp_requests(), st.just("application/x-protobuf")),
    st.tuples(
        st.binary(max_size=300),
        st.sampled_from(["application/x-protobuf", "application/json", "text/plain", ""]),
    ),
    st.tuples(
        st.fixed_dictionaries({"resourceSpans": json_values}).map(lambda d: json.dumps(d).encode()),
        st.just("application/json"),
    ),
    st.tuples(
        st.binary(min_size=MAX_BODY + 1, max_size=MAX_BODY + 2), st.just("application/x-protobuf")
    ),
)


@given(body=bodies)
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
def test_otlp_bodies_get_only_spec_answers(tenants: Tenants, body: tuple[bytes, str]) -> None:
    content, content_type = body
    headers = {"Authorization": f"Bearer {tenants.key_a}"}
    if content_type:
        headers["Content-Type"] = content_type
    response = tenants.client.post("/v1/traces", content=content, headers=headers)
    assert response.status_code in OTLP_OK, (content_type, content[:80], response.text[:300])
