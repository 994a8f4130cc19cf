"""Sessions and users: activity grouped by a trace-level attribute.

Each trace belongs to the session and user of its earliest span that carries
one (so an LLM span stored without the user its root carries still counts for
that user: the read-time half of trace-level inheritance). Only spans that
started inside the range count; totals skip spans with ``duplicate_of`` set.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from heron.model import SessionSummary, TimeRange, TraceSummary, UserSummary
from heron.store.telemetry.rows import to_utc
from heron.store.telemetry.sql import LLM_KINDS_SQL, NOT_DUPLICATE_SQL, Params

__all__ = ["build_session", "build_user", "session_of", "sessions_sql", "users_sql"]

_LLM_CALL = f"{LLM_KINDS_SQL} AND {NOT_DUPLICATE_SQL}"


def _per_trace(
    spans: str, p: Params, project_id: str, time: TimeRange, extra: str, where: str = ""
) -> str:
    return f"""
    SELECT trace_id,
           argMinIf(session_id, start_time, session_id IS NOT NULL) AS t_session_id,
           argMinIf(user_id, start_time, user_id IS NOT NULL) AS t_user_id,
           min(start_time) AS t_first,
           max(end_time) AS t_last,
           sumIf(total_tokens, {NOT_DUPLICATE_SQL}) AS t_tokens,
           sumIf(cost_usd, {NOT_DUPLICATE_SQL}) AS t_cost,
           countIf(cost_usd IS NOT NULL AND {NOT_DUPLICATE_SQL}) AS t_cost_n,
           max(status = 'error') AS t_error{extra}
    FROM {spans}
    WHERE project_id = {p.text(project_id)} AND {p.in_range("start_time", time)}{where}
    GROUP BY trace_id"""


def _page(p: Params, key: str, after: tuple[datetime, str] | None, limit: int) -> str:
    cursor = ""
    if after is not None:
        cursor = f"HAVING (last_seen, {key}) < ({p.time(after[0])}, {p.text(after[1])})"
    return f"{cursor}\nORDER BY last_seen DESC, {key} DESC\nLIMIT {p.add(limit, 'UInt32')}"


def sessions_sql(
    spans: str,
    project_id: str,
    time: TimeRange,
    after: tuple[datetime, str] | None,
    limit: int,
    only: tuple[str, Sequence[str]] | None = None,
) -> tuple[str, dict[str, Any]]:
    """SQL for one page of sessions, most recently active first.

    ``only`` is (session id, its trace ids): the totals of that one session, read
    from those traces alone.
    """
    p = Params()
    where, having = "", ""
    if only is not None:
        where = f" AND trace_id IN {p.add(list(only[1]), 'Array(String)')}"
        having = f" AND t_session_id = {p.text(only[0])}"
    inner = _per_trace(spans, p, project_id, time, "", where)
    sql = f"""
SELECT assumeNotNull(t_session_id) AS session_id,
       argMinIf(t_user_id, t_first, t_user_id IS NOT NULL) AS user_id,
       count() AS trace_count, min(t_first) AS first_seen, max(t_last) AS last_seen,
       sum(t_tokens), sum(t_cost), sum(t_cost_n), countIf(t_error = 1)
FROM ({inner}
    HAVING t_session_id IS NOT NULL{having})
GROUP BY session_id
{_page(p, "session_id", after, limit)}
"""
    return sql, p.values


def users_sql(
    spans: str, project_id: str, time: TimeRange, after: tuple[datetime, str] | None, limit: int
) -> tuple[str, dict[str, Any]]:
    """SQL for one page of users, by last seen; requests and latency count LLM calls."""
    p = Params()
    extra = f""",
           countIf({_LLM_CALL}) AS t_requests,
           countIf({_LLM_CALL} AND status = 'error') AS t_errors,
           groupArrayIf(duration_ms, {_LLM_CALL}) AS t_durations"""
    inner = _per_trace(spans, p, project_id, time, extra)
    sql = f"""
SELECT assumeNotNull(t_user_id) AS user_id,
       sum(t_requests), sum(t_errors), sum(t_tokens), sum(t_cost), sum(t_cost_n),
       quantileExactInclusiveArray(0.95)(t_durations), max(t_last) AS last_seen
FROM ({inner}
    HAVING t_user_id IS NOT NULL)
GROUP BY user_id
{_page(p, "user_id", after, limit)}
"""
    return sql, p.values


def _finite(value: Any) -> float | None:
    if value is None or math.isnan(float(value)):
        return None
    return float(value)


def build_session(row: Sequence[Any]) -> SessionSummary:
    """A ``SessionSummary`` from one row of ``sessions_sql``."""
    session_id, user_id, traces, first, last, tokens, cost, cost_n, errors = row
    return SessionSummary(
        session_id=session_id,
        user_id=user_id,
        trace_count=int(traces),
        first_seen=to_utc(first),
        last_seen=to_utc(last),
        total_tokens=int(tokens),
        cost_usd=float(cost) if cost_n else None,
        error_count=int(errors),
    )


def build_user(row: Sequence[Any]) -> UserSummary:
    """A ``UserSummary`` from one row of ``users_sql``."""
    user_id, requests, errors, tokens, cost, cost_n, p95, last = row
    return UserSummary(
        user_id=user_id,
        requests=int(requests),
        errors=int(errors),
        total_tokens=int(tokens),
        cost_usd=float(cost) if cost_n else None,
        p95_latency_ms=_finite(p95),
        last_seen=to_utc(last),
    )


def session_of(session_id: str, traces: Sequence[TraceSummary]) -> SessionSummary:
    """The totals of a session from all its trace summaries, oldest first, none missing.

    Counted as ``sessions_sql`` counts them, without another read.
    """
    costs = [t.cost_usd for t in traces if t.cost_usd is not None]
    users = [t.user_id for t in traces if t.user_id]
    return SessionSummary(
        session_id=session_id,
        user_id=users[0] if users else None,
        trace_count=len(traces),
        first_seen=traces[0].start_time,
        last_seen=max(t.start_time + timedelta(milliseconds=t.duration_ms) for t in traces),
        total_tokens=sum(t.total_tokens for t in traces),
        cost_usd=sum(costs) if costs else None,
        error_count=sum(1 for t in traces if t.error),
    )
