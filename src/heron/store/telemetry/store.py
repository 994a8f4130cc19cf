"""``ClickHouseTelemetryStore``: heron's telemetry store on chDB or a ClickHouse server.

Exactly-once without transactions
---------------------------------
Spans live in one wide ``ReplacingMergeTree`` whose sorting key ends with
``(trace_id, span_id)``. Three layers keep a replay from being counted twice:

1. at insert, the WAL flusher's ``dedup_token`` is passed as
   ``insert_deduplication_token``; with ``non_replicated_deduplication_window``
   (``replicated_deduplication_window`` on a cluster) the engine drops a block
   it has already seen under that token, so a replayed batch is not stored;
2. on chDB (one process per directory, so one writer), ``insert_spans`` also
   drops keys repeated in the batch and keys already stored (one narrow query
   per 5,000-span slice on the sorting-key prefix: project, the slice's hours,
   its trace ids), under a lock so two threads cannot both insert a key. The
   first copy wins: an OTLP span is immutable once ended, so a re-sent span is
   the same span. Hence no duplicate key is ever stored and reads skip
   ``FINAL`` (``spans_final`` is ``""``);
3. on a server (``http(s)://``, with or without ``?cluster=``) several heron
   processes may write, so the check could race: reads of spans keep ``FINAL``
   (``spans_final`` is ``"FINAL"``), which merges duplicate keys on the fly.

Measured on chDB with 1M spans (2 cores, shared machine), stats by model
p50/p95/p99 over 24 h: 273 ms with ``FINAL``, 131 ms without. The insert check
costs one query of a few ms per slice. Scores and logs are small and keep
``FINAL``. ``FINAL`` had earlier been measured against ``LIMIT 1 BY`` (100k
spans, 10 unmerged parts): no dedup 12 ms, ``LIMIT 1 BY`` 28 ms, ``FINAL`` 47 ms.

Lookups by id
-------------
The sorting key starts with ``(project_id, toStartOfHour(start_time))`` so
ranges and aggregates prune by time; ``trace_id`` and ``span_id`` have
``bloom_filter`` skip indexes (0.1 % false positives, one per granule). Even
when one granule matches, the engine pays a fixed cost per column read, so a
whole trace read from the ~60 columns took 40-60 ms at 1M spans. ``get_trace``
therefore reads ``span_details`` (migration 0004): each span once more as one
JSON text, sorted by ``(project_id, trace_id)`` in 256-row granules and filled
by the engine from every spans insert through a materialized view (~6 ms per
lookup; about +50 % disk). ``get_span`` finds the trace id on the spans table's
``span_id`` index, then reads the trace. Each table a query touches costs 2-5 ms
more, so migration 0005 also copies every score and trace-linked log record there
(``kind`` tells them apart): ``get_trace_detail`` reads a trace page from one table.

Retention seam
--------------
Every table of ``project_tables`` carries ``retention_days`` (0 = keep
forever) and a row-level ``TTL start_time + retention_days WHERE
retention_days > 0``; the value is
taken from ``retention_days_for(project_id)`` at insert time.

Verified against chDB only
--------------------------
The test suite runs on embedded chDB. For a ClickHouse server the URL parsing
and the exact DDL generated with and without ``?cluster=`` are unit-tested, but
the cluster DDL (``ON CLUSTER``, ``Replicated*MergeTree`` paths, the
``Distributed`` table) and the settings sent to a server
(``distributed_foreground_insert``) have not been run against a server; nor
have ``span_details``' materialized views on ``spans_local``, ``scores_local`` and
``logs_local`` with their backfills through the ``Distributed`` tables, nor
the merge and write settings of migrations 0006 and 0007 on the ``*_local`` tables.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import clickhouse_connect
from clickhouse_connect.datatypes.base import ClickHouseType
from clickhouse_connect.driver.exceptions import Error as DriverError
from clickhouse_connect.driver.insert import InsertContext

from heron.errors import HeronError, QueryError, StoreError
from heron.model import (
    LogRecord,
    Page,
    Score,
    SessionPage,
    SessionSummary,
    Span,
    StatsQuery,
    StatsRow,
    TimeRange,
    TraceDetail,
    TraceFilter,
    TraceSummary,
    UserSummary,
)
from heron.store.telemetry import activity, logs, migrations, stats, trace_detail, traces
from heron.store.telemetry.cursor import decode_cursor, encode_cursor
from heron.store.telemetry.location import StoreLocation, parse_store_url, quote_identifier
from heron.store.telemetry.rows import SPAN_COLUMNS, span_columns, to_utc
from heron.store.telemetry.scoring import ScoreWriter
from heron.store.telemetry.sql import Params

__all__ = ["MAX_PAGE_SIZE", "ClickHouseTelemetryStore", "open_telemetry_store"]

MAX_PAGE_SIZE = 1000
# Duplicate keys never span partitions (spans: the partition is a function of the sorting
# key; scores: one partition), so FINAL may merge each partition on its own, in parallel.
_READ_SETTINGS = {"do_not_merge_across_partitions_select_final": 1}
# The newest slice a trace list aggregates first; later slices are sized from the
# density it found (see list_traces).
_FIRST_SLICE = timedelta(minutes=1)
_MAX_WIDENING = 64
_MICROSECOND = timedelta(microseconds=1)
_SESSION_TRACE_LIMIT = 10_000
# Most spans per insert statement (see insert_spans).
_INSERT_SLICE = 5_000


def open_telemetry_store(url: str, *, database: str | None = None) -> ClickHouseTelemetryStore:
    """Connect to the store at ``url`` (``chdb:///dir`` or ``http(s)://...``); call ``migrate``."""
    return ClickHouseTelemetryStore(parse_store_url(url, database=database))


class ClickHouseTelemetryStore:
    """The ``heron.protocols.TelemetryStore`` on ClickHouse SQL (chDB or a server)."""

    def __init__(
        self,
        location: StoreLocation,
        *,
        retention_days_for: Callable[[str], int] | None = None,
    ) -> None:
        self.location = location
        self._retention_days_for = retention_days_for or (lambda _project: 0)
        db = quote_identifier(location.database, "database")
        self.spans_table = f"{db}.spans"
        # Whole spans as JSON, sorted by trace: the table of point reads (migration 0004).
        self.span_details_table = f"{db}.span_details"
        self.scores_table = f"{db}.scores"
        self.logs_table = f"{db}.logs"
        # Only a store with several writers can hold two rows of one span (see the module
        # docstring): chDB opens a directory in one process, whose insert_spans never
        # stores a key twice; a server may be written by several heron processes.
        self._spans_final = "" if location.kind == "chdb" else "FINAL"
        # insert_spans checks which keys are stored, then inserts: one at a time.
        self._span_insert_lock = threading.Lock()
        # A chDB handle runs one call at a time, so each handle gets a lock; a server
        # client (no session id) takes concurrent queries and needs none.
        embedded = location.kind == "chdb"
        self._lock: threading.Lock | None = threading.Lock() if embedded else None
        self._read_lock: threading.Lock | None = threading.Lock() if embedded else None
        self._insert_settings: dict[str, Any] = (
            {"distributed_foreground_insert": 1} if location.cluster else {}
        )
        try:
            self._client = clickhouse_connect.get_client(**location.client_kwargs())
            # On chDB, reads get a handle of their own on the same engine: an API read
            # must not queue behind an insert, which holds the writing handle for
            # ~0.3-0.5 s per 5,000 LLM spans (trace lookups during ingest: p50 212 ->
            # 120 ms, benchmarks/README.md). Inserts, DDL and statements share the
            # other handle, so a session `SET` applies to the inserts after it. An
            # insert is visible to the read handle once it returns (one engine).
            self._reader = (
                clickhouse_connect.get_client(**location.client_kwargs())
                if embedded
                else self._client
            )
        except (DriverError, OSError, RuntimeError, ImportError) as exc:
            raise StoreError(
                f"cannot open the telemetry store at {location.display}: {exc}. "
                + _connect_hint(location)
            ) from exc
        self._scores = ScoreWriter(self)
        # Column types per (table, columns), so an insert does not DESCRIBE the table
        # first (1.5-2 ms on chDB); cleared by migrate().
        self._insert_types: dict[tuple[str, tuple[str, ...]], Sequence[ClickHouseType]] = {}

    @property
    def spans_final(self) -> str:
        """``"FINAL"`` or ``""``: the modifier every read of ``spans_table`` puts after it.

        Empty on chDB, where ``insert_spans`` stores each (project_id, trace_id,
        span_id) once; ``"FINAL"`` on a server, where several writers may race.
        Use it as ``f"FROM {store.spans_table} {store.spans_final}"``.
        """
        return self._spans_final

    @property
    def project_tables(self) -> tuple[str, ...]:
        """Every table holding a project's rows (each has ``project_id`` and ``retention_days``)."""
        return (self.spans_table, self.span_details_table, self.scores_table, self.logs_table)

    @property
    def _spans_source(self) -> str:
        """``spans_table`` with ``spans_final``: the FROM clause of a deduplicated read."""
        return f"{self.spans_table} {self._spans_final}".rstrip()

    # -- plumbing ------------------------------------------------------------------

    @contextmanager
    def _guard(self, what: str, *, read: bool = False) -> Iterator[None]:
        lock = self._read_lock if read else self._lock
        if lock is not None:
            lock.acquire()
        try:
            yield
        except HeronError:
            raise
        except (DriverError, OSError, RuntimeError) as exc:
            raise StoreError(
                f"telemetry store failed to {what} on {self.location.display}: {exc}. "
                "If a table is missing run `heron migrate`; otherwise check the store "
                "is reachable and has disk space"
            ) from exc
        finally:
            if lock is not None:
                lock.release()

    def query_rows(
        self, sql: str, params: dict[str, Any], what: str
    ) -> tuple[list[str], list[Sequence[Any]]]:
        """Run one SELECT; (column names, rows). Used by this package's query modules."""
        with self._guard(what, read=True):
            result = self._reader.query(sql, parameters=params, settings=_READ_SETTINGS)
            return list(result.column_names), list(result.result_rows)

    def command(self, sql: str, params: dict[str, Any] | None = None, what: str = "") -> None:
        """Run one statement that returns no rows."""
        with self._guard(what or "run a statement"):
            self._client.command(sql, parameters=params or None)

    def insert_rows(
        self,
        table: str,
        rows: Sequence[Sequence[Any]],
        columns: Sequence[str],
        token: str | None,
        what: str,
        *,
        column_oriented: bool = False,
    ) -> None:
        """Insert ``rows`` column-named, in one block-oriented insert.

        With ``column_oriented`` the data is one sequence per column instead.
        """
        settings = dict(self._insert_settings)
        if token:
            settings["insert_deduplication_token"] = token
        key = (table, tuple(columns))
        with self._guard(what):
            context = self._client.create_insert_context(
                table,
                list(columns),
                column_types=self._insert_types.get(key),
                column_oriented=column_oriented,
                settings=settings,
            )
            self._insert_types.setdefault(key, context.column_types)
            try:
                self._client.insert(data=rows, context=context)
            finally:
                _release_insert_data(context)

    def retention_days(self, project_id: str) -> int:
        """Days rows of ``project_id`` are kept (0 = forever), stamped on each row."""
        return self._retention_days_for(project_id)

    # -- lifecycle -----------------------------------------------------------------

    def migrate(self, *, up_to: int | None = None) -> None:
        """Create the database and apply pending numbered migrations, in order.

        ``up_to`` stops after that version (to test an upgrade from an older schema).
        """
        loc = self.location
        self._insert_types.clear()
        self.command(migrations.create_database_sql(loc), what="create the database")
        self.command(migrations.migrations_table_sql(loc), what="create schema_migrations")
        db = quote_identifier(loc.database, "database")
        _, rows = self.query_rows(
            f"SELECT version, checksum FROM {db}.schema_migrations", {}, "read migrations"
        )
        applied = {int(version): checksum for version, checksum in rows}
        for migration in migrations.load_migrations():
            if up_to is not None and migration.version > up_to:
                break
            if migration.version in applied:
                if applied[migration.version] != migration.checksum:
                    raise StoreError(
                        f"telemetry migration {migration.version:04d}_{migration.name} was "
                        f"edited after it was applied to {loc.display}; never edit an applied "
                        "migration, add a new numbered file instead"
                    )
                continue
            for statement in migrations.render(migration, loc):
                self.command(statement, what=f"apply migration {migration.version:04d}")
            self.insert_rows(
                f"{db}.schema_migrations",
                [[migration.version, migration.name, migration.checksum]],
                ["version", "name", "checksum"],
                None,
                "record a migration",
            )

    def ping(self) -> None:
        """Raise ``StoreError`` when the store cannot answer ``SELECT 1``."""
        self.query_rows("SELECT 1", {}, "answer a ping")

    def close(self) -> None:
        """Release the connection (chDB's engine stays up for other clients)."""
        with self._guard("close"):
            self._client.close()
        if self._reader is not self._client:
            with self._guard("close", read=True):
                self._reader.close()

    # -- writes --------------------------------------------------------------------

    def insert_spans(self, spans: Sequence[Span], *, dedup_token: str | None = None) -> None:
        """Insert ``spans`` (in slices of 5,000); a replay (same token or same ids) is a no-op.

        On chDB (``spans_final`` empty) a key already stored, or repeated in the batch,
        is skipped: the first copy of a span wins, so reads need no ``FINAL``.
        """
        # Large batches go in slices: the driver and the engine hold a serialized
        # copy of each insert, which for 20,000 spans of LLM text is ~300 MiB.
        # Slice n > 0 gets token "<token>/<n>", so a replay still sends equal blocks.
        for number, start in enumerate(range(0, len(spans), _INSERT_SLICE)):
            token = dedup_token if not number or not dedup_token else f"{dedup_token}/{number}"
            chunk = spans[start : start + _INSERT_SLICE]
            if self._spans_final:
                self._insert_span_slice(chunk, token)
                continue
            # Check-then-insert must not interleave with another thread's insert.
            with self._span_insert_lock:
                fresh = self._unstored(chunk)
                if fresh:
                    self._insert_span_slice(fresh, token)

    def _insert_span_slice(self, spans: Sequence[Span], token: str | None) -> None:
        # Built outside the store lock: only the driver's write holds it.
        columns = span_columns(spans, self.retention_days)
        self.insert_rows(
            self.spans_table, columns, SPAN_COLUMNS, token, "insert spans", column_oriented=True
        )

    def _unstored(self, spans: Sequence[Span]) -> list[Span]:
        """``spans`` minus repeats and keys already stored, first copy kept.

        One narrow query on the sorting-key prefix (project, hour, trace): a span
        re-sent unchanged has the same start time, hence the same hour.
        """
        unique: dict[tuple[str, str, str], Span] = {}
        for span in spans:
            unique.setdefault((span.project_id, span.trace_id, span.span_id), span)
        if not unique:
            return []
        # Whole hours as integers first: formatting a time per span cost ~3 µs each.
        hour_numbers = {int(to_utc(s.start_time).timestamp()) // 3600 for s in unique.values()}
        hours = [
            datetime.fromtimestamp(h * 3600, UTC).strftime("%Y-%m-%d %H:00:00")
            for h in sorted(hour_numbers)
        ]
        _, rows = self.query_rows(
            f"SELECT project_id, trace_id, span_id FROM {self.spans_table} "
            "WHERE project_id IN {p:Array(String)} "
            "AND toStartOfHour(start_time) IN {h:Array(DateTime('UTC'))} "
            "AND trace_id IN {t:Array(String)}",
            {
                "p": sorted({key[0] for key in unique}),
                "h": hours,
                "t": sorted({key[1] for key in unique}),
            },
            "look up stored span ids",
        )
        stored = {(str(p), str(t), str(s)) for p, t, s in rows}
        return [span for key, span in unique.items() if key not in stored]

    def insert_scores(self, scores: Sequence[Score]) -> None:
        """Insert scores with copies of their span's fields; one row per score_id."""
        self._scores.insert(scores)

    def insert_logs(self, records: Sequence[LogRecord], *, dedup_token: str | None = None) -> None:
        """Insert log records; a replay (same log_id) is stored once."""
        logs.insert_logs(self, records, dedup_token)

    def list_logs(
        self,
        project_id: str,
        *,
        trace_id: str | None = None,
        time: TimeRange | None = None,
        min_severity: int = 0,
        q: str | None = None,
        limit: int = 500,
    ) -> list[LogRecord]:
        """Logs of a trace (oldest first) or of a time window (newest first)."""
        return logs.list_logs(
            self,
            project_id,
            trace_id=trace_id,
            time=time,
            min_severity=min_severity,
            q=q,
            limit=limit,
        )

    def delete_project_data(self, project_id: str) -> None:
        """Delete every row of ``project_id`` from ``project_tables`` (synchronous mutation)."""
        on_cluster = migrations.template_vars(self.location)["on_cluster"]
        local = migrations.template_vars(self.location)["local"]
        for table in self.project_tables:
            with self._guard(f"delete project data from {table}"):
                self._client.command(
                    f"ALTER TABLE {table}{local} {on_cluster} "
                    "DELETE WHERE project_id = {p:String}",
                    parameters={"p": project_id},
                    settings={"mutations_sync": 2},
                )

    # -- reads ---------------------------------------------------------------------

    def count_spans(self, project_id: str) -> int:
        """Distinct spans stored for ``project_id``."""
        _, rows = self.query_rows(
            f"SELECT count() FROM {self._spans_source} WHERE project_id = {{p:String}}",
            {"p": project_id},
            "count spans",
        )
        return int(rows[0][0])

    def get_trace(self, project_id: str, trace_id: str) -> list[Span]:
        """Every span of the trace by start time, with trace-level fields inherited."""
        _, rows = self.query_rows(
            f"SELECT span_id, detail FROM {self.span_details_table} {self._spans_final} "
            "WHERE project_id = {p:String} AND trace_id = {t:String} AND kind = 'span'",
            {"p": project_id, "t": trace_id},
            "read a trace",
        )
        return trace_detail.assemble_spans(project_id, trace_id, rows)

    def get_trace_detail(self, project_id: str, trace_id: str) -> TraceDetail:
        """The trace's spans (as ``get_trace``) with its scores and logs, in one query."""
        return trace_detail.read_trace_detail(self, project_id, trace_id)

    def get_span(self, project_id: str, span_id: str) -> Span | None:
        """One span by id (with inherited trace-level fields), or None."""
        # The span's trace is found on two narrow columns; the span itself is read
        # with its trace, which inheritance needs anyway.
        _, rows = self.query_rows(
            f"SELECT trace_id FROM {self.spans_table} "
            "WHERE project_id = {p:String} AND span_id = {s:String} "
            "ORDER BY start_time LIMIT 1",
            {"p": project_id, "s": span_id},
            "find a span's trace",
        )
        if not rows:
            return None
        for span in self.get_trace(project_id, str(rows[0][0])):
            if span.span_id == span_id:
                return span
        return None

    def list_traces(
        self, project_id: str, flt: TraceFilter, *, cursor: str | None, limit: int
    ) -> Page[TraceSummary]:
        """Traces whose root started in the range, newest first, one page."""
        _check_limit(limit)
        _check_range(flt.time)
        after = decode_cursor(cursor) if cursor else None
        # Newest first means the page lies in the most recent slice of the range that
        # holds enough traces: aggregate a short slice first and widen it until the
        # page is full, instead of aggregating every trace of the range (200k traces
        # for a day at 1M spans) to keep 50. Top-N of the newest slice is the top-N of
        # the whole range once the slice holds N. The slice starts at one minute (at
        # 500 spans/s, 15 minutes are 450k spans to group for 50 traces) and grows by
        # the density it found, so a sparse project still needs only a few slices.
        end = min(flt.time.end, after[0] + _MICROSECOND) if after else flt.time.end
        may_restart = True
        window = _FIRST_SLICE
        while True:
            start = max(flt.time.start, end - window)
            sliced = dataclasses.replace(flt, time=TimeRange(start, end))
            rows = self._summary_rows(
                project_id, sliced, ascending=False, after=after, limit=limit + 1
            )
            if len(rows) > limit or start <= flt.time.start:
                break
            if not rows and may_restart:
                may_restart = False
                newest = self._newest_start(project_id, TimeRange(flt.time.start, end))
                if newest is None:
                    break
                if newest < start:
                    # No span at all in the first slice (a quiet night, a cursor deep in
                    # the past): restart once at the newest span instead of widening over
                    # empty hours; no trace's root starts after every span of the range.
                    # A slice with spans but no match (a rare filter) widens instead.
                    end = newest + _MICROSECOND
                    continue
            window *= _widening(len(rows), limit + 1)
        # Roots' text and scores only for the slice that holds the page.
        items = self._complete_summaries(project_id, rows)
        return _paged(items, limit, lambda t: encode_cursor(t.start_time, t.trace_id))

    def recently_scored_traces(
        self, project_id: str, time: TimeRange, *, limit: int
    ) -> list[TraceSummary]:
        """The ``limit`` traces scored most recently among calls in the range, newest first.

        The scores table (small) names the traces; only those are summarized, instead
        of listing the newest traces and keeping the scored ones.
        """
        _check_limit(limit)
        _check_range(time)
        params = Params()
        _, rows = self.query_rows(
            f"SELECT trace_id, min(span_start_time), max(created_at) AS scored_at "
            f"FROM {self.scores_table} FINAL "
            f"WHERE project_id = {params.text(project_id)} "
            f"AND {params.in_range('span_start_time', time)} AND value IS NOT NULL "
            f"GROUP BY trace_id ORDER BY scored_at DESC, trace_id "
            f"LIMIT {params.add(limit, 'UInt32')}",
            params.values,
            "find recently scored traces",
        )
        if not rows:
            return []
        candidates = {str(trace_id): to_utc(start) for trace_id, start, _ in rows}
        rows = self._summary_rows(
            project_id,
            TraceFilter(time=time),
            ascending=False,
            after=None,
            limit=limit,
            candidates=candidates,
        )
        return self._complete_summaries(project_id, rows)

    def _newest_start(self, project_id: str, time: TimeRange) -> datetime | None:
        """Start of the project's newest span in ``time``, or None (one narrow column)."""
        params = Params()
        _, rows = self.query_rows(
            f"SELECT max(start_time), count() > 0 FROM {self.spans_table} "
            f"WHERE project_id = {params.text(project_id)} "
            f"AND {params.in_range('start_time', time)}",
            params.values,
            "find the newest span",
        )
        if not rows or not rows[0][1]:
            return None
        return to_utc(rows[0][0])

    def get_session(
        self,
        project_id: str,
        session_id: str,
        time: TimeRange,
        *,
        cursor: str | None = None,
        limit: int = _SESSION_TRACE_LIMIT,
    ) -> SessionPage:
        """One page of a session's traces in the range, oldest first, and its totals."""
        _check_range(time)
        if not 1 <= limit <= _SESSION_TRACE_LIMIT:
            raise QueryError(f"limit {limit} is out of range: use 1..{_SESSION_TRACE_LIMIT}")
        after = decode_cursor(cursor) if cursor else None
        flt = TraceFilter(time=time, session_id=session_id)
        # Find the session's traces on narrow columns first, then summarize only the
        # ones that can be on this page: a session is a few traces among millions.
        every = self._session_candidates(project_id, flt)
        candidates = traces.first_candidates(every, after, limit + 1)
        if not candidates:
            return SessionPage([])
        rows = self._summary_rows(
            project_id, flt, ascending=True, after=after, limit=limit + 1, candidates=candidates
        )
        items = self._complete_summaries(project_id, rows)
        page = _paged(items, limit, lambda t: encode_cursor(t.start_time, t.trace_id))
        summary: SessionSummary | None = None
        if after is None and page.next_cursor is None:
            # The whole session is on this page (or none of it: roots outside the range).
            summary = activity.session_of(session_id, page.items) if page.items else None
        else:
            summary = self._session_totals(project_id, session_id, time, every)
        return SessionPage(page.items, summary, page.next_cursor)

    def _session_totals(
        self, project_id: str, session_id: str, time: TimeRange, candidates: traces.Candidates
    ) -> SessionSummary | None:
        # Every span of a candidate trace lies within TRACE_WINDOW of its session spans.
        narrowed = TimeRange(
            max(time.start, min(candidates.values()) - traces.TRACE_WINDOW),
            min(time.end, max(candidates.values()) + traces.TRACE_WINDOW + _MICROSECOND),
        )
        sql, params = activity.sessions_sql(
            self._spans_source, project_id, narrowed, None, 1, only=(session_id, list(candidates))
        )
        _, rows = self.query_rows(sql, params, "read session totals")
        return activity.build_session(rows[0]) if rows else None

    def _session_candidates(self, project_id: str, flt: TraceFilter) -> traces.Candidates:
        sql, params = traces.candidates_sql(self._spans_source, project_id, flt)
        _, rows = self.query_rows(sql, params, "find session traces")
        return {trace_id: to_utc(start) for trace_id, start in rows}

    def _summary_rows(
        self,
        project_id: str,
        flt: TraceFilter,
        *,
        ascending: bool,
        after: Any,
        limit: int,
        candidates: traces.Candidates | None = None,
    ) -> list[Any]:
        """The aggregate rows of ``summaries_sql``, without the roots' text or scores."""
        sql, params = traces.summaries_sql(
            self._spans_source,
            project_id,
            flt,
            ascending=ascending,
            after=after,
            limit=limit,
            candidates=candidates,
        )
        _, rows = self.query_rows(sql, params, "list traces")
        return list(rows)

    def _complete_summaries(self, project_id: str, rows: Sequence[Any]) -> list[TraceSummary]:
        """Summaries from aggregate rows plus their roots' text and average eval scores."""
        if not rows:
            return []
        roots = [(row[0], row[2], row[1]) for row in rows]
        sql, params = traces.root_details_sql(self._spans_source, project_id, roots)
        _, detail_rows = self.query_rows(sql, params, "read root spans")
        details = {(r[0], r[1]): traces.RootDetail(r[2], r[3], r[4], r[5]) for r in detail_rows}
        evals = self._scores.trace_averages(project_id, [row[0] for row in rows])
        return [
            traces.build_summary(row, details.get((row[0], row[2])), evals.get(row[0]))
            for row in rows
        ]

    def list_sessions(
        self, project_id: str, time: TimeRange, *, cursor: str | None, limit: int
    ) -> Page[SessionSummary]:
        """Sessions with activity in the range, most recently active first."""
        _check_limit(limit)
        _check_range(time)
        after = decode_cursor(cursor) if cursor else None
        sql, params = activity.sessions_sql(self._spans_source, project_id, time, after, limit + 1)
        _, rows = self.query_rows(sql, params, "list sessions")
        items = [activity.build_session(row) for row in rows]
        return _paged(items, limit, lambda s: encode_cursor(s.last_seen, s.session_id))

    def list_users(
        self, project_id: str, time: TimeRange, *, cursor: str | None, limit: int
    ) -> Page[UserSummary]:
        """Users with activity in the range, by last seen."""
        _check_limit(limit)
        _check_range(time)
        after = decode_cursor(cursor) if cursor else None
        sql, params = activity.users_sql(self._spans_source, project_id, time, after, limit + 1)
        _, rows = self.query_rows(sql, params, "list users")
        items = [activity.build_user(row) for row in rows]
        return _paged(items, limit, lambda u: encode_cursor(u.last_seen, u.user_id))

    def stats(self, project_id: str, query: StatsQuery) -> list[StatsRow]:
        """Aggregates over LLM calls of the range, grouped as ``query`` asks."""
        sql, params = stats.spans_sql(self._spans_source, project_id, query)
        _, span_rows = self.query_rows(sql, params, "aggregate spans")
        sql, params = stats.scores_sql(f"{self.scores_table} FINAL", project_id, query)
        _, score_rows = self.query_rows(sql, params, "aggregate scores")
        return stats.merge_rows(query, span_rows, score_rows)

    def list_scores(
        self, project_id: str, *, trace_id: str | None = None, span_id: str | None = None
    ) -> list[Score]:
        """Scores of a trace and/or span, oldest first."""
        return self._scores.list(project_id, trace_id=trace_id, span_id=span_id)


def _widening(found: int, wanted: int) -> int:
    """How many times wider the next slice of a trace list is, after ``found`` of ``wanted``.

    An empty slice says little about density (a filter may be rare): widen 8x. Else aim
    at 1.5x the traces still wanted at the density found, between 2x and 64x.
    """
    if found == 0:
        return 8
    return min(_MAX_WIDENING, max(2, math.ceil(1.5 * wanted / found)))


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise QueryError(f"limit={limit} is out of range; use 1..{MAX_PAGE_SIZE}")


def _check_range(time: TimeRange) -> None:
    if time.end <= time.start:
        raise QueryError(
            f"time range ends ({time.end}) at or before it starts ({time.start}); swap the bounds"
        )


def _paged(items: list[Any], limit: int, cursor_of: Callable[[Any], str]) -> Page[Any]:
    if len(items) <= limit:
        return Page(items=items)
    page = items[:limit]
    return Page(items=page, next_cursor=cursor_of(page[-1]))


def _release_insert_data(context: InsertContext) -> None:
    """Let an insert's rows go as soon as the insert returns.

    clickhouse-connect's ``InsertContext`` keeps a bound method of itself
    (``_next_block_data``): a reference cycle, which reference counting never frees,
    nor the rows the context holds. Under the flusher's raised GC thresholds
    (``heron.ingest.gc_policy``) the rows of every insert, LLM text included, waited
    for a full collection: one measured in a running server freed 426 MiB.
    """
    context.data = None
    vars(context).pop("_next_block_data", None)


def _connect_hint(location: StoreLocation) -> str:
    if location.kind == "chdb":
        return (
            "chDB opens one directory per process and one process per directory: stop the "
            "other heron process using it, or use the same HERON_STORE_URL everywhere in this "
            "process"
        )
    return "check host, port, user and password in HERON_STORE_URL and that the server is up"
