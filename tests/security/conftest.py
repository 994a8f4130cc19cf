"""Fixtures for the security tests: a migrated SQLite metadata store, a chDB telemetry store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from heron.store.meta import MetaStore, open_meta_store
from heron.store.telemetry import ClickHouseTelemetryStore, open_telemetry_store


@pytest.fixture
def meta(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MetaStore]:
    """A migrated metadata store on a fresh SQLite file."""
    monkeypatch.delenv("HERON_SECRET_KEY", raising=False)
    store = open_meta_store(f"sqlite:///{tmp_path / 'meta.db'}", data_dir=tmp_path)
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def telemetry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClickHouseTelemetryStore]:
    """A migrated chDB store on a database of its own (one chDB directory per process)."""
    database = f"t_{uuid.uuid4().hex[:16]}"
    store = open_telemetry_store(
        f"chdb://{tmp_path_factory.getbasetemp() / 'chdb'}", database=database
    )
    store.migrate()
    yield store
    store.command(f"DROP DATABASE IF EXISTS `{database}`")
    store.close()
