"""Fixtures for the telemetry store tests: real embedded chDB, a fresh database per test.

chDB opens one directory per process, so one session-wide directory holds every
test's database.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from heron.model import Span, TimeRange
from heron.store.telemetry import ClickHouseTelemetryStore, open_telemetry_store

T0 = datetime(2025, 3, 10, 12, 0, 0, tzinfo=UTC)
WINDOW = TimeRange(T0 - timedelta(hours=6), T0 + timedelta(hours=6))

_ids = itertools.count(1)


def _new_id(prefix: str) -> str:
    """A unique hex-looking id for this test process."""
    return f"{prefix}{next(_ids):012x}"


def _make_span(
    trace_id: str,
    *,
    project_id: str = "proj-a",
    span_id: str | None = None,
    parent: str | None = None,
    start: datetime = T0,
    ms: float = 100.0,
    name: str = "span",
    **fields: Any,
) -> Span:
    """A span with sensible defaults; ``fields`` sets any other Span field."""
    return Span(
        project_id=project_id,
        trace_id=trace_id,
        span_id=span_id or _new_id("s"),
        parent_span_id=parent,
        name=name,
        start_time=start,
        end_time=start + timedelta(milliseconds=ms),
        **fields,
    )


MakeSpan = Callable[..., Span]


@pytest.fixture
def make_span() -> MakeSpan:
    """``make_span(trace_id, *, span_id=, parent=, start=, ms=, name=, **fields)``."""
    return _make_span


@pytest.fixture
def new_id() -> Callable[[str], str]:
    """``new_id(prefix)``: a unique id for this test process."""
    return _new_id


@pytest.fixture
def t0() -> datetime:
    """The reference time every synthetic span starts near."""
    return T0


@pytest.fixture
def window() -> TimeRange:
    """A range of 6 h either side of ``t0``."""
    return WINDOW


@pytest.fixture(scope="session")
def chdb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one chDB directory of this test process."""
    # The same path as tests/ingest uses: chDB opens ONE directory per process.
    return tmp_path_factory.getbasetemp() / "chdb"


@pytest.fixture
def database() -> str:
    """A database name no other test uses."""
    return f"t_{uuid.uuid4().hex[:16]}"


@pytest.fixture
def open_store(chdb_dir: Path, database: str) -> Iterator[Callable[[], ClickHouseTelemetryStore]]:
    """Opens (and later closes) stores on this test's database; the first one migrates."""
    opened: list[ClickHouseTelemetryStore] = []

    def _open() -> ClickHouseTelemetryStore:
        store = open_telemetry_store(f"chdb://{chdb_dir}", database=database)
        store.migrate()
        opened.append(store)
        return store

    yield _open
    if opened:
        opened[-1].command(f"DROP DATABASE IF EXISTS `{database}`")
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Callable[[], ClickHouseTelemetryStore]) -> ClickHouseTelemetryStore:
    """A migrated store on a fresh database."""
    return open_store()
