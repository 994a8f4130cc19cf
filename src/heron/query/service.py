"""Project-scoped reads: the one place where every query is bound to a project.

API routes, UI pages and background features never call the store with a
project id of their own choosing; they get a ``ProjectQueries`` for the
caller's project and read through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from heron.errors import NotFoundError, QueryError
from heron.model import (
    GROUP_BY_FIELDS,
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
from heron.protocols import TelemetryStore

__all__ = ["MAX_PAGE", "ProjectQueries"]

MAX_PAGE = 500


def _check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise QueryError(f"limit {limit} is outside 1..{MAX_PAGE}")
    return limit


@dataclass(frozen=True, slots=True)
class ProjectQueries:
    """Reads and writes of one project, over any ``TelemetryStore``."""

    store: TelemetryStore
    project_id: str

    def trace(self, trace_id: str) -> list[Span]:
        """Every span of a trace; NotFoundError when the project has no such trace."""
        spans = self.store.get_trace(self.project_id, trace_id.lower())
        if not spans:
            raise NotFoundError(f"trace {trace_id!r} not found in this project")
        return spans

    def trace_detail(self, trace_id: str) -> TraceDetail:
        """A trace's spans with its scores and logs; NotFoundError when there is no such trace."""
        detail = self.store.get_trace_detail(self.project_id, trace_id.lower())
        if not detail.spans:
            raise NotFoundError(f"trace {trace_id!r} not found in this project")
        return detail

    def span(self, span_id: str) -> Span:
        """One span; NotFoundError when unknown in this project."""
        span = self.store.get_span(self.project_id, span_id.lower())
        if span is None:
            raise NotFoundError(f"span {span_id!r} not found in this project")
        return span

    def traces(self, flt: TraceFilter, cursor: str | None, limit: int) -> Page[TraceSummary]:
        """Traces matching the filter, newest first."""
        return self.store.list_traces(
            self.project_id, flt, cursor=cursor, limit=_check_limit(limit)
        )

    def recently_scored(self, time: TimeRange, limit: int) -> list[TraceSummary]:
        """The traces scored most recently among calls in the range, newest first."""
        return self.store.recently_scored_traces(self.project_id, time, limit=_check_limit(limit))

    def sessions(self, time: TimeRange, cursor: str | None, limit: int) -> Page[SessionSummary]:
        """Sessions active in the range."""
        return self.store.list_sessions(
            self.project_id, time, cursor=cursor, limit=_check_limit(limit)
        )

    def session(
        self, session_id: str, time: TimeRange, cursor: str | None = None, limit: int = MAX_PAGE
    ) -> SessionPage:
        """A page of a session's traces, oldest first, and its totals.

        NotFoundError when the session has no traces in the range.
        """
        page = self.store.get_session(
            self.project_id, session_id, time, cursor=cursor, limit=_check_limit(limit)
        )
        if page.summary is None:
            raise NotFoundError(f"session {session_id!r} has no traces in this project and range")
        return page

    def users(self, time: TimeRange, cursor: str | None, limit: int) -> Page[UserSummary]:
        """Users active in the range."""
        return self.store.list_users(
            self.project_id, time, cursor=cursor, limit=_check_limit(limit)
        )

    def stats(self, query: StatsQuery) -> list[StatsRow]:
        """Aggregates over LLM spans."""
        for name in query.group_by:
            if name not in GROUP_BY_FIELDS:
                raise QueryError(
                    f"cannot group by {name!r}; choose from {', '.join(GROUP_BY_FIELDS)}"
                )
        return self.store.stats(self.project_id, query)

    def scores(self, trace_id: str | None = None, span_id: str | None = None) -> list[Score]:
        """Scores of a trace or span."""
        return self.store.list_scores(self.project_id, trace_id=trace_id, span_id=span_id)

    def logs(
        self,
        *,
        trace_id: str | None = None,
        time: TimeRange | None = None,
        min_severity: int = 0,
        q: str | None = None,
        limit: int = 500,
    ) -> list[LogRecord]:
        """Log records of a trace, or of a time window."""
        return self.store.list_logs(
            self.project_id,
            trace_id=trace_id,
            time=time,
            min_severity=min_severity,
            q=q,
            limit=_check_limit(limit),
        )

    def add_scores(self, scores: Sequence[Score]) -> None:
        """Store scores; each must belong to this project."""
        for score in scores:
            if score.project_id != self.project_id:
                raise QueryError("a score was built for another project")
        self.store.insert_scores(scores)
