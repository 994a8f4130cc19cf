"""Aggregates over LLM calls: kind ``llm`` or ``embedding``, ``duplicate_of`` empty.

Percentiles are exact (``quantilesExactInclusive``: linear interpolation
between the two closest ranks, the same definition as numpy's default and
``statistics.quantiles(method="inclusive")``); they hold every latency of a
group in memory, which at 1M spans is a few MiB.

Scores are aggregated from the scores table, which carries copies of the
scored span's model, provider, user, session, service, template hash, tags and
start time (``0002_scores.sql``), so grouping needs no join; a score falls in
the bucket of the span it scores. ``avg_score`` averages numeric scores other
than ``hallucination``; ``hallucination_rate`` is the share of numeric
``hallucination`` scores >= 0.5 (1 = hallucinated).

Group values are the values written on each span (the normalizer copies the
trace-level user, session, tags and template onto descendants it sees in the
same batch); a child stored before its root is grouped under "no value".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from heron.errors import QueryError
from heron.model import BUCKETS, GROUP_BY_FIELDS, StatsQuery, StatsRow
from heron.store.telemetry.rows import to_utc
from heron.store.telemetry.sql import LLM_KINDS_SQL, NOT_DUPLICATE_SQL, Params

__all__ = ["HALLUCINATION", "merge_rows", "scores_sql", "spans_sql"]

HALLUCINATION = "hallucination"
# Whitelist: group-by field -> SQL expression (valid on both spans and scores).
_GROUP_EXPRESSIONS: dict[str, str] = {
    field: field for field in GROUP_BY_FIELDS if field != "tag"
} | {"tag": "arrayJoin(if(empty(tags), [''], tags))"}
_FILTERS = ("model", "provider", "user_id", "prompt_template_hash")

GroupKey = tuple[tuple[Any, ...], datetime | None]


def _validate(query: StatsQuery) -> None:
    unknown = [field for field in query.group_by if field not in _GROUP_EXPRESSIONS]
    if unknown:
        raise QueryError(
            f"cannot group stats by {unknown}; allowed group_by fields are {list(GROUP_BY_FIELDS)}"
        )
    if len(set(query.group_by)) != len(query.group_by):
        raise QueryError(f"group_by {list(query.group_by)} names a field twice; list each once")
    if query.bucket is not None and query.bucket not in BUCKETS:
        raise QueryError(f"bucket {query.bucket!r} is not one of {list(BUCKETS)}")
    if query.time.end <= query.time.start:
        raise QueryError(
            f"time range ends ({query.time.end}) before it starts ({query.time.start}); "
            "swap the bounds"
        )


def _frame(
    p: Params, query: StatsQuery, time_column: str, project_id: str
) -> tuple[list[str], list[str], list[str]]:
    """(select expressions, group keys, where conditions) shared by both queries."""
    select: list[str] = []
    keys: list[str] = []
    for index, field in enumerate(query.group_by):
        select.append(f"{_GROUP_EXPRESSIONS[field]} AS g{index}")
        keys.append(f"g{index}")
    if query.bucket is not None:
        seconds = p.add(BUCKETS[query.bucket], "UInt32")
        select.append(
            f"toDateTime(intDiv(toUnixTimestamp({time_column}), {seconds}) * {seconds}, 'UTC')"
            " AS bucket_start"
        )
        keys.append("bucket_start")
    where = [f"project_id = {p.text(project_id)}", p.in_range(time_column, query.time)]
    for name in _FILTERS:
        value = getattr(query, name)
        if value is not None:
            where.append(f"{name} = {p.text(value)}")
    if query.tag is not None:
        where.append(f"has(tags, {p.text(query.tag)})")
    return select, keys, where


def _assemble(
    query: StatsQuery, select: list[str], keys: list[str], where: list[str], table: str
) -> str:
    head = f"SELECT {', '.join(select)}\nFROM {table}\nWHERE {' AND '.join(where)}"
    if query.with_totals and query.bucket is not None:
        # One scan for both: the rows without bucket_start (NULL with group_by_use_nulls)
        # are each group's totals over the range.
        groups = ", ".join(keys[:-1])
        return (
            f"{head}\nGROUP BY GROUPING SETS (({', '.join(keys)}), ({groups}))\n"
            f"ORDER BY {', '.join(keys)}\nSETTINGS group_by_use_nulls = 1"
        )
    group = f"GROUP BY {', '.join(keys)}\nORDER BY {', '.join(keys)}" if keys else ""
    return f"{head}\n{group}"


def spans_sql(spans: str, project_id: str, query: StatsQuery) -> tuple[str, dict[str, Any]]:
    """SQL for the span aggregates of ``query``: group keys first, then the measures."""
    _validate(query)
    p = Params()
    select, keys, where = _frame(p, query, "start_time", project_id)
    where += [LLM_KINDS_SQL, NOT_DUPLICATE_SQL]
    select += [
        "count()",
        "countIf(status = 'error')",
        "quantilesExactInclusive(0.5, 0.95, 0.99)(duration_ms)",
        "quantilesExactInclusive(0.5, 0.95)(ttft_ms)",
        "countIf(ttft_ms IS NOT NULL)",
        "sum(input_tokens)",
        "sum(output_tokens)",
        "sum(cached_input_tokens)",
        "sum(total_tokens)",
        "sum(cost_usd)",
        "countIf(cost_usd IS NOT NULL)",
    ]
    return _assemble(query, select, keys, where, spans), p.values


def scores_sql(scores: str, project_id: str, query: StatsQuery) -> tuple[str, dict[str, Any]]:
    """SQL for the score aggregates of ``query``, grouped like ``spans_sql``."""
    _validate(query)
    p = Params()
    select, keys, where = _frame(p, query, "span_start_time", project_id)
    name = p.text(HALLUCINATION)
    select += [
        f"avgIf(value, name != {name} AND value IS NOT NULL)",
        f"countIf(name != {name} AND value IS NOT NULL)",
        f"countIf(name = {name} AND value >= 0.5)",
        f"countIf(name = {name} AND value IS NOT NULL)",
    ]
    return _assemble(query, select, keys, where, scores), p.values


def _key(query: StatsQuery, row: Sequence[Any]) -> GroupKey:
    width = len(query.group_by)
    values = tuple(None if value == "" else value for value in row[:width])
    bucket = to_utc(row[width]) if query.bucket is not None and row[width] is not None else None
    return values, bucket


def _quantile(values: Sequence[float], index: int, present: int) -> float | None:
    if not present:
        return None
    value = float(values[index])
    return None if math.isnan(value) else value


def merge_rows(
    query: StatsQuery, span_rows: Sequence[Sequence[Any]], score_rows: Sequence[Sequence[Any]]
) -> list[StatsRow]:
    """``StatsRow``s from both queries' rows; groups without LLM calls are left out."""
    width = len(query.group_by) + (1 if query.bucket is not None else 0)
    scores = {_key(query, row): row[width:] for row in score_rows}
    result: list[StatsRow] = []
    for row in span_rows:
        (
            requests,
            errors,
            latency,
            ttft,
            ttft_n,
            tokens_in,
            tokens_out,
            cached,
            total,
            cost,
            cost_n,
        ) = row[width:]
        if not requests:
            continue
        groups, bucket = _key(query, row)
        avg_score, scored, hallucinated, judged = scores.get((groups, bucket), (None, 0, 0, 0))
        result.append(
            StatsRow(
                group=dict(zip(query.group_by, groups, strict=True)),
                bucket_start=bucket,
                requests=int(requests),
                errors=int(errors),
                error_rate=int(errors) / int(requests),
                latency_p50_ms=_quantile(latency, 0, requests),
                latency_p95_ms=_quantile(latency, 1, requests),
                latency_p99_ms=_quantile(latency, 2, requests),
                ttft_p50_ms=_quantile(ttft, 0, ttft_n),
                ttft_p95_ms=_quantile(ttft, 1, ttft_n),
                input_tokens=int(tokens_in),
                output_tokens=int(tokens_out),
                cached_input_tokens=int(cached),
                total_tokens=int(total),
                cost_usd=float(cost) if cost_n else None,
                avg_score=float(avg_score) if scored else None,
                hallucination_rate=int(hallucinated) / int(judged) if judged else None,
                score_count=int(scored),
                hallucination_count=int(judged),
            )
        )
    return result
