"""REST API v1: traces, spans, sessions, users, stats and scores of the caller's project."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, Field, field_validator, model_validator

from heron.api.context import app_context, queries_for
from heron.api.encode import to_json
from heron.errors import QueryError
from heron.model import BUCKETS, Score, StatsQuery, TraceFilter
from heron.query import ProjectQueries, parse_time_range

__all__ = ["ScoreIn", "rest_router"]

Reader = Annotated[ProjectQueries, Depends(queries_for("read"))]
Writer = Annotated[ProjectQueries, Depends(queries_for("ingest"))]

_START = Query(None, description="Range start: RFC 3339, unix seconds or now-<duration>.")
_END = Query(None, description="Range end (default now).")
_SINCE = Query(None, description="Range length back from the end, e.g. 24h (default 24h).")
_CURSOR = Query(None, description="Opaque cursor from the previous page's next_cursor.")
_HEX = r"^[0-9a-fA-F]+$"


class ScoreIn(BaseModel):
    """A score posted by an app, a human or an evaluator."""

    trace_id: str = Field(min_length=32, max_length=32, pattern=_HEX)
    span_id: str | None = Field(None, min_length=16, max_length=16, pattern=_HEX)
    name: str = Field(min_length=1, max_length=200)
    value: float | None = Field(None, ge=0.0, le=1.0, description="Numeric score in 0..1.")
    label: str | None = Field(None, max_length=200, description="Categorical score.")
    comment: str | None = Field(None, max_length=10_000)
    source: Literal["api", "human", "eval"] = "api"
    score_id: str | None = Field(
        None, max_length=64, description="Idempotency key; a repeated id is stored once."
    )

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and value != value:  # NaN
            raise ValueError("value must be a number in 0..1, not NaN")
        return value

    @model_validator(mode="after")
    def _value_or_label(self) -> ScoreIn:
        if self.value is None and self.label is None:
            raise ValueError("a score needs a numeric value (0..1) or a label")
        return self


def rest_router() -> APIRouter:
    """The /api/v1 routes (reads need a read or admin key; score writes an ingest key)."""
    router = APIRouter(prefix="/api/v1", tags=["v1"])

    @router.get("/traces", summary="List traces, newest first")
    def list_traces(
        q_: Reader,
        start: str | None = _START,
        end: str | None = _END,
        since: str | None = _SINCE,
        model: str | None = None,
        provider: str | None = None,
        status: Literal["ok", "error"] | None = None,
        user_id: str | None = None,
        session_id: str | None = None,
        prompt_template_hash: str | None = None,
        tag: str | None = None,
        q: Annotated[
            str | None, Query(max_length=500, description="Substring of input/output.")
        ] = None,
        min_duration_ms: Annotated[float | None, Query(ge=0)] = None,
        service_name: str | None = None,
        cursor: str | None = _CURSOR,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        flt = TraceFilter(
            time=parse_time_range(start, end, since),
            model=model,
            provider=provider,
            status=status,
            user_id=user_id,
            session_id=session_id,
            prompt_template_hash=prompt_template_hash,
            tag=tag,
            q=q,
            min_duration_ms=min_duration_ms,
            service_name=service_name,
        )
        page = q_.traces(flt, cursor, limit)
        return {"traces": to_json(page.items), "next_cursor": page.next_cursor}

    @router.get("/traces/{trace_id}", summary="One trace with every normalized span")
    def get_trace(q_: Reader, trace_id: str) -> dict[str, Any]:
        detail = q_.trace_detail(trace_id)
        spans = detail.spans
        counted = [s for s in spans if s.is_llm and s.duplicate_of is None]
        costs = [s.cost_usd for s in counted if s.cost_usd is not None]
        start = min(s.start_time for s in spans)
        end = max(s.end_time for s in spans)
        return {
            "trace_id": spans[0].trace_id,
            "spans": to_json(spans),
            "scores": to_json(detail.scores),
            "logs": [record.to_api_dict() for record in detail.logs],
            "totals": {
                "span_count": len(spans),
                "llm_calls": len(counted),
                "input_tokens": sum(s.input_tokens for s in counted),
                "output_tokens": sum(s.output_tokens for s in counted),
                "total_tokens": sum(s.total_tokens for s in counted),
                "cost_usd": float(sum(costs)) if costs else None,
                "duration_ms": (end - start).total_seconds() * 1000.0,
                "error": any(s.status == "error" for s in spans),
            },
        }

    @router.get("/spans/{span_id}", summary="One span")
    def get_span(q_: Reader, span_id: str) -> dict[str, Any]:
        span = q_.span(span_id)
        result: dict[str, Any] = span.to_api_dict()
        result["scores"] = to_json(q_.scores(span_id=span.span_id))
        return result

    @router.get("/sessions", summary="Sessions with totals")
    def list_sessions(
        q_: Reader,
        start: str | None = _START,
        end: str | None = _END,
        since: str | None = _SINCE,
        cursor: str | None = _CURSOR,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        page = q_.sessions(parse_time_range(start, end, since), cursor, limit)
        return {"sessions": to_json(page.items), "next_cursor": page.next_cursor}

    @router.get("/sessions/{session_id:path}", summary="A session's totals and its traces in order")
    def get_session(
        q_: Reader,
        session_id: str,
        start: str | None = _START,
        end: str | None = _END,
        since: Annotated[str | None, Query(description="Default 30d for sessions.")] = None,
        cursor: str | None = _CURSOR,
        limit: Annotated[int, Query(ge=1, le=500)] = 500,
    ) -> dict[str, Any]:
        time = parse_time_range(start, end, since or ("30d" if not start else None))
        page = q_.session(session_id, time, cursor, limit)
        return {
            "session_id": session_id,
            "summary": to_json(page.summary),
            "traces": to_json(page.items),
            "next_cursor": page.next_cursor,
        }

    @router.get("/users", summary="Users with requests, errors, tokens, cost, p95 latency")
    def list_users(
        q_: Reader,
        start: str | None = _START,
        end: str | None = _END,
        since: str | None = _SINCE,
        cursor: str | None = _CURSOR,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        page = q_.users(parse_time_range(start, end, since), cursor, limit)
        return {"users": to_json(page.items), "next_cursor": page.next_cursor}

    @router.get("/stats", summary="Aggregates over LLM calls, grouped and bucketed")
    def stats(
        q_: Reader,
        start: str | None = _START,
        end: str | None = _END,
        since: str | None = _SINCE,
        group_by: Annotated[
            list[str] | None,
            Query(
                description="Repeat or comma-separate: model, provider, user_id, "
                "prompt_template_hash, tag, service_name, session_id."
            ),
        ] = None,
        bucket: Annotated[str | None, Query(description="1m, 5m, 1h or 1d.")] = None,
        model: str | None = None,
        provider: str | None = None,
        user_id: str | None = None,
        prompt_template_hash: str | None = None,
        tag: str | None = None,
    ) -> dict[str, Any]:
        fields: list[str] = []
        for item in group_by or []:
            fields.extend(part.strip() for part in item.split(",") if part.strip())
        if bucket is not None and bucket not in BUCKETS:
            raise QueryError(f"bucket {bucket!r} is not one of {', '.join(BUCKETS)}")
        query = StatsQuery(
            time=parse_time_range(start, end, since),
            group_by=tuple(dict.fromkeys(fields)),
            bucket=bucket,  # type: ignore[arg-type]  # checked against BUCKETS above
            model=model,
            provider=provider,
            user_id=user_id,
            prompt_template_hash=prompt_template_hash,
            tag=tag,
        )
        return {"rows": to_json(q_.stats(query))}

    @router.post("/scores", status_code=201, summary="Attach scores to traces or spans")
    def post_scores(
        q_: Writer,
        request: Request,
        body: Annotated[ScoreIn | list[ScoreIn], Body()],
    ) -> dict[str, Any]:
        items = body if isinstance(body, list) else [body]
        if len(items) > 1000:
            raise QueryError(f"{len(items)} scores in one request; send at most 1000")
        now = datetime.now(UTC)
        scores = [
            Score(
                score_id=item.score_id or uuid.uuid4().hex,
                project_id=q_.project_id,
                trace_id=item.trace_id.lower(),
                span_id=item.span_id.lower() if item.span_id else None,
                name=item.name,
                value=item.value,
                label=item.label,
                comment=item.comment,
                source=item.source,
                created_at=now,
            )
            for item in items
        ]
        q_.add_scores(scores)
        for observe in app_context(request).score_observers:
            observe(scores)
        return {"scores": to_json(scores)}

    @router.get("/logs", summary="Log records of a trace, or of a time window")
    def list_logs(
        q_: Reader,
        trace_id: Annotated[str | None, Query(pattern=_HEX, max_length=32)] = None,
        start: str | None = _START,
        end: str | None = _END,
        since: str | None = _SINCE,
        min_severity: Annotated[int, Query(ge=0, le=24, description="OTLP severity number.")] = 0,
        q: Annotated[
            str | None, Query(max_length=500, description="Substring of the body.")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> dict[str, Any]:
        time = None if trace_id else parse_time_range(start, end, since)
        records = q_.logs(
            trace_id=trace_id.lower() if trace_id else None,
            time=time,
            min_severity=min_severity,
            q=q,
            limit=limit,
        )
        return {"logs": [record.to_api_dict() for record in records]}

    @router.get("/scores", summary="Scores of a trace or span")
    def get_scores(
        q_: Reader,
        trace_id: Annotated[str | None, Query(pattern=_HEX, max_length=32)] = None,
        span_id: Annotated[str | None, Query(pattern=_HEX, max_length=16)] = None,
    ) -> dict[str, Any]:
        if not trace_id and not span_id:
            raise QueryError("give trace_id or span_id")
        return {"scores": to_json(q_.scores(trace_id=trace_id, span_id=span_id))}

    return router
