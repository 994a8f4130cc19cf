"""heron's stores: telemetry (ClickHouse SQL: chDB or a server) and metadata (SQLAlchemy)."""

from heron.store.telemetry import ClickHouseTelemetryStore, open_telemetry_store

# --- metadata store exports (heron.store.meta) are added here by its owner ---

__all__ = [
    "ClickHouseTelemetryStore",
    "open_telemetry_store",
    # --- metadata store names go here ---
]
