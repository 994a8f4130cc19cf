"""Metadata URLs: the two supported engines, and helpful refusals for the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from heron.errors import ConfigError
from heron.store.meta import open_meta_store


def test_sqlite_creates_its_directory_and_runs_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    store = open_meta_store(f"sqlite:///{tmp_path / 'deep' / 'dir' / 'meta.db'}")
    try:
        store.migrate()
        assert (tmp_path / "deep" / "dir" / "meta.db").exists()
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.close()


def test_plain_postgresql_url_means_psycopg() -> None:
    store = open_meta_store("postgresql://u@127.0.0.1:1/db", server_secret="s" * 40)
    assert store.engine.url.drivername == "postgresql+psycopg"
    assert store.dialect == "postgresql"
    store.close()


def test_unsupported_engine_is_refused_without_echoing_the_password() -> None:
    with pytest.raises(ConfigError, match="heron supports sqlite") as info:
        open_meta_store("mysql://root:hunter2@db/heron")
    assert "hunter2" not in str(info.value)


def test_garbage_url_is_refused() -> None:
    with pytest.raises(ConfigError, match="not a SQLAlchemy URL"):
        open_meta_store("not a url at all")
