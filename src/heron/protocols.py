"""The seams of heron: every layer talks to the next through these protocols.

Implementations never leak their engine or provider upward: the API sees a
``TelemetryStore``, not chDB; the eval scheduler sees a ``Judge``, not OpenAI.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
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

__all__ = [
    "BackgroundService",
    "Judge",
    "Notifier",
    "Processor",
    "SpanObserver",
    "TelemetryStore",
]


@runtime_checkable
class Processor(Protocol):
    """One normalization step: returns the (possibly changed) span, or None to drop it."""

    def __call__(self, span: Span) -> Span | None: ...


class SpanObserver(Protocol):
    """Called by the flusher after spans are durably stored (metrics, alerts, evals hook here)."""

    def __call__(self, spans: Sequence[Span]) -> None: ...


class TelemetryStore(Protocol):
    """Spans and scores: append-only, scoped by project in every call."""

    def migrate(self) -> None:
        """Apply pending numbered migrations (idempotent)."""

    def ping(self) -> None:
        """Raise StoreError when the store cannot answer a trivial query."""

    def close(self) -> None:
        """Release connections."""

    def insert_spans(self, spans: Sequence[Span], *, dedup_token: str | None = None) -> None:
        """Insert spans; re-inserting the same span (same project/trace/span id) is a no-op."""

    def insert_scores(self, scores: Sequence[Score]) -> None:
        """Insert scores; the same score_id twice is stored once."""

    def get_trace(self, project_id: str, trace_id: str) -> list[Span]:
        """Every span of the trace, ordered by start time; empty when unknown."""

    def get_trace_detail(self, project_id: str, trace_id: str) -> TraceDetail:
        """The trace's spans (as ``get_trace``) with its scores and logs, oldest first."""

    def get_span(self, project_id: str, span_id: str) -> Span | None:
        """One span by id, or None."""

    def list_traces(
        self, project_id: str, flt: TraceFilter, *, cursor: str | None, limit: int
    ) -> Page[TraceSummary]:
        """Traces whose root started in the range, newest first."""

    def recently_scored_traces(
        self, project_id: str, time: TimeRange, *, limit: int
    ) -> list[TraceSummary]:
        """The ``limit`` traces scored most recently among calls in the range, newest first."""

    def list_sessions(
        self, project_id: str, time: TimeRange, *, cursor: str | None, limit: int
    ) -> Page[SessionSummary]:
        """Sessions with activity in the range, most recent first."""

    def get_session(
        self,
        project_id: str,
        session_id: str,
        time: TimeRange,
        *,
        cursor: str | None = None,
        limit: int = ...,
    ) -> SessionPage:
        """One page of a session's traces, oldest first, with the session's totals."""

    def list_users(
        self, project_id: str, time: TimeRange, *, cursor: str | None, limit: int
    ) -> Page[UserSummary]:
        """Users with activity in the range, by last seen."""

    def stats(self, project_id: str, query: StatsQuery) -> list[StatsRow]:
        """Aggregates over LLM spans (duplicates excluded)."""

    def list_scores(
        self, project_id: str, *, trace_id: str | None = None, span_id: str | None = None
    ) -> list[Score]:
        """Scores of a trace or span."""

    def insert_logs(self, records: Sequence[LogRecord], *, dedup_token: str | None = None) -> None:
        """Insert log records; the same log_id twice is stored once."""

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


class Judge(Protocol):
    """A model that answers an evaluation prompt with structured output."""

    name: str

    def judge(self, system: str, prompt: str, schema: dict[str, Any]) -> dict[str, Any]:
        """Return the parsed structured answer; raise HeronError subclasses on failure."""


class Notifier(Protocol):
    """Delivers an alert notification somewhere (webhook, Slack, log)."""

    name: str

    def send(self, payload: dict[str, Any]) -> None:
        """Deliver once; raise on failure so the outbox retries."""


class BackgroundService(Protocol):
    """A worker that runs inside ``heron serve`` (and ``heron worker``): alerts, evals, retention.

    ``start`` returns at once (the work runs on its own thread or task); ``stop``
    finishes the current unit of work and returns.
    """

    name: str

    def start(self) -> None:
        """Begin working in the background."""

    def stop(self) -> None:
        """Stop after the current unit of work."""
