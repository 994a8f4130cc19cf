"""The vocabulary of evals: what an evaluator reads, what it returns, and its protocol.

Evaluators are plain objects with no mutable state after construction, so a
scheduler may call ``evaluate()`` from several worker threads at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol, runtime_checkable

from heron.model import Score, Span

__all__ = ["EvalInput", "EvalLabel", "EvalResult", "Evaluator", "to_score"]

EvalLabel = Literal["pass", "fail", "unclear"]


@dataclass(frozen=True, slots=True)
class EvalInput:
    """The span being judged and the context an evaluator may read.

    ``trace`` holds the spans of the same trace (retrieved documents come from
    its retriever spans, tool results from its tool spans); ``session`` the
    spans of earlier traces of the same session when a multi-turn evaluator
    needs them; ``expected`` a reference answer (datasets, offline runs).
    """

    span: Span
    trace: list[Span] = field(default_factory=list)
    session: list[Span] | None = None
    expected: str | None = None


@dataclass(frozen=True, slots=True)
class EvalResult:
    """What one evaluator concluded about one span.

    ``value`` is in 0..1 or None; each evaluator documents its direction (most
    are "higher is better"; ``hallucination`` is the unsupported fraction, so
    0 is grounded). ``label`` is ``unclear`` whenever no trustworthy value could
    be produced (judge failure, nothing to judge) and ``reasoning`` says why.
    ``applicable`` is False when the evaluator had nothing to look at (e.g. a
    JSON check on a span that did not ask for JSON): a scheduler may skip
    storing such results. ``flags`` name what was found (``pii:email``,
    ``judge:timeout``...), never the sensitive text itself.
    """

    evaluator: str
    label: EvalLabel
    value: float | None = None
    reasoning: str = ""
    flags: list[str] = field(default_factory=list)
    criteria: dict[str, float] = field(default_factory=dict)
    cost_usd: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    applicable: bool = True


@runtime_checkable
class Evaluator(Protocol):
    """Anything that turns an :class:`EvalInput` into an :class:`EvalResult`.

    ``evaluate`` never raises for a bad span or a failing model: it returns an
    ``unclear`` result with the reason. It must be safe to call from any thread.
    """

    name: str
    needs_model: bool

    def evaluate(self, item: EvalInput) -> EvalResult:
        """Judge one span."""
        ...


def to_score(
    result: EvalResult,
    span: Span,
    *,
    name: str | None = None,
    score_id: str | None = None,
    created_at: datetime | None = None,
) -> Score:
    """The :class:`heron.model.Score` (source ``eval``) that stores ``result`` on ``span``."""
    metadata: dict[str, object] = {"applicable": result.applicable}
    if result.criteria:
        metadata["criteria"] = dict(result.criteria)
    if result.input_tokens or result.output_tokens:
        metadata["input_tokens"] = result.input_tokens
        metadata["output_tokens"] = result.output_tokens
    return Score(
        score_id=score_id or uuid.uuid4().hex,
        project_id=span.project_id,
        trace_id=span.trace_id,
        span_id=span.span_id,
        name=name or result.evaluator,
        created_at=created_at or datetime.now(UTC),
        value=result.value,
        label=result.label,
        source="eval",
        reasoning=result.reasoning or None,
        evaluator=result.evaluator,
        flags=list(result.flags),
        metadata=metadata,
        cost_usd=result.cost_usd,
    )
