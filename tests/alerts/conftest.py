"""Alert test fixtures: a fake clock, a metric source over in-memory spans, a real HTTP receiver."""

from __future__ import annotations

import json
import math
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from heron.alerts import MetricSource, RuleFilter
from heron.alerts.rule import MetricName
from heron.model import Score, Span
from heron.store.meta import MetaStore, open_meta_store
from heron.store.telemetry import ClickHouseTelemetryStore, open_telemetry_store

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    """A datetime clock advanced by hand; nothing in these tests sleeps."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))  # nearest-rank
    return ordered[rank - 1]


@dataclass
class SpanMetricSource:
    """MetricSource computed directly from heron's own Span/Score objects (test-only)."""

    spans: list[Span] = field(default_factory=list)
    scores: list[Score] = field(default_factory=list)

    def _matches(self, span: Span, flt: RuleFilter) -> bool:
        return (
            (flt.model is None or span.model == flt.model)
            and (flt.provider is None or span.provider == flt.provider)
            and (flt.user_id is None or span.user_id == flt.user_id)
            and (flt.tag is None or flt.tag in span.tags)
            and (flt.prompt_template_hash is None
                 or span.prompt_template_hash == flt.prompt_template_hash)
        )  # fmt: skip

    def value(
        self, project_id: str, metric: MetricName, filter: RuleFilter, window: timedelta,
        now: datetime,
    ) -> float | None:  # fmt: skip
        start = now - window
        calls = [
            s for s in self.spans
            if s.project_id == project_id and s.is_llm and s.duplicate_of is None
            and start <= s.start_time < now and self._matches(s, filter)
        ]  # fmt: skip
        if metric in ("avg_eval_score", "hallucination_rate"):
            ids = {s.span_id for s in calls}
            scores = [
                sc for sc in self.scores
                if sc.project_id == project_id and start <= sc.created_at < now
                and sc.value is not None and (filter == RuleFilter() or sc.span_id in ids)
            ]  # fmt: skip
            if metric == "hallucination_rate":
                scores = [sc for sc in scores if sc.name == "hallucination"]
                if not scores:
                    return None
                return sum(1 for sc in scores if (sc.value or 0) >= 0.5) / len(scores)
            scores = [sc for sc in scores if sc.name != "hallucination"]
            if not scores:
                return None
            return sum(sc.value or 0.0 for sc in scores) / len(scores)
        if not calls:
            return None
        hours = window.total_seconds() / 3600
        if metric == "p95_latency":
            return _percentile([s.duration_ms / 1000 for s in calls], 0.95)
        if metric == "p99_latency":
            return _percentile([s.duration_ms / 1000 for s in calls], 0.99)
        if metric == "ttft_p95":
            ttfts = [s.ttft_ms / 1000 for s in calls if s.ttft_ms is not None]
            return _percentile(ttfts, 0.95) if ttfts else None
        if metric == "error_rate":
            return sum(1 for s in calls if s.status == "error") / len(calls)
        if metric == "cost_per_hour":
            return float(sum((s.cost_usd or Decimal(0)) for s in calls)) / hours
        if metric == "tokens_per_hour":
            return sum(s.total_tokens for s in calls) / hours
        if metric == "request_rate":
            return len(calls) / (window.total_seconds() / 60)
        raise AssertionError(f"unknown metric {metric}")


def llm_span(at: datetime, *, n: int, duration_s: float = 1.0, **fields: Any) -> Span:
    """An LLM span starting at ``at``."""
    defaults: dict[str, Any] = {"project_id": "proj", "model": "gpt-4o", "provider": "openai",
                                "kind": "llm"}  # fmt: skip
    defaults.update(fields)
    cost = defaults.pop("cost", None)
    return Span(trace_id=f"{n:032x}", span_id=f"{n:016x}", name="chat",
                start_time=at, end_time=at + timedelta(seconds=duration_s),
                cost_usd=Decimal(str(cost)) if cost is not None else None,
                **defaults)  # fmt: skip


@pytest.fixture
def source() -> SpanMetricSource:
    return SpanMetricSource()


def _is_metric_source(x: MetricSource) -> MetricSource:
    return x


_is_metric_source(SpanMetricSource())  # the test source satisfies the protocol (mypy-checked)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A real HTTP server on 127.0.0.1 that records requests and can fail on purpose."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.fail_first = 0
        self.always_fail = False
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                failing = receiver.always_fail or len(receiver.requests) <= receiver.fail_first
                self.send_response(503 if failing else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"no" if failing else b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()
        r.thread.join(timeout=5)


# -- real stores: embedded chDB (one directory per process) and both metadata engines --


@pytest.fixture
def telemetry(chdb_dir: Path) -> Iterator[ClickHouseTelemetryStore]:
    """A migrated telemetry store on a database of its own, dropped afterwards."""
    database = f"t_{uuid.uuid4().hex[:16]}"
    store = open_telemetry_store(f"chdb://{chdb_dir}", database=database)
    store.migrate()
    yield store
    store.command(f"DROP DATABASE IF EXISTS `{database}`")
    store.close()


@pytest.fixture
def meta(meta_url: str, tmp_path: Path) -> Iterator[MetaStore]:
    """A migrated metadata store."""
    store = open_meta_store(meta_url, data_dir=tmp_path / "data", server_secret="x" * 40)
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def project_id(meta: MetaStore) -> str:
    """The id of a project in ``meta``."""
    return meta.ensure_project("alerts-test").id
