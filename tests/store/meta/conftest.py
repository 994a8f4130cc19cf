"""Every metadata test runs on SQLite and on a real, throwaway PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from heron.store.meta import MetaStore, open_meta_store
from heron.testing.postgres import PostgresServer, postgres_server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One PostgreSQL for the session; each test gets its own database on it."""
    with postgres_server() as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def meta_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty, unmigrated metadata database URL on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'meta.db'}"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    url = server.create_database()
    yield url
    server.drop_database(url.rsplit("/", 1)[1])


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Where the server secret file lives for this test."""
    return tmp_path / "data"


@pytest.fixture
def meta(meta_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MetaStore]:
    """A migrated store; the server secret comes from a file in ``data_dir``."""
    monkeypatch.delenv("HERON_SECRET_KEY", raising=False)
    store = open_meta_store(meta_url, data_dir=data_dir)
    store.migrate()
    yield store
    store.close()
