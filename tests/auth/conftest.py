"""A real (SQLite) metadata store for the authentication tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from heron.store.meta import MetaStore, open_meta_store


@pytest.fixture
def meta(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MetaStore]:
    """A migrated store in a temp data dir (server secret in a file there)."""
    monkeypatch.delenv("HERON_SECRET_KEY", raising=False)
    store = open_meta_store(f"sqlite:///{tmp_path / 'meta.db'}")
    store.migrate()
    yield store
    store.close()
