"""What an evaluation produces: state changes and the notification payload sent for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from heron.alerts.rule import METRIC_UNITS, AlertRule
from heron.alerts.state import AlertState, NotificationKind
from heron.model import format_time

__all__ = ["PAYLOAD_VERSION", "AlertEvent", "describe", "parse_time"]

PAYLOAD_VERSION = 1


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One state change (or repeat notification) of one rule."""

    rule_id: str
    project_id: str
    rule_name: str
    severity: str
    state_from: AlertState
    state_to: AlertState
    value: float | None
    threshold: float
    at: datetime
    message: str
    notification: NotificationKind | None = None

    @property
    def dedup_key(self) -> str:
        """Identifies this notification: the same key is delivered at most once per notifier."""
        return f"{self.project_id}/{self.rule_id}/{self.notification}/{format_time(self.at)}"

    def to_record(self) -> dict[str, Any]:
        """The event as a JSON mapping (stored history, REST answers)."""
        return {
            "rule_id": self.rule_id,
            "project_id": self.project_id,
            "rule_name": self.rule_name,
            "severity": self.severity,
            "state_from": self.state_from,
            "state_to": self.state_to,
            "value": self.value,
            "threshold": self.threshold,
            "at": format_time(self.at),
            "message": self.message,
            "notification": self.notification,
        }

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> AlertEvent:
        """The event :meth:`to_record` produced."""
        value = data.get("value")
        return cls(
            rule_id=str(data["rule_id"]),
            project_id=str(data["project_id"]),
            rule_name=str(data["rule_name"]),
            severity=str(data["severity"]),
            state_from=data["state_from"],
            state_to=data["state_to"],
            value=None if value is None else float(value),
            threshold=float(data["threshold"]),
            at=parse_time(str(data["at"])),
            message=str(data["message"]),
            notification=data.get("notification"),
        )

    def to_payload(self, rule: AlertRule) -> dict[str, Any]:
        """The JSON body every notifier sends (versioned; stable field names)."""
        return {
            "version": PAYLOAD_VERSION,
            "kind": self.notification,
            "status": "resolved" if self.notification == "resolved" else self.state_to,
            "project_id": self.project_id,
            "rule": {
                "id": rule.id,
                "name": rule.name,
                "metric": rule.metric,
                "unit": METRIC_UNITS[rule.metric],
                "comparison": rule.comparison,
                "threshold": rule.threshold,
                "window_seconds": rule.window.total_seconds(),
                "for_seconds": rule.for_duration.total_seconds(),
                "severity": rule.severity,
                "filter": {k: v for k, v in rule.filter.model_dump().items() if v is not None},
                "labels": dict(rule.labels),
            },
            "state_from": self.state_from,
            "state_to": self.state_to,
            "value": self.value,
            "threshold": self.threshold,
            "at": format_time(self.at),
            "message": self.message,
            "dedup_key": self.dedup_key,
        }


def parse_time(text: str) -> datetime:
    """A UTC datetime from :func:`heron.model.format_time` output (or any ISO 8601 time)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def describe(
    rule: AlertRule, state_to: AlertState, value: float | None, kind: NotificationKind | None
) -> str:
    """A one-line human message for an event."""
    scope = f"project {rule.project_id}"
    flt = rule.filter.describe()
    if flt:
        scope += f" ({flt})"
    unit = METRIC_UNITS[rule.metric]
    shown = "no data" if value is None else f"{value:.4g} {unit}"
    if kind == "resolved":
        return f"RESOLVED {rule.name}: {rule.metric} is {shown} in {scope}; back within threshold"
    if state_to == "no_data":
        return f"NO DATA {rule.name}: no {rule.metric} data over the window in {scope}"
    head = "FIRING" if state_to == "firing" else state_to.upper()
    condition = rule.condition_text()
    return (
        f"{head} [{rule.severity}] {rule.name}: {rule.metric} is {shown} ({condition}) in {scope}"
    )
