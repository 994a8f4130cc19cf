"""Retention: the TTL stamped on new rows, re-stamping stored rows, the oldest data kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from heron.model import Span
from heron.security import RetentionLookup, apply_retention, oldest_kept, retention_days_for
from heron.store.meta import MetaStore
from heron.store.telemetry import ClickHouseTelemetryStore


def _span(project: str, start: datetime, span_id: str) -> Span:
    return Span(
        project_id=project,
        trace_id="ab" * 16,
        span_id=span_id,
        parent_span_id=None,
        name="s",
        start_time=start,
        end_time=start + timedelta(seconds=1),
    )


def test_lookup_reads_the_project_and_caches(meta: MetaStore) -> None:
    project = meta.ensure_project("p")
    now = [0.0]
    lookup = RetentionLookup(meta, ttl_s=10, clock=lambda: now[0])
    assert lookup(project.id) == 0  # forever
    meta.update_project(project.id, retention_days=7)
    assert lookup(project.id) == 0  # cached
    lookup.invalidate(project.id)
    assert lookup(project.id) == 7
    meta.update_project(project.id, retention_days=9)
    now[0] = 11.0
    assert lookup(project.id) == 9
    assert lookup("no-such-project") == 0
    assert isinstance(retention_days_for(meta), RetentionLookup)


def test_new_rows_get_the_projects_ttl_and_old_rows_can_be_restamped(
    meta: MetaStore, telemetry: ClickHouseTelemetryStore
) -> None:
    project = meta.ensure_project("kept")
    other = meta.ensure_project("other")
    meta.update_project(project.id, retention_days=30)
    store = ClickHouseTelemetryStore(telemetry.location, retention_days_for=RetentionLookup(meta))
    now = datetime.now(UTC).replace(microsecond=0)
    store.insert_spans(
        [
            _span(project.id, now - timedelta(days=10), "0" * 15 + "1"),
            _span(project.id, now - timedelta(days=2), "0" * 15 + "2"),
            _span(other.id, now - timedelta(days=10), "0" * 15 + "3"),
        ]
    )
    _, rows = store.query_rows(
        f"SELECT project_id, retention_days FROM {store.spans_table} ORDER BY span_id", {}, "t"
    )
    assert [tuple(r) for r in rows] == [(project.id, 30), (project.id, 30), (other.id, 0)]
    assert oldest_kept(store, project.id) == now - timedelta(days=10)
    assert oldest_kept(store, "empty-project") is None

    # Shorten to 5 days and apply to stored rows: the 10-day-old span goes at the next merge.
    meta.update_project(project.id, retention_days=5)
    apply_retention(store, project.id, 5, wait=True)
    # Every table holding the project's rows is re-stamped, the trace-lookup copies too
    # (the rewrite may already drop the expired 10-day-old copy).
    _, rows = store.query_rows(
        f"SELECT span_id, project_id, retention_days FROM {store.span_details_table} "
        "ORDER BY span_id",
        {},
        "t",
    )
    stamped = {str(span_id): (p, int(days)) for span_id, p, days in rows}
    assert stamped["0" * 15 + "2"] == (project.id, 5)
    assert stamped["0" * 15 + "3"] == (other.id, 0)
    assert stamped.get("0" * 15 + "1", (project.id, 5)) == (project.id, 5)
    store.command(f"OPTIMIZE TABLE {store.spans_table} FINAL", what="merge")
    assert store.count_spans(project.id) == 1
    assert oldest_kept(store, project.id) == now - timedelta(days=2)
    assert store.count_spans(other.id) == 1  # another project's rows are untouched
    store.close()
