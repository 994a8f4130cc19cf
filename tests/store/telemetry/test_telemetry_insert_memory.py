"""An insert's rows are freed when it returns, not at the next full garbage collection.

clickhouse-connect's insert context refers to itself; the flusher raises the cyclic
collector's thresholds, so rows left in a cycle piled up (hundreds of MiB of LLM text
in a running server) until a rare full collection.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from clickhouse_connect.driver.insert import InsertContext

from heron.model import LogRecord, Score, Span, TimeRange, TraceFilter
from heron.normalize.normalizer import Normalizer
from heron.store.telemetry import ClickHouseTelemetryStore
from heron.testing.traffic import make_request, trace_specs

from .conftest import MakeSpan


@pytest.fixture
def cyclic_garbage() -> Iterator[Callable[[], list[object]]]:
    """Collects with the cycle collector off, then returns what only it could free."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)

    def collect() -> list[object]:
        gc.collect()
        found = list(gc.garbage)
        gc.garbage.clear()
        return found

    try:
        yield collect
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def test_span_score_and_log_inserts_leave_no_cycle_holding_their_rows(
    store: ClickHouseTelemetryStore,
    make_span: MakeSpan,
    t0: datetime,
    window: TimeRange,
    cyclic_garbage: Callable[[], list[object]],
) -> None:
    text = "a long completion " * 100
    spans = [make_span(f"tr-{i}", kind="llm", model="gpt-4o", output_value=text) for i in range(3)]

    store.insert_spans(spans)
    store.insert_scores(
        [Score(score_id="s-1", project_id="proj-a", trace_id="tr-0", name="q", created_at=t0)]
    )
    store.insert_logs(
        [LogRecord(project_id="proj-a", log_id="l-1", time=t0, trace_id="tr-0", body=text)]
    )
    garbage = cyclic_garbage()

    assert [o for o in garbage if isinstance(o, InsertContext)] == []
    assert not any(isinstance(o, list) and text in o for o in garbage)
    # The inserts themselves went through, the second span insert with cached types.
    store.insert_spans([make_span("tr-9", kind="llm", model="gpt-4o")])
    page = store.list_traces("proj-a", TraceFilter(time=window), cursor=None, limit=10)
    assert sorted(row.trace_id for row in page.items) == ["tr-0", "tr-1", "tr-2", "tr-9"]
    assert [s.name for s in store.list_scores("proj-a", trace_id="tr-0")] == ["q"]


def _llm_traffic(spans: int) -> list[Span]:
    """Benchmark-shaped spans: five per trace, ~2 KB of prompt and completion per LLM span."""
    start_ns = int(datetime.now(UTC).timestamp() * 1e9) - 3_600 * 10**9
    request = make_request(list(trace_specs(spans // 5, seed=7, start_ns=start_ns)), seed=7)
    return Normalizer().normalize("proj-a", request)


def test_an_insert_of_5000_llm_spans_writes_compact_parts_in_bounded_engine_memory(
    store: ClickHouseTelemetryStore,
) -> None:
    spans = _llm_traffic(5_000)
    assert len(spans) == 5_000
    # With the engine's 1 MiB write buffers per column stream this insert needed ~330 MiB
    # (migration 0007 brought it to ~130 MiB); the limit fails the insert if it regresses.
    store.command("SET max_memory_usage = 209715200")
    try:
        store.insert_spans(spans)
    finally:
        store.command("SET max_memory_usage = 0")
    _, rows = store.query_rows(
        "SELECT table, part_type, sum(rows) FROM system.parts "
        "WHERE database = {db:String} AND active AND table IN ('spans', 'span_details') "
        "GROUP BY table, part_type ORDER BY table",
        {"db": store.location.database},
        "t",
    )
    assert [(t, p, int(n)) for t, p, n in rows] == [
        ("span_details", "Compact", 5_000),
        ("spans", "Compact", 5_000),
    ]
