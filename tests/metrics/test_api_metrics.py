"""GET /metrics through the FastAPI router: authorization and content negotiation."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from heron.api.metrics import metrics_router
from heron.metrics import LlmMetrics

from .conftest import SpanFactory


def _client(metrics: LlmMetrics, seen: list[str]) -> TestClient:
    async def authorize(request: Request) -> None:
        token = request.headers.get("authorization", "")
        seen.append(token)
        if token != "Bearer good":
            raise HTTPException(status_code=401, detail="bad key")

    app = FastAPI()
    app.include_router(metrics_router(metrics, authorize))
    return TestClient(app)


def test_scrape_needs_authorization_and_negotiates_format(
    registry: CollectorRegistry, span: SpanFactory
) -> None:
    metrics = LlmMetrics(registry)
    metrics.observe_spans([span()])
    seen: list[str] = []
    with _client(metrics, seen) as client:
        assert client.get("/metrics").status_code == 401
        text = client.get("/metrics", headers={"Authorization": "Bearer good"})
        assert text.status_code == 200
        assert text.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert 'llm_requests_total{model="gpt-4o"' in text.text
        om = client.get("/metrics", headers={"Authorization": "Bearer good",
                                             "Accept": "application/openmetrics-text"})  # fmt: skip
        assert om.headers["content-type"].startswith("application/openmetrics-text")
        assert om.text.endswith("# EOF\n")
    assert seen == ["", "Bearer good", "Bearer good"]
