"""SQL of usage analytics: per-user usage, cost attribution, cache reads, context pressure.

Like every analytics query: LLM calls only, duplicates excluded, bound to one
project and time range. ``cost_rollup`` answers a whole cost report (totals,
trailing week, bucketed series, project totals) in one scan with grouping
sets, instead of one scan per figure.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from heron.errors import QueryError
from heron.model import BUCKETS, TimeRange
from heron.model.analytics import (
    CONTEXT_HISTOGRAM_EDGES,
    CacheUsage,
    CostPoint,
    PressureRow,
    UsagePoint,
)
from heron.store.telemetry.analytics_sql import COST_DIMENSIONS, spans_from, spans_where, to_float
from heron.store.telemetry.rows import to_utc
from heron.store.telemetry.sql import Params

if TYPE_CHECKING:
    from collections.abc import Sequence

    from heron.store.telemetry.store import ClickHouseTelemetryStore

__all__ = [
    "ROLLUP_PARTS",
    "cache_usage",
    "context_pressure",
    "cost_points",
    "cost_rollup",
    "user_usage",
]

# The parts of a cost_rollup answer.
ROLLUP_PARTS = ("totals", "week", "series", "project", "project_week")


def _bucket_expr(p: Params, bucket: str) -> str:
    if bucket not in BUCKETS:
        raise QueryError(f"bucket {bucket!r} is not one of {', '.join(BUCKETS)}")
    seconds = p.add(BUCKETS[bucket], "UInt32")
    return f"toDateTime(intDiv(toUnixTimestamp(start_time), {seconds}) * {seconds}, 'UTC')"


def _keys_expr(by: str) -> str:
    """The array of ``by`` values of a call (several for tags, one otherwise)."""
    if by not in COST_DIMENSIONS:
        raise QueryError(
            f"cannot attribute cost by {by!r}; use one of {', '.join(COST_DIMENSIONS)}"
        )
    return COST_DIMENSIONS[by]


def user_usage(
    store: ClickHouseTelemetryStore, project_id: str, user_id: str, time: TimeRange, bucket: str
) -> list[UsagePoint]:
    """Requests, tokens and cost of one user per bucket (buckets without calls omitted)."""
    p = Params()
    where = [*spans_where(p, project_id, time), f"user_id = {p.text(user_id)}"]
    sql = f"""
        SELECT {_bucket_expr(p, bucket)} AS b, count(), countIf(status = 'error'),
               sum(input_tokens), sum(output_tokens), sum(cached_input_tokens),
               sum(total_tokens), sum(cost_usd), countIf(cost_usd IS NOT NULL)
        FROM {spans_from(store)} WHERE {" AND ".join(where)}
        GROUP BY b ORDER BY b"""
    _, rows = store.query_rows(sql, p.values, "aggregate user usage")
    return [
        UsagePoint(
            to_utc(r[0]),
            int(r[1]),
            int(r[2]),
            int(r[3]),
            int(r[4]),
            int(r[5]),
            int(r[6]),
            float(r[7]) if r[8] else None,
        )
        for r in rows
    ]


def _point(key: str | None, bucket_start: Any, r: Sequence[Any]) -> CostPoint:
    """A CostPoint from six aggregates: requests, tokens in/out/cached, cost, priced calls."""
    return CostPoint(
        key=key,
        bucket_start=to_utc(bucket_start) if bucket_start is not None else None,
        requests=int(r[0]),
        input_tokens=int(r[1]),
        output_tokens=int(r[2]),
        cached_input_tokens=int(r[3]),
        cost_usd=float(r[4] or 0),
        priced_calls=int(r[5]),
    )


def cost_points(
    store: ClickHouseTelemetryStore,
    project_id: str,
    time: TimeRange,
    by: str | None,
    bucket: str | None,
) -> list[CostPoint]:
    """Cost and tokens per ``by`` value (None: the whole project) and per bucket (None: total)."""
    p = Params()
    where = spans_where(p, project_id, time)
    keys = _keys_expr(by) if by is not None else "['']"
    bucket_sql = _bucket_expr(p, bucket) if bucket is not None else "toDateTime(0, 'UTC')"
    sql = f"""
        SELECT k, {bucket_sql} AS b, count(), sum(input_tokens), sum(output_tokens),
               sum(cached_input_tokens), sum(cost_usd), countIf(cost_usd IS NOT NULL)
        FROM {spans_from(store)} ARRAY JOIN {keys} AS k WHERE {" AND ".join(where)}
        GROUP BY k, b ORDER BY k, b"""
    _, rows = store.query_rows(sql, p.values, "attribute cost")
    return [
        _point(
            (str(r[0]) or None) if by is not None else None,
            r[1] if bucket is not None else None,
            r[2:],
        )
        for r in rows
    ]


def cost_rollup(
    store: ClickHouseTelemetryStore,
    project_id: str,
    time: TimeRange,
    week: TimeRange,
    by: str,
    bucket: str | None,
) -> dict[str, list[CostPoint]]:
    """Everything a cost report needs, in one scan of ``time`` and ``week``.

    Parts (``ROLLUP_PARTS``): ``totals`` per ``by`` value over ``time``;
    ``week`` the same over ``week`` (only ``cost_usd`` is meaningful there);
    ``series`` per value and bucket over ``time`` (empty without a bucket);
    ``project`` and ``project_week`` the project's totals, each call counted
    once even when it has several tags. Equal to the matching ``cost_points``.
    """
    p = Params()
    keys = _keys_expr(by)
    scan = TimeRange(min(time.start, week.start), max(time.end, week.end))
    where = spans_where(p, project_id, scan)
    in_time, in_week = p.in_range("start_time", time), p.in_range("start_time", week)
    bucket_sql = _bucket_expr(p, bucket) if bucket is not None else "toDateTime(0, 'UTC')"
    # Without a bucket b is constant, so (k, b) is the per-value total.
    sets = "(k, b), (k), ()" if bucket is not None else "(k, b), ()"

    def figures(cond: str) -> str:
        return (
            f"countIf({cond}), sumIf(input_tokens, {cond}), sumIf(output_tokens, {cond}), "
            f"sumIf(cached_input_tokens, {cond}), sumIf(cost_usd, {cond}), "
            f"countIf(cost_usd IS NOT NULL AND {cond})"
        )

    # ki = 1 marks a call's first key: project totals count a call once, not once per tag.
    # With one key per call the project figures are the per-key ones (computed once).
    first = "" if keys.startswith("[") else " AND ki = 1"
    sql = f"""
        SELECT grouping(k), grouping(b), k, b,
               {figures("t")}, {figures("w")},
               {figures("t" + first)}, {figures("w" + first)}
        FROM (
            SELECT k, ki, {bucket_sql} AS b, {in_time} AS t, {in_week} AS w,
                   input_tokens, output_tokens, cached_input_tokens, cost_usd
            FROM {spans_from(store)}
            ARRAY JOIN {keys} AS k, arrayEnumerate({keys}) AS ki
            WHERE {" AND ".join(where)}
        )
        GROUP BY GROUPING SETS ({sets})"""
    _, rows = store.query_rows(sql, p.values, "attribute cost")
    parts: dict[str, list[CostPoint]] = {name: [] for name in ROLLUP_PARTS}
    for row in rows:
        without_key, without_bucket, key, start = bool(row[0]), bool(row[1]), row[2], row[3]
        figures_t, figures_w = row[4:10], row[10:16]
        if without_key:  # the () set: project totals
            parts["project"].append(_point(None, None, row[16:22]))
            parts["project_week"].append(_point(None, None, row[22:28]))
        elif bucket is not None and not without_bucket:
            if figures_t[0]:  # buckets only in the trailing week are not in the series
                parts["series"].append(_point(str(key) or None, start, figures_t))
        else:
            if figures_t[0]:
                parts["totals"].append(_point(str(key) or None, None, figures_t))
            if figures_w[0]:
                parts["week"].append(_point(str(key) or None, None, figures_w))
    parts["series"].sort(key=lambda c: (c.key or "", c.bucket_start or 0))
    return parts


def cache_usage(
    store: ClickHouseTelemetryStore, project_id: str, time: TimeRange
) -> list[CacheUsage]:
    """Cache-read tokens per model (calls that read a cache only)."""
    p = Params()
    where = [*spans_where(p, project_id, time), "cached_input_tokens > 0"]
    sql = f"""
        SELECT model, provider, request_model, response_model, count(),
               sum(cached_input_tokens), max(start_time)
        FROM {spans_from(store)} WHERE {" AND ".join(where)}
        GROUP BY model, provider, request_model, response_model
        ORDER BY sum(cached_input_tokens) DESC"""
    _, rows = store.query_rows(sql, p.values, "sum cached tokens")
    return [CacheUsage(r[0], r[1], r[2], r[3], int(r[4]), int(r[5]), to_utc(r[6])) for r in rows]


# -- context window ----------------------------------------------------------------------


def context_pressure(
    store: ClickHouseTelemetryStore, project_id: str, time: TimeRange, examples: int = 3
) -> list[PressureRow]:
    """Utilization distribution overall, per model and per template, in one scan.

    The example traces that hit the ``length`` finish reason come from a second
    query over those calls only, so the scan does not read every trace id.
    """
    p = Params()
    where = spans_where(p, project_id, time)
    edges = [*CONTEXT_HISTOGRAM_EDGES, float("inf")]
    bins = ", ".join(
        f"countIf(u >= {lo} AND u < {hi})" if hi != float("inf") else f"countIf(u >= {lo})"
        for lo, hi in itertools.pairwise(edges)
    )
    columns = (
        "ifNull(model, '') AS m, ifNull(prompt_template_hash, '') AS h, "
        "context_window_utilization AS u, has(finish_reasons, 'length') AS l"
    )
    sql = f"""
        SELECT grouping(m), grouping(h), m, h, count(), countIf(u IS NOT NULL),
               quantileExactInclusive(0.5)(u), quantileExactInclusive(0.95)(u), max(u),
               [{bins}], countIf(u > 0.8), countIf(u > 0.95), countIf(l)
        FROM (SELECT {columns} FROM {spans_from(store)} WHERE {" AND ".join(where)})
        GROUP BY GROUPING SETS ((), (m), (h))"""
    _, rows = store.query_rows(sql, p.values, "measure context pressure")
    length = _length_examples(store, project_id, time, examples)
    result = []
    for r in rows:
        if not r[4]:  # the () set of an empty range
            continue
        level, key = (
            ("all", "") if r[0] and r[1] else ("model", r[2]) if r[1] else ("template", r[3])
        )
        measured = int(r[5])
        result.append(
            PressureRow(
                level=level,
                key=str(key) or None,
                calls=int(r[4]),
                measured=measured,
                p50=to_float(r[6]) if measured else None,
                p95=to_float(r[7]) if measured else None,
                max=to_float(r[8]) if measured else None,
                histogram=[int(c) for c in r[9]],
                over_80=int(r[10]),
                over_95=int(r[11]),
                length_finishes=int(r[12]),
                length_examples=length.get((level, str(key)), []),
            )
        )
    result.sort(key=lambda row: (row.level, row.key or ""))
    return result


def _length_examples(
    store: ClickHouseTelemetryStore, project_id: str, time: TimeRange, examples: int
) -> dict[tuple[str, str], list[str]]:
    """(level, key) -> up to ``examples`` traces whose call stopped at the length limit."""
    p = Params()
    where = [*spans_where(p, project_id, time), "has(finish_reasons, 'length')"]
    sql = f"""
        SELECT lk.1, lk.2, groupArray({p.add(examples, "UInt32")})(trace_id)
        FROM (
            SELECT arrayJoin([('all', ''), ('model', ifNull(model, '')),
                              ('template', ifNull(prompt_template_hash, ''))]) AS lk, trace_id
            FROM {spans_from(store)} WHERE {" AND ".join(where)}
        )
        GROUP BY lk"""
    _, rows = store.query_rows(sql, p.values, "read length-limited calls")
    return {(str(level), str(key)): [str(t) for t in traces] for level, key, traces in rows}
