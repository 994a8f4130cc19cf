"""Every metadata test runs on SQLite and on a real, throwaway PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from heron.store.meta import MetaStore, open_meta_store


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
