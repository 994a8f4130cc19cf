"""Settings reach the parts they configure when the app is built."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from heron.app import build_components
from heron.config import Settings
from heron.normalize import Normalizer
from heron.testing.server import free_port


def test_trace_cache_settings_reach_the_normalizer(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    chdb_dir = tmp_path_factory.getbasetemp() / "chdb"  # one chDB directory per process
    settings = Settings(
        data_dir=tmp_path / "data",
        store_url=f"chdb://{chdb_dir}?database=wire_{uuid.uuid4().hex[:12]}",
        grpc_port=free_port(),
        wal_sync=False,
        trace_cache_traces=1234,
        trace_cache_mib=3,
    )
    components = build_components(settings)
    try:
        normalizer = getattr(components.flusher.normalize, "__self__", None)
        assert isinstance(normalizer, Normalizer)
        assert normalizer.trace_context.max_traces == 1234
        assert normalizer.trace_context.max_bytes == 3 * 1024 * 1024
    finally:
        components.wal.close()
        components.context.store.close()
        components.context.meta.close()
