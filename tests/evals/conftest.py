"""Fixtures for eval tests: a fake provider, judges pointed at it, span and case builders."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from heron.evals.judges import StructuredJudge, create_judge
from heron.model import Message, Span
from heron.store.meta import MetaStore, open_meta_store
from heron.store.telemetry import ClickHouseTelemetryStore, open_telemetry_store
from heron.testing.fake_provider import FakeProvider

DATA = Path(__file__).parent / "data"
MODELS = {"anthropic": "claude-3-5-haiku-latest", "openai": "gpt-4o-mini"}
_ids = count(1)
_T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

SpanFactory = Callable[..., Span]
JudgeFactory = Callable[..., StructuredJudge]


def build_span(
    input: str | None = None,
    output: str | None = None,
    *,
    kind: str = "llm",
    trace_id: str = "t" * 32,
    offset_s: float = 0.0,
    **fields: Any,
) -> Span:
    """A normalized span with a user message and an assistant answer."""
    n = next(_ids)
    start = _T0 + timedelta(seconds=offset_s)
    inputs: list[Message] = [{"role": "user", "content": input}] if input is not None else []
    outputs: list[Message] = (
        [{"role": "assistant", "content": output}] if output is not None else []
    )
    values: dict[str, Any] = {
        "project_id": "p1",
        "trace_id": trace_id,
        "span_id": f"{n:016x}",
        "name": f"{kind}-{n}",
        "start_time": start,
        "end_time": start + timedelta(seconds=1),
        "kind": kind,
        "input_messages": inputs,
        "output_messages": outputs,
    }
    values.update(fields)
    return Span(**values)


@pytest.fixture
def make_span() -> SpanFactory:
    """Build spans: ``make_span("question", "answer", kind="llm", attributes={...})``."""
    return build_span


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProvider]:
    """One fake provider per test module (reset before each test by ``fp``)."""
    with FakeProvider() as provider:
        yield provider


@pytest.fixture
def fp(fake: FakeProvider) -> FakeProvider:
    fake.reset()
    return fake


@pytest.fixture
def make_judge(fp: FakeProvider) -> Iterator[JudgeFactory]:
    """``make_judge("anthropic" | "openai", timeout_s=..., max_retries=...)`` on the fake."""
    built: list[Any] = []

    def factory(provider: str, **config: Any) -> StructuredJudge:
        config.setdefault("max_retries", 0)
        config.setdefault("timeout_s", 10.0)
        base = fp.base_url_anthropic if provider == "anthropic" else fp.base_url_openai
        judge = create_judge(
            provider, model=MODELS[provider], api_key="test-key", base_url=base, **config
        )
        built.append(judge)
        return judge

    yield factory
    for judge in built:
        judge.close()


def load_cases(name: str) -> list[dict[str, Any]]:
    """The labelled examples of ``data/<name>.jsonl``."""
    lines = (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture
def cases() -> Callable[[str], list[dict[str, Any]]]:
    return load_cases


# -- the eval pipeline: metadata DB on SQLite and PostgreSQL, chDB telemetry ------------


class Clock:
    """A settable clock: ``clock()`` is now; ``clock.advance(seconds)`` moves it forward."""

    def __init__(self, start: datetime = _T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def meta(meta_url: str, tmp_path: Path) -> Iterator[MetaStore]:
    """A migrated metadata store."""
    store = open_meta_store(meta_url, data_dir=tmp_path / "meta", server_secret="test-secret")
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def project(meta: MetaStore) -> str:
    """The id of a project in ``meta``."""
    return meta.ensure_project("evals").id


@pytest.fixture
def telemetry(chdb_dir: Path) -> Iterator[ClickHouseTelemetryStore]:
    """A migrated telemetry store on a database of its own."""
    database = f"e_{uuid.uuid4().hex[:16]}"
    store = open_telemetry_store(f"chdb://{chdb_dir}", database=database)
    store.migrate()
    yield store
    store.command(f"DROP DATABASE IF EXISTS `{database}`")
    store.close()
