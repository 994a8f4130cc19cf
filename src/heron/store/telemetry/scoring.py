"""Scores: written with copies of the scored span's fields, read by trace or span.

At insert, each score is stamped with its span's model, provider, user,
session, service, template hash, tags and start time, exactly as the span is
stored, so stats group scores without a join and into the same groups as the
spans they score. A trace-level score (``span_id`` None), or one whose span is
not stored yet, counts for the trace's first LLM call (roots are usually
chains without a model), else for its root; a score whose trace is unknown
keeps empty copies and falls in the bucket of its ``created_at``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from heron.errors import QueryError
from heron.model import Score, Span
from heron.store.telemetry.rows import (
    SCORE_COLUMNS,
    score_from_row,
    score_to_row,
    span_from_row,
)

if TYPE_CHECKING:
    from heron.store.telemetry.store import ClickHouseTelemetryStore

__all__ = ["ScoreWriter"]

_CONTEXT_SPAN_COLUMNS = (
    "project_id",
    "trace_id",
    "span_id",
    "parent_span_id",
    "name",
    "start_time",
    "end_time",
    "kind",
    "duplicate_of",
    "model",
    "provider",
    "user_id",
    "session_id",
    "service_name",
    "prompt_template",
    "prompt_template_hash",
    "tags",
)
_SCORE_SELECT = ", ".join(c for c in SCORE_COLUMNS if c in Score.__dataclass_fields__)


class ScoreWriter:
    """The scores half of the store; shares the store's connection."""

    def __init__(self, store: ClickHouseTelemetryStore) -> None:
        self._store = store

    def insert(self, scores: Sequence[Score]) -> None:
        """Insert ``scores``; the same score_id again replaces the earlier row."""
        if not scores:
            return
        by_project: dict[str, set[str]] = defaultdict(set)
        for score in scores:
            by_project[score.project_id].add(score.trace_id)
        traces: dict[tuple[str, str], list[Span]] = {}
        for project_id, trace_ids in by_project.items():
            traces.update(self._load_traces(project_id, sorted(trace_ids)))
        rows = [
            score_to_row(
                score,
                _context(score, traces.get((score.project_id, score.trace_id), [])),
                self._store.retention_days(score.project_id),
            )
            for score in scores
        ]
        self._store.insert_rows(
            self._store.scores_table, rows, SCORE_COLUMNS, None, "insert scores"
        )

    def _load_traces(
        self, project_id: str, trace_ids: list[str]
    ) -> dict[tuple[str, str], list[Span]]:
        names, rows = self._store.query_rows(
            f"SELECT {', '.join(_CONTEXT_SPAN_COLUMNS)} FROM {self._store.spans_table} "
            f"{self._store.spans_final} "
            "WHERE project_id = {p:String} AND trace_id IN {t:Array(String)} "
            "ORDER BY start_time, span_id",
            {"p": project_id, "t": trace_ids},
            "look up scored spans",
        )
        grouped: dict[tuple[str, str], list[Span]] = defaultdict(list)
        for row in rows:
            span = span_from_row(names, row)
            grouped[(project_id, span.trace_id)].append(span)
        return grouped

    def list(self, project_id: str, *, trace_id: str | None, span_id: str | None) -> list[Score]:
        """Scores of a trace and/or a span, oldest first."""
        if trace_id is None and span_id is None:
            raise QueryError("list_scores needs a trace_id or a span_id; pass at least one")
        where = ["project_id = {p:String}"]
        params: dict[str, Any] = {"p": project_id}
        if trace_id is not None:
            where.append("trace_id = {t:String}")
            params["t"] = trace_id
        if span_id is not None:
            where.append("span_id = {s:String}")
            params["s"] = span_id
        names, rows = self._store.query_rows(
            f"SELECT {_SCORE_SELECT} FROM {self._store.scores_table} FINAL "
            f"WHERE {' AND '.join(where)} ORDER BY created_at, score_id",
            params,
            "list scores",
        )
        return [score_from_row(names, row) for row in rows]

    def trace_averages(self, project_id: str, trace_ids: Sequence[str]) -> dict[str, float]:
        """The average numeric score of each trace that has one."""
        _, rows = self._store.query_rows(
            f"SELECT trace_id, avg(value) FROM {self._store.scores_table} FINAL "
            "WHERE project_id = {p:String} AND trace_id IN {t:Array(String)} "
            "AND value IS NOT NULL GROUP BY trace_id",
            {"p": project_id, "t": list(trace_ids)},
            "average trace scores",
        )
        return {trace_id: float(value) for trace_id, value in rows}


def _root(spans: Sequence[Span]) -> Span | None:
    ids = {span.span_id for span in spans}
    roots = [s for s in spans if s.parent_span_id is None or s.parent_span_id not in ids]
    candidates = roots or list(spans)
    return min(candidates, key=lambda s: (s.start_time, s.span_id)) if candidates else None


def _context(score: Score, spans: Sequence[Span]) -> list[Any]:
    """The copied columns (``SCORE_CONTEXT_COLUMNS`` order) for ``score``."""
    target = next((s for s in spans if s.span_id == score.span_id), None)
    if target is None:
        target = next((s for s in spans if s.is_llm and s.duplicate_of is None), None)
    if target is None:
        target = _root(spans)
    if target is None:
        return [score.created_at, None, None, None, None, None, None, []]
    return [
        target.start_time,
        target.model,
        target.provider,
        target.user_id,
        target.session_id,
        target.service_name,
        target.prompt_template_hash,
        list(target.tags),
    ]
