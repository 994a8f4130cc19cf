"""Root fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from heron.testing import shared_dir
from heron.testing.postgres import PostgresServer, postgres_server


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The captured real spans of ``shared/fixtures``."""
    path = shared_dir() / "fixtures"
    assert path.is_dir(), f"shared fixtures not found at {path}; set HERON_SHARED_DIR"
    return path


@pytest.fixture(scope="session")
def chdb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one chDB directory of this test process (chDB opens ONE directory per process);
    tests isolate by creating a database per test inside it."""
    return tmp_path_factory.getbasetemp() / "chdb"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL for the whole session; each test gets its own database."""
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
