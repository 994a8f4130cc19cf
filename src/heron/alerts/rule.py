"""An alert rule: which metric of which project, compared to what, for how long.

Metric units (what :class:`heron.alerts.MetricSource` returns and what
``threshold`` is compared with):

=====================  ==========================================================
``p95_latency``        seconds, 95th percentile of LLM call duration
``p99_latency``        seconds, 99th percentile of LLM call duration
``ttft_p95``           seconds, 95th percentile of time to first token (streamed)
``error_rate``         fraction 0..1 of LLM calls with status error
``cost_per_hour``      US dollars per hour (window cost scaled to one hour)
``tokens_per_hour``    tokens per hour (window total scaled to one hour)
``request_rate``       LLM calls per minute
``avg_eval_score``     mean numeric score 0..1
``hallucination_rate`` fraction 0..1 of evaluated spans flagged as hallucinated
=====================  ==========================================================

Durations accept Prometheus-style strings (``30s``, ``2m``, ``1h``, ``1d``,
``1h30m``), a number of seconds, or a ``timedelta``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "METRICS",
    "METRIC_UNITS",
    "AlertRule",
    "Comparison",
    "MetricName",
    "RuleFilter",
    "Severity",
    "default_rules",
    "parse_duration",
]

MetricName = Literal[
    "p95_latency", "p99_latency", "ttft_p95", "error_rate", "cost_per_hour", "tokens_per_hour",
    "request_rate", "avg_eval_score", "hallucination_rate",
]  # fmt: skip
Comparison = Literal[">", ">=", "<", "<="]
Severity = Literal["info", "warning", "critical"]

METRIC_UNITS: dict[str, str] = {
    "p95_latency": "s",
    "p99_latency": "s",
    "ttft_p95": "s",
    "error_rate": "ratio",
    "cost_per_hour": "USD/h",
    "tokens_per_hour": "tokens/h",
    "request_rate": "req/min",
    "avg_eval_score": "score",
    "hallucination_rate": "ratio",
}
METRICS: tuple[str, ...] = tuple(METRIC_UNITS)

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: object) -> timedelta:
    """A timedelta from ``"2m"``/``"1h30m"``, a number of seconds, or a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"duration {value!r} is not a duration; write e.g. '2m' or 120")
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    if isinstance(value, str):
        text = value.strip()
        parts = _DURATION.findall(text)
        if parts and "".join(n + u for n, u in parts) == text:
            return timedelta(seconds=sum(float(n) * _UNIT_S[u] for n, u in parts))
    raise ValueError(
        f"duration {value!r} is not understood; write a number of seconds or "
        "units like '30s', '2m', '1h', '1h30m'"
    )


def _duration_text(value: timedelta) -> str:
    seconds = value.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


class RuleFilter(BaseModel):
    """Narrows a rule to some LLM calls; ``None`` fields do not filter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str | None = None
    provider: str | None = None
    user_id: str | None = None
    tag: str | None = None
    prompt_template_hash: str | None = None

    def describe(self) -> str:
        """``model=gpt-4o, tag=prod`` (empty when nothing is filtered)."""
        return ", ".join(f"{k}={v}" for k, v in self.model_dump().items() if v is not None)


class AlertRule(BaseModel):
    """One alert rule of one project. Misuse fails at construction (pydantic validation)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$")
    project_id: str = Field(min_length=1)
    name: str = Field(min_length=1, max_length=200)
    metric: MetricName
    threshold: float
    comparison: Comparison = ">"
    window: timedelta = timedelta(minutes=5)
    for_duration: timedelta = Field(default=timedelta(0), alias="for")
    severity: Severity = "warning"
    filter: RuleFilter = RuleFilter()
    labels: dict[str, str] = Field(default_factory=dict)
    enabled: bool = True
    repeat_interval: timedelta | None = timedelta(hours=4)
    notifiers: tuple[str, ...] = ()
    description: str | None = None

    @field_validator("window", "for_duration", "repeat_interval", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return None if value is None else parse_duration(value)

    @field_validator("window")
    @classmethod
    def _positive_window(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError(f"window must be positive, got {_duration_text(value)}")
        return value

    @field_validator("for_duration")
    @classmethod
    def _non_negative_for(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("for must be zero or positive")
        return value

    @field_validator("repeat_interval")
    @classmethod
    def _positive_repeat(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise ValueError("repeat_interval must be positive, or null to never repeat")
        return value

    @property
    def key(self) -> tuple[str, str]:
        """``(project_id, id)``: rule ids are unique within a project."""
        return (self.project_id, self.id)

    def breached(self, value: float) -> bool:
        """True when ``value`` meets the alert condition."""
        if self.comparison == ">":
            return value > self.threshold
        if self.comparison == ">=":
            return value >= self.threshold
        if self.comparison == "<":
            return value < self.threshold
        return value <= self.threshold

    def condition_text(self) -> str:
        """``p95_latency > 10 s over 5m`` (used in messages)."""
        unit = METRIC_UNITS[self.metric]
        return (
            f"{self.metric} {self.comparison} {self.threshold:g} {unit} "
            f"over {_duration_text(self.window)}"
        )

    def to_file_dict(self) -> dict[str, Any]:
        """The rule as written in a rules file (durations as text, defaults kept)."""
        data = self.model_dump(by_alias=True, exclude={"window", "for_duration", "repeat_interval"})
        data["window"] = _duration_text(self.window)
        data["for"] = _duration_text(self.for_duration)
        data["repeat_interval"] = (
            _duration_text(self.repeat_interval) if self.repeat_interval else None
        )
        data["filter"] = {k: v for k, v in self.filter.model_dump().items() if v is not None}
        data["notifiers"] = list(self.notifiers)
        return data


def default_rules(project_id: str) -> list[AlertRule]:
    """The four standard rules every LLM team writes, for ``project_id``."""
    return [
        AlertRule(
            id="default-p95-latency", project_id=project_id, name="High p95 latency",
            metric="p95_latency", comparison=">", threshold=10.0,
            window=timedelta(minutes=5), for_duration=timedelta(minutes=2), severity="warning",
            description="LLM p95 latency above 10 s for 2 minutes.",
        ),
        AlertRule(
            id="default-cost-spike", project_id=project_id, name="Cost spike",
            metric="cost_per_hour", comparison=">", threshold=50.0,
            window=timedelta(minutes=5), for_duration=timedelta(minutes=5), severity="warning",
            description="Spending above $50/hour for 5 minutes: possible runaway calls.",
        ),
        AlertRule(
            id="default-error-rate", project_id=project_id, name="High error rate",
            metric="error_rate", comparison=">", threshold=0.05,
            window=timedelta(minutes=5), for_duration=timedelta(minutes=2), severity="critical",
            description="More than 5% of LLM calls failed for 2 minutes.",
        ),
        AlertRule(
            id="default-eval-score", project_id=project_id, name="Quality drop",
            metric="avg_eval_score", comparison="<", threshold=0.7,
            window=timedelta(minutes=30), for_duration=timedelta(minutes=10), severity="warning",
            description="Average eval score below 0.7 for 10 minutes.",
        ),
    ]  # fmt: skip
