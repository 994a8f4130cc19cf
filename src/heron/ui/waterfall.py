"""The span tree of a trace laid out as a waterfall: rows in tree order, bars to scale."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from heron.model import Span

__all__ = ["KIND_LABELS", "TraceTotals", "WaterfallRow", "trace_totals", "waterfall"]

# Short badges for each span kind; the full kind is the badge's title.
KIND_LABELS: dict[str, str] = {
    "llm": "LLM",
    "embedding": "EMB",
    "chain": "CHAIN",
    "tool": "TOOL",
    "retriever": "RETR",
    "agent": "AGENT",
    "reranker": "RERANK",
    "guardrail": "GUARD",
    "evaluator": "EVAL",
    "span": "SPAN",
}


@dataclass(frozen=True, slots=True)
class WaterfallRow:
    """One span in tree order; offsets and widths are percentages of the trace's duration."""

    span: Span
    depth: int
    offset_pct: float
    width_pct: float
    ttft_pct: float | None
    child_count: int


@dataclass(frozen=True, slots=True)
class TraceTotals:
    """Tokens and cost of the LLM calls (duplicates excluded) and the trace's wall time."""

    span_count: int
    llm_calls: int
    input_tokens: int
    output_tokens: int
    total_tokens: int
    cost_usd: Decimal | None
    duration_ms: float
    error: bool


def trace_totals(spans: Sequence[Span]) -> TraceTotals:
    """The same totals ``GET /api/v1/traces/{id}`` reports, from the same spans."""
    counted = [s for s in spans if s.is_llm and s.duplicate_of is None]
    costs = [s.cost_usd for s in counted if s.cost_usd is not None]
    start = min(s.start_time for s in spans)
    end = max(s.end_time for s in spans)
    return TraceTotals(
        span_count=len(spans),
        llm_calls=len(counted),
        input_tokens=sum(s.input_tokens for s in counted),
        output_tokens=sum(s.output_tokens for s in counted),
        total_tokens=sum(s.total_tokens for s in counted),
        cost_usd=sum(costs, Decimal(0)) if costs else None,
        duration_ms=(end - start).total_seconds() * 1000.0,
        error=any(s.status == "error" for s in spans),
    )


def waterfall(spans: Sequence[Span]) -> list[WaterfallRow]:
    """Spans depth-first under their parents, siblings by start time.

    A span whose parent is not in the trace (not arrived yet, or sampled out) is
    shown as a root, so nothing the store returned is hidden.
    """
    if not spans:
        return []
    by_id = {s.span_id: s for s in spans}
    children: dict[str | None, list[Span]] = {}
    for s in spans:
        parent = s.parent_span_id if s.parent_span_id in by_id else None
        children.setdefault(parent, []).append(s)
    for group in children.values():
        group.sort(key=lambda s: (s.start_time, s.span_id))
    t0 = min(s.start_time for s in spans)
    total_s = max((max(s.end_time for s in spans) - t0).total_seconds(), 1e-9)

    def pct(seconds: float) -> float:
        return max(0.0, min(100.0, seconds / total_s * 100.0))

    rows: list[WaterfallRow] = []
    seen: set[str] = set()
    stack: list[tuple[Span, int]] = [(s, 0) for s in reversed(children.get(None, []))]
    while stack:
        span, depth = stack.pop()
        if span.span_id in seen:  # a malformed trace may loop; show each span once
            continue
        seen.add(span.span_id)
        offset = pct((span.start_time - t0).total_seconds())
        width = max(pct(span.duration_ms / 1000.0), 0.2)
        ttft = None
        if span.ttft_ms is not None and span.streaming and span.duration_ms > 0:
            ttft = min(span.ttft_ms / span.duration_ms, 1.0) * 100.0
        kids = children.get(span.span_id, [])
        rows.append(WaterfallRow(span, depth, offset, min(width, 100.0 - offset), ttft, len(kids)))
        stack.extend((child, depth + 1) for child in reversed(kids))
    # Spans only reachable through a cycle never met a root: append them flat.
    rows.extend(
        WaterfallRow(
            s,
            0,
            pct((s.start_time - t0).total_seconds()),
            max(pct(s.duration_ms / 1000.0), 0.2),
            None,
            0,
        )
        for s in sorted(spans, key=lambda s: s.start_time)
        if s.span_id not in seen
    )
    return rows
