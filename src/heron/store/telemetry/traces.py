"""Trace summaries: one row per trace whose root span started in the range.

The root is the earliest span with no parent, or whose parent is not in the
stored trace (an upstream service that does not export to heron). To tell a
root from a child whose parent started just before the range, the spans of
candidate traces are read ``TRACE_WINDOW`` beyond both ends of the range:
traces longer than that are summarized from the spans inside the widened
window only.

A filter on a span field matches a trace if ANY of its spans matches (a trace
whose LLM span used model X matches ``model=X``). Token and cost totals skip
spans with ``duplicate_of`` set; ``cost_usd`` is None when no span had a cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from heron.model import TimeRange, TraceFilter, TraceSummary
from heron.store.telemetry.rows import to_utc
from heron.store.telemetry.sql import LLM_KINDS_SQL, NOT_DUPLICATE_SQL, Params

__all__ = [
    "TRACE_WINDOW",
    "Candidates",
    "RootDetail",
    "build_summary",
    "candidates_sql",
    "first_candidates",
    "root_details_sql",
    "summaries_sql",
]

TRACE_WINDOW = timedelta(hours=1)

# Filters that match when any span of the trace has this exact column value.
_EQUALITY_FILTERS = (
    "model",
    "provider",
    "user_id",
    "session_id",
    "prompt_template_hash",
    "service_name",
)
_SEARCH_COLUMNS = ("input_value", "output_value", "input_messages", "output_messages")


def summaries_sql(
    spans: str,
    project_id: str,
    flt: TraceFilter,
    *,
    ascending: bool,
    after: tuple[datetime, str] | None,
    limit: int,
    candidates: Candidates | None = None,
) -> tuple[str, dict[str, Any]]:
    """SQL for up to ``limit`` trace aggregates in root start order, after ``after``.

    Without ``candidates`` the traces that can match are found by a subquery over
    the range; with them (from ``candidates_sql``) only those traces are read,
    between their first and last candidate span start widened by ``TRACE_WINDOW``.
    """
    p = Params()
    project = p.text(project_id)
    conditions = _narrowing(p, flt)
    # "No span failed" is the one filter that is not "some span matches".
    having = ["max(status = 'error') = 0"] if flt.status == "ok" else []
    if candidates is None:
        widened = TimeRange(flt.time.start - TRACE_WINDOW, flt.time.end + TRACE_WINDOW)
        # A matching span may start after the range (a late child of a trace rooted in
        # it; on later pages the range ends at the cursor): look as far as the window.
        # The matching span then lies inside the aggregated window, so the subquery
        # alone decides "some span matches": no HAVING repeats it (for `q` that would
        # scan every candidate trace's text a second time).
        searched = TimeRange(flt.time.start, widened.end) if conditions else flt.time
        narrowing = "".join(f" AND {c}" for c in conditions)
        matching = f"""SELECT trace_id FROM {spans}
          WHERE project_id = {project} AND {p.in_range("start_time", searched)}{narrowing}"""
    else:
        # Given candidates were found elsewhere: check each condition on the trace.
        having += [f"countIf({c}) > 0" for c in conditions]
        widened = TimeRange(
            min(candidates.values()) - TRACE_WINDOW,
            max(candidates.values()) + TRACE_WINDOW + _MICROSECOND,
        )
        matching = p.add(sorted(candidates), "Array(String)")
    outer = [p.in_range("start_time", flt.time)]
    if after is not None:
        op = ">" if ascending else "<"
        outer.append(f"(start_time, trace_id) {op} ({p.time(after[0])}, {p.text(after[1])})")
    if flt.min_duration_ms is not None:
        outer.append(f"duration_ms >= {p.add(float(flt.min_duration_ms), 'Float64')}")
    direction = "ASC" if ascending else "DESC"
    sql = f"""
SELECT trace_id, root.1 AS start_time, root.2 AS root_span_id,
       (toUnixTimestamp64Micro(max_end) - toUnixTimestamp64Micro(root.1)) / 1000.0 AS duration_ms,
       span_count, llm_calls, t_total_tokens, t_input_tokens, t_output_tokens, cost, cost_n,
       has_error, t_user_id, t_session_id, t_service_name, models, t_tags
FROM (
    SELECT trace_id,
           groupArray((start_time, span_id, ifNull(parent_span_id, ''))) AS sp,
           arrayMap(x -> x.2, sp) AS ids,
           arrayFilter(x -> x.3 = '' OR NOT has(ids, x.3), sp) AS roots,
           if(empty(roots), arraySort(sp)[1], arraySort(roots)[1]) AS root,
           count() AS span_count,
           countIf({LLM_KINDS_SQL} AND {NOT_DUPLICATE_SQL}) AS llm_calls,
           sumIf(total_tokens, {NOT_DUPLICATE_SQL}) AS t_total_tokens,
           sumIf(input_tokens, {NOT_DUPLICATE_SQL}) AS t_input_tokens,
           sumIf(output_tokens, {NOT_DUPLICATE_SQL}) AS t_output_tokens,
           sumIf(cost_usd, {NOT_DUPLICATE_SQL}) AS cost,
           countIf(cost_usd IS NOT NULL AND {NOT_DUPLICATE_SQL}) AS cost_n,
           max(end_time) AS max_end,
           max(status = 'error') AS has_error,
           argMinIf(user_id, start_time, user_id IS NOT NULL) AS t_user_id,
           argMinIf(session_id, start_time, session_id IS NOT NULL) AS t_session_id,
           argMinIf(service_name, start_time, service_name IS NOT NULL) AS t_service_name,
           arraySort(groupUniqArrayIf(assumeNotNull(model), model IS NOT NULL)) AS models,
           arraySort(groupUniqArrayArray(tags)) AS t_tags
    FROM {spans}
    WHERE project_id = {project} AND {p.in_range("start_time", widened)}
      AND trace_id IN ({matching})
    GROUP BY trace_id
    {"HAVING " + " AND ".join(having) if having else ""}
)
WHERE {" AND ".join(outer)}
ORDER BY start_time {direction}, trace_id {direction}
LIMIT {p.add(limit, "UInt32")}
"""
    return sql, p.values


# trace_id -> earliest start of its spans that match the filter.
Candidates = dict[str, datetime]
_MICROSECOND = timedelta(microseconds=1)


def candidates_sql(spans: str, project_id: str, flt: TraceFilter) -> tuple[str, dict[str, Any]]:
    """SQL for the traces with a span in the range matching ``flt``'s span-level filters.

    Rows are (trace_id, earliest matching span start). Reads only the key and the
    filtered columns, so finding a session's few traces in 30 days stays cheap.
    """
    p = Params()
    narrowing = "".join(f" AND {c}" for c in _narrowing(p, flt))
    sql = f"""
SELECT trace_id, min(start_time)
FROM {spans}
WHERE project_id = {p.text(project_id)} AND {p.in_range("start_time", flt.time)}{narrowing}
GROUP BY trace_id
"""
    return sql, p.values


def first_candidates(
    candidates: Candidates, after: tuple[datetime, str] | None, limit: int
) -> Candidates:
    """The candidates that can hold the first ``limit`` traces in root start order after ``after``.

    A trace's root starts at most ``TRACE_WINDOW`` before its matching spans (the
    window every summary assumes) and never after them. So a trace whose matching
    spans start after the ``limit``-th earliest candidate plus the window has
    ``limit`` traces rooted before it, and a trace whose matching spans start
    before ``after`` is rooted before it: both can be left out exactly.
    """
    kept = sorted(
        (start, trace_id)
        for trace_id, start in candidates.items()
        if after is None or start >= after[0]
    )
    if len(kept) > limit:
        horizon = kept[limit - 1][0] + TRACE_WINDOW
        kept = [(start, trace_id) for start, trace_id in kept if start <= horizon]
    return {trace_id: start for start, trace_id in kept}


def _narrowing(p: Params, flt: TraceFilter) -> list[str]:
    """Span-level conditions a matching trace must have at least one span for.

    Applied to the candidate subquery, they keep the aggregation to the traces that
    can match (one session among 200k traces) instead of grouping all of them; with
    candidates given, ``summaries_sql`` checks them per trace in HAVING.
    """
    conditions = [
        f"{name} = {p.text(getattr(flt, name))}"
        for name in _EQUALITY_FILTERS
        if getattr(flt, name) is not None
    ]
    if flt.tag is not None:
        conditions.append(f"has(tags, {p.text(flt.tag)})")
    if flt.q:
        conditions.append(f"({_text_hit(p, flt.q)})")
    if flt.status == "error":
        conditions.append("status = 'error'")
    return conditions


def _text_hit(p: Params, text: str) -> str:
    """A span whose input or output contains ``text`` (case-insensitive)."""
    q = p.text(text)
    return " OR ".join(
        f"positionCaseInsensitiveUTF8(ifNull({column}, ''), {q}) > 0"
        if column.endswith("_value")
        else f"positionCaseInsensitiveUTF8({column}, {q}) > 0"
        for column in _SEARCH_COLUMNS
    )


@dataclass(frozen=True, slots=True)
class RootDetail:
    """The root span's own text fields, read only for the traces of one page."""

    name: str
    service_name: str | None
    input_preview: str
    output_preview: str


def root_details_sql(
    spans: str, project_id: str, roots: Sequence[tuple[str, str, datetime]]
) -> tuple[str, dict[str, Any]]:
    """SQL for the root span details of ``roots`` (trace_id, span_id, start_time)."""
    p = Params()
    starts = [start for _, _, start in roots]
    sql = f"""
SELECT trace_id, span_id, name, service_name, input_preview, output_preview
FROM {spans}
WHERE project_id = {p.text(project_id)}
  AND start_time >= {p.time(min(starts))} AND start_time <= {p.time(max(starts))}
  AND trace_id IN {p.add([t for t, _, _ in roots], "Array(String)")}
  AND span_id IN {p.add([s for _, s, _ in roots], "Array(String)")}
"""
    return sql, p.values


def build_summary(
    row: Sequence[Any], detail: RootDetail | None, eval_score: float | None
) -> TraceSummary:
    """A ``TraceSummary`` from one row of ``summaries_sql`` plus its root's details."""
    (
        trace_id,
        start,
        root_span_id,
        duration_ms,
        span_count,
        llm_calls,
        total_tokens,
        input_tokens,
        output_tokens,
        cost,
        cost_n,
        has_error,
        user_id,
        session_id,
        service_name,
        models,
        tags,
    ) = row
    return TraceSummary(
        trace_id=trace_id,
        root_span_id=root_span_id or None,
        name=detail.name if detail else "",
        start_time=to_utc(start),
        duration_ms=float(duration_ms),
        span_count=int(span_count),
        llm_call_count=int(llm_calls),
        total_tokens=int(total_tokens),
        input_tokens=int(input_tokens),
        output_tokens=int(output_tokens),
        cost_usd=float(cost) if cost_n else None,
        error=bool(has_error),
        user_id=user_id,
        session_id=session_id,
        service_name=(detail.service_name if detail and detail.service_name else service_name),
        models=list(models),
        tags=list(tags),
        input_preview=detail.input_preview or None if detail else None,
        output_preview=detail.output_preview or None if detail else None,
        eval_score=eval_score,
    )
