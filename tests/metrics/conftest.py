"""Synthetic LLM spans and a fresh registry per test."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from heron.metrics import LlmMetrics
from heron.model import Span

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)

SpanFactory = Callable[..., Span]


def make_span(*, duration_s: float = 1.0, cost: str | None = None, **fields: Any) -> Span:
    """An LLM span with sensible defaults; any Span field can be overridden."""
    n = next(_ids)
    defaults: dict[str, Any] = {
        "project_id": "proj",
        "trace_id": f"{n:032x}",
        "span_id": f"{n:016x}",
        "name": "chat gpt-4o",
        "kind": "llm",
        "provider": "openai",
        "model": "gpt-4o",
        "operation": "chat",
    }
    defaults.update(fields)
    start = defaults.pop("start_time", T0)
    return Span(
        start_time=start,
        end_time=start + timedelta(seconds=duration_s),
        cost_usd=Decimal(cost) if cost is not None else None,
        **defaults,
    )


@pytest.fixture
def span() -> SpanFactory:
    """The span factory."""
    return make_span


@pytest.fixture
def registry() -> CollectorRegistry:
    """A fresh registry (never the global one)."""
    return CollectorRegistry()


class FakeClock:
    """A monotonic clock the test advances by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    """A hand-driven monotonic clock."""
    return FakeClock()


@pytest.fixture
def metrics(registry: CollectorRegistry, clock: FakeClock) -> LlmMetrics:
    """LlmMetrics on a fresh registry with a fake clock."""
    return LlmMetrics(registry, clock=clock)


@pytest.fixture(scope="session")
def promtool() -> str:
    """Path of Debian's promtool (installed by scripts/services.sh)."""
    path = shutil.which("promtool")
    assert path, "promtool not found: install Debian's prometheus (scripts/services.sh)"
    return path
