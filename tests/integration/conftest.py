"""Integration tier: a real ``heron serve`` subprocess per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from heron.testing.server import HeronServer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeronServer]:
    """One heron per test module, with its own data dir and ports."""
    root = tmp_path_factory.mktemp("heron")
    srv = HeronServer(root / "data", env={"HERON_FLUSH_INTERVAL_S": "0.1"})
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    """A fresh directory for a test that runs its own server."""
    return tmp_path
