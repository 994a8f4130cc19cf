"""SQL of prompt templates: aggregates, example and text, variables, worst and lowest calls.

Like every analytics query (see ``heron.store.telemetry.analytics``) these are
bound to one project and a time range, read LLM calls only and leave out
``duplicate_of`` spans.

Cost at scale (one template with ~380k calls in 24 h, 1M spans, chDB): each
read of the template's calls costs a filter scan of the range (~40-50 ms
before reading any measure), so the detail of one template asks for few of
them: the aggregate, the example call (which also brings the full template
text: every call of a template has its text), the worst calls (an ``ORDER BY
... LIMIT`` that reads the wide columns of the ten rows only) and the
variables, whose caller may narrow the range to the latest calls (see
``heron.analytics.prompts.template_detail``). The sorting key prunes by hour
only (``toStartOfHour(start_time)`` then ``trace_id``), so a narrower range
saves whole hours, not minutes.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from heron.model import TimeRange
from heron.model.analytics import CallRef, TemplateStats, VariableStats, VersionStats
from heron.store.telemetry.analytics_sql import (
    HALLUCINATION,
    scores_where,
    spans_from,
    spans_where,
    to_float,
)
from heron.store.telemetry.rows import to_utc
from heron.store.telemetry.sql import TIME64, Params, format_time_param

if TYPE_CHECKING:
    from heron.store.telemetry.store import ClickHouseTelemetryStore

__all__ = [
    "lowest_scored_calls",
    "template_stats",
    "template_text",
    "template_variables",
    "worst_calls",
]


def template_stats(
    store: ClickHouseTelemetryStore,
    project_id: str,
    time: TimeRange,
    template_hash: str | None = None,
) -> list[TemplateStats]:
    """Per-template aggregates of the range (one template when ``template_hash`` is given).

    With ``template_hash`` the example call's full template text is read too
    (``TemplateStats.template_text``): the same row, so no second lookup; and
    the same scan aggregates each recorded version (``TemplateStats.by_version``,
    a grouping set next to the whole template's).
    """
    p = Params()
    where = [*spans_where(p, project_id, time), "prompt_template_hash IS NOT NULL"]
    if template_hash is not None:
        where.append(f"prompt_template_hash = {p.text(template_hash)}")
        version_columns = "grouping(prompt_template_version), prompt_template_version"
        group_by = (
            "GROUPING SETS ((prompt_template_hash), "
            "(prompt_template_hash, prompt_template_version))"
        )
    else:
        version_columns, group_by = "1, NULL", "prompt_template_hash"
    sql = f"""
        SELECT prompt_template_hash, count(), countIf(status = 'error'), avg(duration_ms),
               quantileExactInclusive(0.95)(duration_ms),
               quantileExactInclusive(0.95)(ttft_ms), countIf(ttft_ms IS NOT NULL),
               avg(input_tokens), avg(output_tokens),
               sum(cost_usd), countIf(cost_usd IS NOT NULL),
               min(start_time), max(start_time),
               arraySort(groupUniqArray(50)(prompt_template_version)), {version_columns}
        FROM {spans_from(store)}
        WHERE {" AND ".join(where)}
        GROUP BY {group_by}"""
    _, every = store.query_rows(sql, p.values, "aggregate prompt templates")
    rows = [r for r in every if r[14]]  # the whole template (version not grouped)
    if not rows:
        return []
    by_version = sorted(
        (_version_stats(r) for r in every if not r[14]),
        key=lambda v: (v.first_seen, v.version or ""),
    )
    last_seen = {str(r[0]): to_utc(r[12]) for r in rows}
    examples = _latest_calls(store, project_id, time, last_seen, template_hash is not None)
    result: dict[str, TemplateStats] = {}
    for row in rows:
        trace_id, preview, template = examples.get(str(row[0]), ("", "", None))
        full = template if template_hash is not None else None
        result[str(row[0])] = TemplateStats(
            prompt_template_hash=str(row[0]),
            **_aggregates(row),
            ttft_p95_ms=to_float(row[5]) if row[6] else None,
            versions=[str(v) for v in row[13]],
            example_trace_id=trace_id,
            example_preview=preview,
            template_preview=template[:200] if template is not None else None,
            template_text=full,
            by_version=by_version,
        )
    _add_template_scores(store, project_id, time, template_hash, result)
    return list(result.values())


def _aggregates(row: Sequence[Any]) -> dict[str, Any]:
    """The figures a template and each of its versions share, from a ``template_stats`` row."""
    return {
        "calls": int(row[1]),
        "errors": int(row[2]),
        "latency_avg_ms": float(row[3]),
        "latency_p95_ms": float(row[4]),
        "input_tokens_avg": float(row[7]),
        "output_tokens_avg": float(row[8]),
        "cost_usd": float(row[9]) if row[10] else None,
        "priced_calls": int(row[10]),
        "first_seen": to_utc(row[11]),
        "last_seen": to_utc(row[12]),
    }


def _version_stats(row: Sequence[Any]) -> VersionStats:
    return VersionStats(version=None if row[15] is None else str(row[15]), **_aggregates(row))


def _latest_calls(
    store: ClickHouseTelemetryStore,
    project_id: str,
    time: TimeRange,
    last_seen: dict[str, datetime],
    full_text: bool = False,
) -> dict[str, tuple[str, str, str | None]]:
    """Template hash -> (trace id, input preview, template's first 200 characters, or its
    whole text with ``full_text``).

    The example of a template is its call at ``last_seen``: looked up by start
    time (the sorting key's hour narrows the read to a few granules) rather
    than by ``argMax(span_id, start_time)``, which reads two id columns in full.
    """
    p = Params()
    where = spans_where(p, project_id, time)
    hashes = p.add(list(last_seen), "Array(String)")
    times = p.add([format_time_param(t) for t in set(last_seen.values())], f"Array({TIME64})")
    where += [f"prompt_template_hash IN {hashes}", f"start_time IN {times}"]
    sql = f"""
        SELECT prompt_template_hash, start_time, trace_id, input_preview,
               {"prompt_template" if full_text else "substring(prompt_template, 1, 200)"}
        FROM {spans_from(store)} WHERE {" AND ".join(where)}
        ORDER BY prompt_template_hash, span_id"""
    _, rows = store.query_rows(sql, p.values, "read example previews")
    result: dict[str, tuple[str, str, str | None]] = {}
    for key, start, trace_id, preview, template in rows:
        if to_utc(start) == last_seen.get(str(key)):
            result.setdefault(str(key), (str(trace_id), str(preview), template))
    return result


def _add_template_scores(
    store: ClickHouseTelemetryStore,
    project_id: str,
    time: TimeRange,
    template_hash: str | None,
    result: dict[str, TemplateStats],
) -> None:
    p = Params()
    where = [
        f"project_id = {p.text(project_id)}",
        p.in_range("span_start_time", time),
        "prompt_template_hash IS NOT NULL",
    ]
    if template_hash is not None:
        where.append(f"prompt_template_hash = {p.text(template_hash)}")
    name = p.text(HALLUCINATION)
    sql = f"""
        SELECT prompt_template_hash,
               avgIf(value, name != {name} AND value IS NOT NULL),
               countIf(name != {name} AND value IS NOT NULL),
               countIf(name = {name} AND value >= 0.5),
               countIf(name = {name} AND value IS NOT NULL)
        FROM {store.scores_table} FINAL WHERE {" AND ".join(where)}
        GROUP BY prompt_template_hash"""
    _, rows = store.query_rows(sql, p.values, "aggregate template scores")
    for key, avg_score, scored, hallucinated, judged in rows:
        stats = result.get(str(key))
        if stats is None:
            continue
        stats.scored, stats.judged = int(scored), int(judged)
        stats.avg_score = float(avg_score) if scored else None
        stats.hallucination_rate = int(hallucinated) / int(judged) if judged else None


def template_variables(
    store: ClickHouseTelemetryStore,
    project_id: str,
    time: TimeRange,
    template_hash: str,
    top: int = 5,
) -> list[VariableStats]:
    """Each variable of the template: calls that set it, distinct values, top values, and
    the calls read (``of_calls``, with or without the variable)."""
    p = Params()
    where = _calls_where(p, project_id, time, template_hash)
    # Calls of a template mostly repeat a few variable sets: count each distinct JSON
    # text first, so each is parsed once instead of once per call.
    sql = f"""
        SELECT k, v, c, sum(c) OVER (PARTITION BY k), count() OVER (PARTITION BY k), total
        FROM (
            SELECT kv.1 AS k, substring(kv.2, 1, 200) AS v, sum(n) AS c, any(total) AS total
            FROM (
                SELECT j, n, sum(n) OVER () AS total
                FROM (
                    SELECT prompt_template_variables AS j, count() AS n
                    FROM {spans_from(store)} WHERE {" AND ".join(where)}
                    GROUP BY j
                )
            )
            ARRAY JOIN JSONExtractKeysAndValuesRaw(j) AS kv
            GROUP BY k, v
        )
        ORDER BY k, c DESC, v
        LIMIT {p.add(top, "UInt32")} BY k"""
    _, rows = store.query_rows(sql, p.values, "read template variables")
    result: dict[str, VariableStats] = {}
    for key, raw, count, calls, distinct, total in rows:
        stats = result.setdefault(
            str(key), VariableStats(str(key), int(calls), int(distinct), of_calls=int(total))
        )
        stats.top.append((_json_text(str(raw)), int(count)))
    return list(result.values())


def _json_text(raw: str) -> str:
    """A raw JSON value as display text: strings unquoted, anything else as written."""
    try:
        value = json.loads(raw)
    except ValueError:
        return raw  # cut at 200 characters mid-value
    return value if isinstance(value, str) else raw


_CALL_COLUMNS = (
    "trace_id, span_id, start_time, status, duration_ms, model, "
    "coalesce(error_type, status_message), input_preview"
)


def _calls_where(p: Params, project_id: str, time: TimeRange, template_hash: str) -> list[str]:
    """Conditions selecting the template's calls in the range (a list to extend)."""
    return [*spans_where(p, project_id, time), f"prompt_template_hash = {p.text(template_hash)}"]


def _call(row: Sequence[Any]) -> CallRef:
    return CallRef(
        trace_id=str(row[0]),
        span_id=str(row[1]),
        start_time=to_utc(row[2]),
        status=str(row[3]),
        duration_ms=float(row[4]),
        model=row[5],
        error=row[6],
        preview=str(row[7]),
    )


def worst_calls(
    store: ClickHouseTelemetryStore,
    project_id: str,
    time: TimeRange,
    template_hash: str,
    limit: int = 10,
) -> list[CallRef]:
    """The template's failed calls first, then its slowest."""
    p = Params()
    where = _calls_where(p, project_id, time, template_hash)
    sql = f"""
        SELECT {_CALL_COLUMNS} FROM {spans_from(store)}
        WHERE {" AND ".join(where)}
        ORDER BY status = 'error' DESC, duration_ms DESC, span_id
        LIMIT {p.add(limit, "UInt32")}"""
    _, rows = store.query_rows(sql, p.values, "read worst calls")
    return [_call(row) for row in rows]


def lowest_scored_calls(
    store: ClickHouseTelemetryStore,
    project_id: str,
    time: TimeRange,
    template_hash: str,
    limit: int = 10,
) -> list[CallRef]:
    """The template's calls with the lowest numeric scores (hallucination flags excluded)."""
    p = Params()
    where = scores_where(p, project_id, time, None)
    where.append(f"prompt_template_hash = {p.text(template_hash)}")
    sql = f"""
        SELECT trace_id, ifNull(span_id, ''), name, value FROM {store.scores_table} FINAL
        WHERE {" AND ".join(where)}
        ORDER BY value, created_at, score_id
        LIMIT {p.add(limit, "UInt32")}"""
    _, scores = store.query_rows(sql, p.values, "read lowest scores")
    if not scores:
        return []
    p = Params()
    where = _calls_where(p, project_id, time, template_hash)
    where.append(f"trace_id IN {p.add(sorted({str(s[0]) for s in scores}), 'Array(String)')}")
    sql = f"""
        SELECT {_CALL_COLUMNS} FROM {spans_from(store)}
        WHERE {" AND ".join(where)} ORDER BY start_time"""
    _, rows = store.query_rows(sql, p.values, "read scored calls")
    by_span = {str(r[1]): _call(r) for r in rows}
    by_trace: dict[str, CallRef] = {}
    for call in by_span.values():
        by_trace.setdefault(call.trace_id, call)
    result: list[CallRef] = []
    for trace_id, span_id, name, value in scores:
        found = by_span.get(str(span_id)) or by_trace.get(str(trace_id))
        if found is None:
            continue
        result.append(dataclasses.replace(found, score=float(value), score_name=str(name)))
    return result


def template_text(
    store: ClickHouseTelemetryStore, project_id: str, time: TimeRange, template_hash: str
) -> str | None:
    """The full text of the template's most recent call in the range (None if never seen)."""
    p = Params()
    where = _calls_where(p, project_id, time, template_hash)
    sql = f"""
        SELECT prompt_template FROM {spans_from(store)}
        WHERE {" AND ".join(where)} ORDER BY start_time DESC LIMIT 1"""
    _, rows = store.query_rows(sql, p.values, "read a template")
    return rows[0][0] if rows else None
