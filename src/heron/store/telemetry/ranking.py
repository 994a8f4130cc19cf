"""Pooled rankings and counts for the significance tests of ``heron.analytics``.

Mann-Whitney tests need ranks over possibly a million values; they are
computed here (``rank()`` plus half the run length of equal values = the
average rank), and only each group's size and rank sum, and the pooled tie
term ``sum(t^3 - t)``, leave the database. Counts (calls and errors, judged
and hallucinated) feed the proportion tests. LLM calls only, duplicates
excluded, bound to one project and time range, like every analytics query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from heron.errors import QueryError
from heron.model import TimeRange
from heron.model.analytics import CompareSide, CountGroup, RankGroup, RankSample
from heron.store.telemetry.analytics_sql import (
    HALLUCINATION,
    SPAN_MEASURES,
    check_range,
    scores_where,
    spans_where,
    to_float,
)
from heron.store.telemetry.sql import Params

if TYPE_CHECKING:
    from heron.store.telemetry.store import ClickHouseTelemetryStore

__all__ = ["compare_counts", "compare_ranks", "user_counts", "user_ranks"]


# -- pooled rankings and counts (significance tests) -----------------------------------


def _rank_sample(
    store: ClickHouseTelemetryStore,
    p: Params,
    table: str,
    value: str,
    group: str,
    where: list[str],
) -> RankSample:
    inner = (
        f"SELECT {group} AS g, toFloat64({value}) AS v FROM {table} FINAL "
        f"WHERE {' AND '.join(where)} AND {value} IS NOT NULL"
    )
    sql = f"""
        SELECT g, count(), sum(r), avg(v), quantileExactInclusive(0.5)(v)
        FROM (
            SELECT g, v, rank() OVER (ORDER BY v) + (count() OVER (PARTITION BY v) - 1) / 2 AS r
            FROM ({inner})
        )
        GROUP BY g"""
    _, rows = store.query_rows(sql, p.values, "rank values")
    groups = {
        str(g): RankGroup(str(g), int(n), float(rs), float(mean), float(median))
        for g, n, rs, mean, median in rows
    }
    sql = f"""
        SELECT sum(c * c * c - c), sum(c), sum(v * c) / sum(c), quantileExactWeighted(0.5)(v, c)
        FROM (SELECT v, count() AS c FROM ({inner}) GROUP BY v)"""
    _, tie_rows = store.query_rows(sql, p.values, "count ties")
    tie, total, mean, median = tie_rows[0] if tie_rows else (0, 0, None, None)
    return RankSample(
        groups,
        float(tie or 0),
        int(total or 0),
        to_float(mean) if total else None,
        to_float(median) if total else None,
    )


def _side_condition(
    store: ClickHouseTelemetryStore, p: Params, side: CompareSide, time_column: str
) -> str:
    check_range(side.time)
    parts = [
        f"prompt_template_hash = {p.text(side.template_hash)}",
        p.in_range(time_column, side.time),
    ]
    if side.version is not None:
        version = p.text(side.version)
        if time_column == "start_time":
            parts.append(f"prompt_template_version = {version}")
        else:
            # Scores carry no version: keep those whose trace has a call of that version.
            parts.append(
                f"trace_id IN (SELECT trace_id FROM {store.spans_table} "
                f"WHERE prompt_template_hash = {p.text(side.template_hash)} "
                f"AND prompt_template_version = {version} "
                f"AND {p.in_range('start_time', side.time)})"
            )
    return "(" + " AND ".join(parts) + ")"


def _compare_frame(
    store: ClickHouseTelemetryStore, p: Params, a: CompareSide, b: CompareSide, time_column: str
) -> tuple[str, str]:
    """(group expression 'a'/'b', condition selecting either side)."""
    cond_a = _side_condition(store, p, a, time_column)
    cond_b = _side_condition(store, p, b, time_column)
    return f"multiIf({cond_a}, 'a', {cond_b}, 'b', '')", f"({cond_a} OR {cond_b})"


def _union_range(a: CompareSide, b: CompareSide) -> TimeRange:
    return TimeRange(min(a.time.start, b.time.start), max(a.time.end, b.time.end))


def compare_ranks(
    store: ClickHouseTelemetryStore,
    project_id: str,
    a: CompareSide,
    b: CompareSide,
    measure: str,
    score_name: str | None = None,
) -> RankSample:
    """Pooled ranking of ``measure`` (latency, cost or score) over sides 'a' and 'b'."""
    p = Params()
    time = _union_range(a, b)
    if measure == "score":
        group, either = _compare_frame(store, p, a, b, "span_start_time")
        where = [*scores_where(p, project_id, time, score_name), either]
        return _rank_sample(store, p, store.scores_table, "value", group, where)
    if measure not in SPAN_MEASURES:
        raise QueryError(f"measure {measure!r} is not one of latency, cost, score")
    group, either = _compare_frame(store, p, a, b, "start_time")
    where = [*spans_where(p, project_id, time), either]
    return _rank_sample(store, p, store.spans_table, SPAN_MEASURES[measure], group, where)


def compare_counts(
    store: ClickHouseTelemetryStore, project_id: str, a: CompareSide, b: CompareSide, what: str
) -> dict[str, CountGroup]:
    """Trials and successes per side: ``errors`` (calls, errors) or ``hallucinations``."""
    p = Params()
    time = _union_range(a, b)
    if what == "errors":
        group, either = _compare_frame(store, p, a, b, "start_time")
        where = [*spans_where(p, project_id, time), either]
        table, success = store.spans_table, "status = 'error'"
    elif what == "hallucinations":
        group, either = _compare_frame(store, p, a, b, "span_start_time")
        where = [
            f"project_id = {p.text(project_id)}",
            p.in_range("span_start_time", time),
            f"name = {p.text(HALLUCINATION)}",
            "value IS NOT NULL",
            either,
        ]
        table, success = store.scores_table, "value >= 0.5"
    else:
        raise QueryError(f"cannot count {what!r}; use errors or hallucinations")
    return _count_groups(store, p, table, group, success, where)


def _count_groups(
    store: ClickHouseTelemetryStore,
    p: Params,
    table: str,
    group: str,
    success: str,
    where: list[str],
) -> dict[str, CountGroup]:
    sql = f"""
        SELECT {group} AS g, count(), countIf({success}) FROM {table} FINAL
        WHERE {" AND ".join(where)} GROUP BY g"""
    _, rows = store.query_rows(sql, p.values, "count per group")
    return {str(g): CountGroup(str(g), int(n), int(x)) for g, n, x in rows}


def user_ranks(
    store: ClickHouseTelemetryStore, project_id: str, time: TimeRange, measure: str
) -> RankSample:
    """Pooled ranking of latency or score over every call of the range, grouped by user."""
    p = Params()
    if measure == "score":
        where = scores_where(p, project_id, time, None)
        return _rank_sample(store, p, store.scores_table, "value", "ifNull(user_id, '')", where)
    if measure not in SPAN_MEASURES:
        raise QueryError(f"measure {measure!r} is not one of latency, cost, score")
    where = spans_where(p, project_id, time)
    return _rank_sample(
        store, p, store.spans_table, SPAN_MEASURES[measure], "ifNull(user_id, '')", where
    )


def user_counts(
    store: ClickHouseTelemetryStore, project_id: str, time: TimeRange
) -> dict[str, CountGroup]:
    """Calls and errors per user ('' = calls without a user)."""
    p = Params()
    where = spans_where(p, project_id, time)
    return _count_groups(
        store, p, store.spans_table, "ifNull(user_id, '')", "status = 'error'", where
    )
