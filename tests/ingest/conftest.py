"""Fixtures of the ingest tests: real OTLP requests, WALs on temp dirs, the embedded store."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from heron.ingest import WriteAheadLog
from heron.model import Span
from heron.testing.traffic import make_request, trace_specs

START_NS = 1_795_000_000_000_000_000


@pytest.fixture
def make_traces() -> Callable[..., ExportTraceServiceRequest]:
    """``make_traces(n_traces, seed=)``: a realistic request of 5 spans per trace."""

    def build(n_traces: int = 1, *, seed: int = 1) -> ExportTraceServiceRequest:
        specs = list(trace_specs(n_traces, seed=seed, start_ns=START_NS, text_bytes=200))
        return make_request(specs, seed=seed)

    return build


@pytest.fixture
def trace_fixture_files(fixtures_dir: Path) -> list[Path]:
    """Every captured ExportTraceServiceRequest (.pb) of shared/fixtures."""
    files = sorted(
        p
        for p in fixtures_dir.glob("*/*.pb")
        if ".metrics." not in p.name and ".logs." not in p.name
    )
    assert len(files) >= 20
    return files


@pytest.fixture
def open_wal(tmp_path: Path) -> Iterator[Callable[..., WriteAheadLog]]:
    """``open_wal(**kwargs)``: a WriteAheadLog in ``tmp_path/wal``; closed at teardown."""
    opened: list[WriteAheadLog] = []

    def open_(directory: Path | None = None, **kwargs: Any) -> WriteAheadLog:
        kwargs.setdefault("sync", False)
        wal = WriteAheadLog(directory or tmp_path / "wal", **kwargs)
        opened.append(wal)
        return wal

    yield open_
    for wal in opened:
        wal.close()


def _simple_normalize(project_id: str, request: ExportTraceServiceRequest) -> list[Span]:
    return [
        Span(
            project_id=project_id,
            trace_id=span.trace_id.hex(),
            span_id=span.span_id.hex(),
            parent_span_id=span.parent_span_id.hex() or None,
            name=span.name,
            start_time=datetime.fromtimestamp(span.start_time_unix_nano / 1e9, UTC),
            end_time=datetime.fromtimestamp(span.end_time_unix_nano / 1e9, UTC),
        )
        for rs in request.resource_spans
        for ss in rs.scope_spans
        for span in ss.spans
    ]


@pytest.fixture
def simple_normalize() -> Callable[[str, ExportTraceServiceRequest], list[Span]]:
    """The bare OTLP -> Span conversion the flusher tests need (normalization is not theirs)."""
    return _simple_normalize


_databases = itertools.count(1)


@pytest.fixture
def telemetry_store(chdb_dir: Path) -> Iterator[Any]:
    """The real embedded store, in a database of its own inside the session's chDB dir."""
    from heron.store import open_telemetry_store

    store = open_telemetry_store(f"chdb://{chdb_dir}", database=f"ingest_{next(_databases)}")
    store.migrate()
    yield store
    store.close()
