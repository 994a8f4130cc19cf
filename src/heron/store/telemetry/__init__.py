"""heron's telemetry store: spans and scores in ClickHouse SQL (chDB embedded or a server).

This package is the only place in heron that knows SQL for telemetry. Use::

    store = open_telemetry_store("chdb:///abs/path/.heron/telemetry")
    store.migrate()
    store.insert_spans(spans, dedup_token="wal-segment-7-offset-42")
"""

from heron.store.telemetry.location import DEFAULT_DATABASE, StoreLocation, parse_store_url
from heron.store.telemetry.store import (
    MAX_PAGE_SIZE,
    ClickHouseTelemetryStore,
    open_telemetry_store,
)
from heron.store.telemetry.traces import TRACE_WINDOW

__all__ = [
    "DEFAULT_DATABASE",
    "MAX_PAGE_SIZE",
    "TRACE_WINDOW",
    "ClickHouseTelemetryStore",
    "StoreLocation",
    "open_telemetry_store",
    "parse_store_url",
]
