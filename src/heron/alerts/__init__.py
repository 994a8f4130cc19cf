"""heron's alert engine: rules, a pure state machine, an outbox and notifiers."""

from heron.alerts.engine import AlertEngine
from heron.alerts.event import AlertEvent
from heron.alerts.outbox import Delivery, MemoryOutbox, Outbox, OutboxDispatcher, RetryPolicy
from heron.alerts.rule import (
    METRIC_UNITS,
    METRICS,
    AlertRule,
    RuleFilter,
    default_rules,
    parse_duration,
)
from heron.alerts.rules_file import dump_rules, load_rules, parse_rules
from heron.alerts.source import (
    AlertStore,
    Evaluation,
    MemoryAlertStore,
    MetricSource,
    Notification,
    RuleKey,
)
from heron.alerts.state import AlertState, RuleState, Transition, step

__all__ = [
    "METRICS",
    "METRIC_UNITS",
    "AlertEngine",
    "AlertEvent",
    "AlertRule",
    "AlertState",
    "AlertStore",
    "Delivery",
    "Evaluation",
    "MemoryAlertStore",
    "MemoryOutbox",
    "MetricSource",
    "Notification",
    "Outbox",
    "OutboxDispatcher",
    "RetryPolicy",
    "RuleFilter",
    "RuleKey",
    "RuleState",
    "Transition",
    "default_rules",
    "dump_rules",
    "load_rules",
    "parse_duration",
    "parse_rules",
    "step",
]
