"""Fixtures for analytics tests: the real embedded chDB store, a fresh database per test.

chDB opens one directory per process, so this uses the same session-wide
directory as the other store tests and isolates each test in its own database.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from heron.api.analytics import analytics_router
from heron.api.context import AppContext
from heron.api.errors import install_error_handlers
from heron.auth import Authenticator
from heron.config import Settings
from heron.model import Score, Span, TimeRange
from heron.store.meta import open_meta_store
from heron.store.telemetry import ClickHouseTelemetryStore, open_telemetry_store
from heron.store.telemetry.analytics import TelemetryAnalytics

PROJECT = "proj-analytics"
T0 = datetime(2025, 3, 10, 12, 0, 0, tzinfo=UTC)
WINDOW = TimeRange(T0 - timedelta(hours=12), T0 + timedelta(hours=12))

_ids = itertools.count(1)


def new_id(width: int = 32) -> str:
    """A unique lowercase hex id of ``width`` characters."""
    return f"{next(_ids):0{width}x}"


def llm_span(
    *,
    ms: float = 100.0,
    start: datetime = T0,
    trace_id: str | None = None,
    cost: float | None = None,
    **fields: Any,
) -> Span:
    """An LLM call span with sensible defaults; ``fields`` sets any other Span field."""
    fields.setdefault("kind", "llm")
    fields.setdefault("model", "gpt-4o")
    return Span(
        project_id=fields.pop("project_id", PROJECT),
        trace_id=trace_id or new_id(),
        span_id=new_id(16),
        name="chat",
        start_time=start,
        end_time=start + timedelta(milliseconds=ms),
        cost_usd=Decimal(str(cost)) if cost is not None else None,
        **fields,
    )


def score_for(span: Span, value: float, name: str = "relevance") -> Score:
    """A numeric score on ``span``."""
    return Score(
        score_id=uuid.uuid4().hex,
        project_id=span.project_id,
        trace_id=span.trace_id,
        span_id=span.span_id,
        name=name,
        value=value,
        created_at=span.end_time,
        source="eval",
    )


@pytest.fixture
def store(chdb_dir: Path) -> Iterator[ClickHouseTelemetryStore]:
    """A migrated store on a database of its own, dropped afterwards."""
    database = f"t_{uuid.uuid4().hex[:16]}"
    opened = open_telemetry_store(f"chdb://{chdb_dir}", database=database)
    opened.migrate()
    yield opened
    opened.command(f"DROP DATABASE IF EXISTS `{database}`")
    opened.close()


@pytest.fixture
def analytics(store: ClickHouseTelemetryStore) -> TelemetryAnalytics:
    """The analytics queries over ``store``."""
    return TelemetryAnalytics(store)


MakeSpan = Callable[..., Span]
MakeScore = Callable[..., Score]


@pytest.fixture
def make_span() -> MakeSpan:
    """``make_span(ms=, start=, trace_id=, cost=, **span_fields)``: an LLM call span."""
    return llm_span


@pytest.fixture
def make_score() -> MakeScore:
    """``make_score(span, value, name="relevance")``: a numeric score on a span."""
    return score_for


@pytest.fixture
def window() -> TimeRange:
    """12 h either side of ``t0``: every synthetic span falls inside."""
    return WINDOW


@pytest.fixture
def t0() -> datetime:
    """The reference time synthetic spans start near."""
    return T0


@pytest.fixture
def project() -> str:
    """The project every synthetic span belongs to."""
    return PROJECT


@dataclass
class Traffic:
    """Synthetic traffic whose answers are known, and the spans that produced it."""

    spans: list[Span]
    scores: list[Score]

    def counted(self) -> list[Span]:
        """The spans analytics count: LLM calls that are not duplicates."""
        return [s for s in self.spans if s.is_llm and s.duplicate_of is None]


GOOD, BAD, TINY = "900d0000000000aa", "bad0000000000bbb", "7170000000000ccc"
NORMAL_USERS = ("u1", "u2", "u3", "u4", "u5")
BAD_USER = "u-bad"


def build_traffic() -> Traffic:
    """Template GOOD (fast, few errors, users u1..u5 and u-bad), BAD (slow, 30 % errors),
    TINY (3 failing calls), u-bad with every other call failing, one duplicate span."""
    rng = random.Random(7)
    spans: list[Span] = []
    scores: list[Score] = []
    start = T0 - timedelta(hours=2)

    def at(i: int) -> datetime:
        return start + timedelta(seconds=17 * i)

    i = 0
    for user in (*NORMAL_USERS, BAD_USER):
        for k in range(40):
            i += 1
            failed = (k % 2 == 0) if user == BAD_USER else rng.random() < 0.02
            span = llm_span(
                ms=rng.uniform(80, 120),
                start=at(i),
                user_id=user,
                status="error" if failed else "ok",
                prompt_template="Answer {question}",
                prompt_template_hash=GOOD,
                prompt_template_version="v1",
                prompt_template_variables={"question": f"q{k % 3}", "lang": "en"},
                cost=0.001,
                input_tokens=100,
                output_tokens=20,
                tags=["chat"],
                service_name="api",
                model="gpt-4o",
            )
            spans.append(span)
            scores.append(score_for(span, rng.uniform(0.7, 1.0)))
    for k in range(60):
        i += 1
        span = llm_span(
            ms=rng.uniform(350, 450),
            start=at(i),
            status="error" if k % 10 < 3 else "ok",
            prompt_template="Summarize {doc}",
            prompt_template_hash=BAD,
            prompt_template_variables={"doc": f"d{k}"},
            cost=0.01,
            input_tokens=1000,
            output_tokens=200,
            tags=["summary", "batch"],
            service_name="worker",
            model="claude",
        )
        spans.append(span)
        scores.append(score_for(span, rng.uniform(0.1, 0.4)))
    for _ in range(3):
        i += 1
        spans.append(
            llm_span(
                ms=5000,
                start=at(i),
                status="error",
                prompt_template_hash=TINY,
                cost=0.002,
                model="gpt-4o",
            )
        )
    # The same call seen by a second instrumentation: never counted, never costed.
    dup = spans[-10]
    spans.append(
        llm_span(
            ms=9000,
            start=dup.start_time,
            duplicate_of=dup.span_id,
            prompt_template_hash=BAD,
            status="error",
            cost=50.0,
            model="claude",
            tags=["summary"],
            user_id=BAD_USER,
        )
    )
    # A non-LLM span: never counted.
    spans.append(
        llm_span(
            kind="chain", ms=20000, start=at(1), prompt_template_hash=BAD, cost=None, user_id="u1"
        )
    )
    return Traffic(spans, scores)


@pytest.fixture
def traffic(store: ClickHouseTelemetryStore) -> Traffic:
    """``build_traffic()`` inserted into ``store``."""
    built = build_traffic()
    store.insert_spans(built.spans)
    store.insert_scores(built.scores)
    return built


@pytest.fixture
def client(
    store: ClickHouseTelemetryStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """A minimal app with the analytics router over the real store (auth off)."""
    monkeypatch.delenv("HERON_SECRET_KEY", raising=False)
    meta = open_meta_store(f"sqlite:///{tmp_path / 'meta.db'}")
    meta.migrate()
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(analytics_router())
    app.state.heron = AppContext(
        settings=Settings(data_dir=tmp_path),
        store=store,
        meta=meta,
        authenticator=Authenticator(meta, auth_required=False, default_project_id=PROJECT),
        extras={"analytics": TelemetryAnalytics(store)},
    )
    with TestClient(app) as test_client:
        yield test_client
    meta.close()
