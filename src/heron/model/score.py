"""Scores attached to a trace or span: from the API, a human, or an evaluator."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from heron.model.span import format_time

__all__ = ["Score", "ScoreSource"]

ScoreSource = Literal["api", "human", "eval"]


@dataclass(slots=True)
class Score:
    """One score. ``value`` is 0..1 when numeric; ``label`` for categorical scores."""

    score_id: str
    project_id: str
    trace_id: str
    name: str
    created_at: datetime
    span_id: str | None = None
    value: float | None = None
    label: str | None = None
    comment: str | None = None
    source: ScoreSource = "api"
    reasoning: str | None = None
    evaluator: str | None = None
    flags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    cost_usd: float | None = None

    def to_api_dict(self) -> dict[str, Any]:
        """The score as the REST API returns it."""
        return {
            "score_id": self.score_id,
            "project_id": self.project_id,
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "name": self.name,
            "value": self.value,
            "label": self.label,
            "comment": self.comment,
            "source": self.source,
            "reasoning": self.reasoning,
            "evaluator": self.evaluator,
            "flags": list(self.flags),
            "metadata": dict(self.metadata),
            "cost_usd": self.cost_usd,
            "created_at": format_time(self.created_at),
        }
