"""On chDB, API reads do not queue behind an insert: they use a handle of their own."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from heron.store.telemetry import ClickHouseTelemetryStore

from .conftest import MakeSpan


class _HeldRows(list[list[int]]):
    """Rows whose serialization waits for ``release``: an insert stuck mid-write."""

    def __init__(self, rows: list[list[int]]) -> None:
        super().__init__(rows)
        self.entered = threading.Event()
        self.release = threading.Event()

    def __iter__(self) -> Iterator[list[int]]:
        self.entered.set()
        assert self.release.wait(60), "the test never released the insert"
        return super().__iter__()

    def __getitem__(self, index: Any) -> Any:
        self.entered.set()
        assert self.release.wait(60), "the test never released the insert"
        return super().__getitem__(index)


def test_a_trace_is_read_while_an_insert_holds_the_writing_handle(
    store: ClickHouseTelemetryStore, database: str, make_span: MakeSpan
) -> None:
    store.insert_spans([make_span("t-read", name="root")])
    store.command(f"CREATE TABLE `{database}`.held (x UInt64) ENGINE = MergeTree ORDER BY x")
    rows = _HeldRows([[1], [2], [3]])
    insert = threading.Thread(
        target=store.insert_rows, args=(f"`{database}`.held", rows, ["x"], None, "insert held")
    )
    insert.start()
    try:
        assert rows.entered.wait(30), "the insert never started writing its rows"
        found: list[Any] = []
        reader = threading.Thread(target=lambda: found.append(store.get_trace("proj-a", "t-read")))
        reader.start()
        reader.join(30)
        assert not reader.is_alive(), "the read waited for the insert to finish"
        assert [span.name for span in found[0]] == ["root"]
        assert insert.is_alive()  # the insert was still holding its handle throughout
    finally:
        rows.release.set()
        insert.join(60)
    _, counted = store.query_rows(f"SELECT count() FROM `{database}`.held", {}, "count")
    assert counted == [(3,)]
