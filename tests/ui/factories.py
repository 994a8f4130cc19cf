"""Model objects for rendering tests: spans, traces and stats rows built by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from heron.model import Score, Span, StatsRow, TraceSummary

T0 = datetime(2026, 1, 31, 12, 0, 0, tzinfo=UTC)
TRACE = "0af7651916cd43dd8448eb211c80319c"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def span(span_id: str, parent: str | None, start_ms: float, end_ms: float, **kw: Any) -> Span:
    """A span of the test trace, times relative to T0."""
    return Span(
        project_id="p1",
        trace_id=TRACE,
        span_id=span_id,
        parent_span_id=parent,
        name=kw.pop("name", f"span-{span_id[:4]}"),
        start_time=T0 + timedelta(milliseconds=start_ms),
        end_time=T0 + timedelta(milliseconds=end_ms),
        **kw,
    )


def llm_span(span_id: str, parent: str | None, start_ms: float, end_ms: float, **kw: Any) -> Span:
    """An LLM call with tokens, cost and a conversation."""
    fields: dict[str, Any] = {
        "kind": "llm",
        "name": "chat gpt-4o",
        "model": "gpt-4o",
        "provider": "openai",
        "input_tokens": 1200,
        "output_tokens": 300,
        "total_tokens": 1500,
        "cost_usd": Decimal("0.0061"),
        "input_messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Where is my order?"},
        ],
        "output_messages": [{"role": "assistant", "content": "It ships today."}],
    }
    fields.update(kw)
    return llm_base(span_id, parent, start_ms, end_ms, fields)


def llm_base(
    span_id: str, parent: str | None, start_ms: float, end_ms: float, fields: dict[str, Any]
) -> Span:
    return span(span_id, parent, start_ms, end_ms, **fields)


def sample_trace() -> list[Span]:
    """root(chain) -> retrieve, llm#1 (streamed), tool, llm#2 (error); out of order on purpose."""
    return [
        llm_span(
            "c" * 16,
            "a" * 16,
            400,
            900,
            status="error",
            error_type="RateLimitError",
            status_message="429",
            output_messages=[],
            total_tokens=100,
            input_tokens=100,
            output_tokens=0,
            cost_usd=None,
        ),
        span(
            "a" * 16,
            None,
            0,
            1000,
            name="handle_request",
            kind="chain",
            user_id="u1",
            session_id="s1",
        ),
        llm_span("b" * 16, "a" * 16, 60, 350, streaming=True, ttft_ms=120.0),
        span("d" * 16, "a" * 16, 5, 50, name="retrieve", kind="retriever"),
        span("e" * 16, "b" * 16, 100, 150, name="lookup", kind="tool"),
    ]


def summary(i: int = 0, **kw: Any) -> TraceSummary:
    """A listed trace."""
    fields: dict[str, Any] = {
        "trace_id": f"{i:032x}",
        "root_span_id": f"{i:016x}",
        "name": "handle_request",
        "start_time": T0 + timedelta(seconds=i),
        "duration_ms": 1234.0,
        "span_count": 5,
        "llm_call_count": 2,
        "total_tokens": 1500,
        "input_tokens": 1200,
        "output_tokens": 300,
        "cost_usd": 0.0061,
        "error": False,
        "user_id": "u1",
        "session_id": "s1",
        "service_name": "bot",
        "models": ["gpt-4o"],
    }
    fields.update(kw)
    return TraceSummary(**fields)


def stats_row(bucket: datetime | None, model: str | None = "gpt-4o", **kw: Any) -> StatsRow:
    """One stats row; the group is the model when given."""
    fields: dict[str, Any] = {
        "group": {"model": model} if model is not None else {},
        "bucket_start": bucket,
        "requests": 10,
        "errors": 1,
        "error_rate": 0.1,
        "latency_p50_ms": 800.0,
        "latency_p95_ms": 1900.0,
        "latency_p99_ms": 2500.0,
        "ttft_p50_ms": 200.0,
        "ttft_p95_ms": 450.0,
        "input_tokens": 9000,
        "output_tokens": 1000,
        "cached_input_tokens": 0,
        "total_tokens": 10000,
        "cost_usd": 0.05,
    }
    fields.update(kw)
    return StatsRow(**fields)


def score(span_id: str | None, **kw: Any) -> Score:
    """A score on the test trace."""
    fields: dict[str, Any] = {
        "score_id": "sc1",
        "project_id": "p1",
        "trace_id": TRACE,
        "name": "helpfulness",
        "created_at": T0,
        "span_id": span_id,
        "value": 0.75,
        "reasoning": "Answered the question.",
    }
    fields.update(kw)
    return Score(**fields)
