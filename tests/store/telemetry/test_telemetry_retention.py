"""The retention seam: rows carry retention_days and the table TTL drops expired rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from heron.errors import StoreError
from heron.model import Span
from heron.store.telemetry import ClickHouseTelemetryStore, parse_store_url

MakeSpan = Callable[..., Span]


@pytest.fixture
def retaining_store(chdb_dir: Path, database: str) -> Iterator[ClickHouseTelemetryStore]:
    location = parse_store_url(f"chdb://{chdb_dir}", database=database)
    store = ClickHouseTelemetryStore(
        location, retention_days_for=lambda project: 1 if project == "short" else 0
    )
    store.migrate()
    yield store
    store.command(f"DROP DATABASE IF EXISTS `{database}`")
    store.close()


def test_rows_carry_the_retention_of_their_project(
    retaining_store: ClickHouseTelemetryStore, make_span: MakeSpan
) -> None:
    recent = datetime.now(UTC)
    store = retaining_store
    store.insert_spans(
        [
            make_span("tr-new", project_id="short", start=recent),
            make_span("tr-new", project_id="forever", start=recent),
        ]
    )
    _, rows = store.query_rows(
        f"SELECT project_id, retention_days FROM {store.spans_table} ORDER BY project_id", {}, "t"
    )
    assert rows == [("forever", 0), ("short", 1)]


def test_expired_rows_of_a_project_with_retention_are_dropped(
    retaining_store: ClickHouseTelemetryStore, make_span: MakeSpan
) -> None:
    # ClickHouse may already drop expired rows when it writes the part, so only
    # the state after a merge is deterministic.
    old = datetime(2020, 1, 1, tzinfo=UTC)
    store = retaining_store
    store.insert_spans(
        [
            make_span("tr-old", project_id="short", start=old),
            make_span("tr-old", project_id="forever", start=old),
        ]
    )
    store.command(f"OPTIMIZE TABLE {store.spans_table} FINAL")  # TTL applies on merge
    store.command(f"OPTIMIZE TABLE {store.span_details_table} FINAL")
    assert store.count_spans("short") == 0
    assert store.count_spans("forever") == 1
    # The whole-span copies that trace lookups read expire with their spans.
    assert store.get_trace("short", "tr-old") == []
    assert len(store.get_trace("forever", "tr-old")) == 1


def test_a_value_that_is_not_json_is_a_store_error(
    store: ClickHouseTelemetryStore, make_span: MakeSpan
) -> None:
    span = make_span("tr-bad", attributes={"raw": b"\x00bytes"})
    with pytest.raises(StoreError, match="'attributes' holds a value that is not JSON"):
        store.insert_spans([span])
    assert store.count_spans("proj-a") == 0
