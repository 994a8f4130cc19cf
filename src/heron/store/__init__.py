"""heron's stores: telemetry (ClickHouse SQL: chDB or a server) and metadata (SQLAlchemy)."""

from heron.store.meta import MetaStore, open_meta_store
from heron.store.telemetry import ClickHouseTelemetryStore, open_telemetry_store

__all__ = [
    "ClickHouseTelemetryStore",
    "MetaStore",
    "open_meta_store",
    "open_telemetry_store",
]
