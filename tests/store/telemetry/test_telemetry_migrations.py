"""Numbered SQL migrations: rendering for chDB, a server and a cluster; applying them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from heron.errors import StoreError
from heron.store.telemetry import ClickHouseTelemetryStore, parse_store_url
from heron.store.telemetry.migrations import (
    create_database_sql,
    load_migrations,
    migrations_table_sql,
    render,
)

CLUSTER = parse_store_url("https://u:p@ch:8443/obs?cluster=prod")
SINGLE = parse_store_url("http://ch:8123/obs")


def _all(location: object) -> list[str]:
    return [s for m in load_migrations() for s in render(m, location)]  # type: ignore[arg-type]


def test_migrations_are_numbered_in_order() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert [m.name for m in migrations][:2] == ["spans", "scores"]


def test_cluster_ddl_is_on_cluster_replicated_with_distributed_tables() -> None:
    statements = _all(CLUSTER)
    assert len(statements) == 20
    spans_local, spans_dist, scores_local, scores_dist, logs_local, logs_dist = statements[:6]
    details_local, details_dist, details_view, details_backfill = statements[6:10]
    alter_local, alter_dist, scores_view, logs_view, scores_copy, logs_copy = statements[10:16]
    vertical_spans, vertical_details, buffers_spans, buffers_details = statements[16:]
    assert (
        spans_local.splitlines()[0]
        == "CREATE TABLE IF NOT EXISTS `obs`.spans_local ON CLUSTER `prod`"
    )
    assert (
        "ENGINE = ReplicatedReplacingMergeTree("
        "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}', inserted_at)"
    ) in spans_local.splitlines()
    assert "ORDER BY (project_id, toStartOfHour(start_time), trace_id, span_id)" in spans_local
    assert "SETTINGS replicated_deduplication_window = 10000" in spans_local.splitlines()
    assert spans_dist == (
        "CREATE TABLE IF NOT EXISTS `obs`.spans ON CLUSTER `prod` AS `obs`.spans_local\n"
        "ENGINE = Distributed('prod', 'obs', 'spans_local', cityHash64(project_id, trace_id))"
    )
    assert scores_local.splitlines()[0] == (
        "CREATE TABLE IF NOT EXISTS `obs`.scores_local ON CLUSTER `prod`"
    )
    assert scores_dist == (
        "CREATE TABLE IF NOT EXISTS `obs`.scores ON CLUSTER `prod` AS `obs`.scores_local\n"
        "ENGINE = Distributed('prod', 'obs', 'scores_local', cityHash64(project_id, trace_id))"
    )
    assert logs_local.splitlines()[0] == (
        "CREATE TABLE IF NOT EXISTS `obs`.logs_local ON CLUSTER `prod`"
    )
    assert logs_dist == (
        "CREATE TABLE IF NOT EXISTS `obs`.logs ON CLUSTER `prod` AS `obs`.logs_local\n"
        "ENGINE = Distributed('prod', 'obs', 'logs_local', cityHash64(project_id, log_id))"
    )
    assert details_local.splitlines()[0] == (
        "CREATE TABLE IF NOT EXISTS `obs`.span_details_local ON CLUSTER `prod`"
    )
    assert details_dist == (
        "CREATE TABLE IF NOT EXISTS `obs`.span_details ON CLUSTER `prod` AS "
        "`obs`.span_details_local\n"
        "ENGINE = Distributed('prod', 'obs', 'span_details_local', "
        "cityHash64(project_id, trace_id))"
    )
    # Each node's view feeds its own shard from its own spans; the backfill goes
    # through the Distributed tables, which shard both tables by the same key.
    assert details_view.splitlines()[:2] == [
        "CREATE MATERIALIZED VIEW IF NOT EXISTS `obs`.span_details_from_spans_local "
        "ON CLUSTER `prod`",
        "TO `obs`.span_details_local",
    ]
    assert details_view.endswith("FROM `obs`.spans_local")
    assert details_backfill.startswith("INSERT INTO `obs`.span_details (")
    assert "FROM `obs`.spans\n" in details_backfill
    # 0005: scores and logs join their spans in span_details, on every node.
    assert alter_local.startswith("ALTER TABLE `obs`.span_details_local ON CLUSTER `prod`")
    assert "MODIFY ORDER BY (project_id, trace_id, span_id, kind)" in alter_local
    assert alter_dist.startswith("ALTER TABLE `obs`.span_details ON CLUSTER `prod`")
    assert "ORDER BY" not in alter_dist
    for view, source in ((scores_view, "scores"), (logs_view, "logs")):
        assert view.splitlines()[:2] == [
            f"CREATE MATERIALIZED VIEW IF NOT EXISTS `obs`.span_details_from_{source}_local "
            "ON CLUSTER `prod`",
            "TO `obs`.span_details_local",
        ]
        assert f"FROM `obs`.{source}_local" in view
    assert "FROM `obs`.scores FINAL" in scores_copy
    assert "FROM `obs`.logs FINAL" in logs_copy
    # 0006: merge settings belong to the tables that store parts, not the Distributed ones.
    assert vertical_spans.startswith("ALTER TABLE `obs`.spans_local ON CLUSTER `prod`")
    assert vertical_details.startswith("ALTER TABLE `obs`.span_details_local ON CLUSTER `prod`")
    for statement in (vertical_spans, vertical_details):
        assert "vertical_merge_algorithm_min_rows_to_activate = 1" in statement
    # 0007: write buffers, likewise on the tables that store parts.
    assert buffers_spans.startswith("ALTER TABLE `obs`.spans_local ON CLUSTER `prod`")
    assert buffers_details.startswith("ALTER TABLE `obs`.span_details_local ON CLUSTER `prod`")
    for statement in (buffers_spans, buffers_details):
        assert "max_compress_block_size = 262144" in statement
        assert "min_bytes_for_wide_part = 67108864" in statement
        assert "merge_max_block_size = 2048" in statement
    assert create_database_sql(CLUSTER) == "CREATE DATABASE IF NOT EXISTS `obs` ON CLUSTER `prod`"
    assert migrations_table_sql(CLUSTER) == (
        "CREATE TABLE IF NOT EXISTS `obs`.schema_migrations ON CLUSTER `prod`\n"
        "(\n"
        "    version UInt32,\n"
        "    name String,\n"
        "    checksum String,\n"
        "    applied_at DateTime64(6, 'UTC') DEFAULT now64(6)\n"
        ")\n"
        "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{database}/schema_migrations', "
        "'{replica}')\n"
        "ORDER BY version"
    )


def test_single_server_ddl_has_no_cluster_parts() -> None:
    statements = _all(SINGLE)
    assert len(statements) == 15
    spans, scores, logs, details, details_view, details_backfill = statements[:6]
    assert spans.splitlines()[0].rstrip() == "CREATE TABLE IF NOT EXISTS `obs`.spans"
    assert "ENGINE = ReplacingMergeTree(inserted_at)" in spans.splitlines()
    assert "SETTINGS non_replicated_deduplication_window = 10000" in spans.splitlines()
    assert scores.splitlines()[0].rstrip() == "CREATE TABLE IF NOT EXISTS `obs`.scores"
    assert logs.splitlines()[0].rstrip() == "CREATE TABLE IF NOT EXISTS `obs`.logs"
    assert details.splitlines()[0].rstrip() == "CREATE TABLE IF NOT EXISTS `obs`.span_details"
    assert "TO `obs`.span_details" in details_view.splitlines()
    assert details_view.endswith("FROM `obs`.spans")
    assert details_backfill.startswith("INSERT INTO `obs`.span_details (")
    joined = "\n".join(statements)
    for cluster_part in ("ON CLUSTER", "Replicated", "Distributed", "_local", "$"):
        assert cluster_part not in joined
    assert create_database_sql(SINGLE) == "CREATE DATABASE IF NOT EXISTS `obs`"


def test_migrate_is_idempotent_and_recorded(
    open_store: Callable[[], ClickHouseTelemetryStore],
) -> None:
    store = open_store()
    store.migrate()  # a second run applies nothing
    again = open_store()  # and so does a new instance (which migrates on open here)
    db = f"`{store.location.database}`"
    _, rows = again.query_rows(
        f"SELECT version, name FROM {db}.schema_migrations ORDER BY version", {}, "t"
    )
    assert [(int(v), n) for v, n in rows] == [(m.version, m.name) for m in load_migrations()]


def test_span_tables_merge_column_by_column(store: ClickHouseTelemetryStore) -> None:
    _, rows = store.query_rows(
        "SELECT name, create_table_query FROM system.tables WHERE database = {db:String}",
        {"db": store.location.database},
        "t",
    )
    settings = {name: ddl.rsplit("SETTINGS", 1)[-1] for name, ddl in rows}
    for table in ("spans", "span_details"):
        assert "vertical_merge_algorithm_min_rows_to_activate = 1" in settings[table]
        assert "vertical_merge_algorithm_min_columns_to_activate = 1" in settings[table]
        assert "merge_max_block_size = 2048" in settings[table]
    assert "vertical_merge" not in settings["scores"]
    assert "merge_max_block_size" not in settings["scores"]


def test_an_edited_applied_migration_is_refused(store: ClickHouseTelemetryStore) -> None:
    db = f"`{store.location.database}`"
    store.command(
        f"ALTER TABLE {db}.schema_migrations UPDATE checksum = 'x' WHERE version = 1 "
        "SETTINGS mutations_sync = 2"
    )
    with pytest.raises(StoreError, match="edited after it was applied"):
        store.migrate()


def test_queries_before_migrate_raise_an_actionable_store_error(
    chdb_dir: object, database: str
) -> None:
    from heron.store.telemetry import open_telemetry_store

    unmigrated = open_telemetry_store(f"chdb://{chdb_dir}", database=database)
    try:
        with pytest.raises(StoreError, match="heron migrate"):
            unmigrated.count_spans("p")
    finally:
        unmigrated.close()


def test_ping_answers_and_a_closed_store_raises_store_error(
    chdb_dir: object, database: str
) -> None:
    from heron.store.telemetry import open_telemetry_store

    store = open_telemetry_store(f"chdb://{chdb_dir}", database=database)
    store.ping()
    store.close()
    with pytest.raises(StoreError, match="failed to answer a ping"):
        store.ping()


def test_spans_stored_before_span_details_are_copied_there(
    chdb_dir: object, database: str, make_span: Callable[..., Any]
) -> None:
    from heron.store.telemetry import open_telemetry_store

    store = open_telemetry_store(f"chdb://{chdb_dir}", database=database)
    try:
        store.migrate(up_to=3)
        old = [
            make_span("trace-old", span_id="old-root", name="root"),
            make_span("trace-old", span_id="old-child", parent="old-root", model="gpt-4o"),
        ]
        store.insert_spans(old)
        store.migrate()  # 0004 creates span_details and copies the stored spans
        # Same start time: a trace's spans are ordered by (start_time, span_id).
        assert store.get_trace("proj-a", "trace-old") == [old[1], old[0]]
        # Spans inserted after the migration reach span_details through the view.
        new = make_span("trace-new", span_id="new-root", name="root")
        store.insert_spans([new])
        assert store.get_trace("proj-a", "trace-new") == [new]
        assert store.count_spans("proj-a") == 3
    finally:
        store.command(f"DROP DATABASE IF EXISTS `{database}`")
        store.close()


def test_scores_and_logs_stored_before_0005_join_their_trace(
    chdb_dir: object, database: str, make_span: Callable[..., Any]
) -> None:
    from datetime import UTC, datetime, timedelta

    from heron.model import LogRecord, Score
    from heron.store.telemetry import open_telemetry_store

    at = datetime(2025, 3, 10, 12, 0, 1, tzinfo=UTC)
    store = open_telemetry_store(f"chdb://{chdb_dir}", database=database)
    try:
        store.migrate(up_to=4)
        store.insert_spans([make_span("trace-old", span_id="root")])
        old_score = Score(
            score_id="s-old", project_id="proj-a", trace_id="trace-old", name="q", created_at=at
        )
        store.insert_scores([old_score])
        traced = LogRecord(project_id="proj-a", log_id="l-old", time=at, trace_id="trace-old")
        untraced = LogRecord(project_id="proj-a", log_id="l-none", time=at, body="no trace")
        store.insert_logs([traced, untraced])
        store.migrate()  # 0005 copies the stored scores and traced log records
        detail = store.get_trace_detail("proj-a", "trace-old")
        assert [s.span_id for s in detail.spans] == ["root"]
        assert detail.scores == [old_score]
        assert detail.logs == [traced]
        # Later ones reach span_details through the views.
        new_score = Score(
            score_id="s-new",
            project_id="proj-a",
            trace_id="trace-old",
            name="q",
            created_at=at + timedelta(seconds=1),
        )
        store.insert_scores([new_score])
        assert store.get_trace_detail("proj-a", "trace-old").scores == [old_score, new_score]
        # A replayed migration statement copies nothing twice.
        for statement in render(load_migrations()[4], store.location)[-2:]:
            store.command(statement)
        again = store.get_trace_detail("proj-a", "trace-old")
        assert (again.scores, again.logs) == ([old_score, new_score], [traced])
        _, rows = store.query_rows(
            f"SELECT count() FROM `{database}`.span_details WHERE kind != 'span'", {}, "t"
        )
        assert rows[0][0] == 3
    finally:
        store.command(f"DROP DATABASE IF EXISTS `{database}`")
        store.close()
