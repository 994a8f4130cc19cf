"""The alert engine: evaluate every enabled rule, record transitions, enqueue notifications."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

import structlog

from heron.alerts.event import AlertEvent, describe
from heron.alerts.outbox import Outbox
from heron.alerts.rule import AlertRule
from heron.alerts.source import AlertStore, MetricSource
from heron.alerts.state import RuleState, step
from heron.errors import HeronError

__all__ = ["AlertEngine"]

_log = structlog.get_logger("heron.alerts.engine")


class AlertEngine:
    """Evaluates rules against a :class:`MetricSource` on an injected clock.

    ``rules`` returns the rules of every project (re-read at each evaluation so
    edits apply without a restart). A rule's notifications go to its
    ``notifiers`` by name, or to ``default_notifiers`` when it names none.
    """

    def __init__(
        self,
        *,
        rules: Callable[[], Iterable[AlertRule]],
        source: MetricSource,
        store: AlertStore,
        outbox: Outbox,
        clock: Callable[[], datetime],
        default_notifiers: Sequence[str] = ("log",),
    ) -> None:
        self.rules = rules
        self.source = source
        self.store = store
        self.outbox = outbox
        self.clock = clock
        self.default_notifiers = tuple(default_notifiers)

    def evaluate_once(self, now: datetime | None = None) -> list[AlertEvent]:
        """Evaluate all enabled rules at ``now`` (default: the clock); return the events."""
        now = now or self.clock()
        events: list[AlertEvent] = []
        for rule in self.rules():
            if not rule.enabled:
                continue
            event = self._evaluate(rule, now)
            if event is not None:
                events.append(event)
        return events

    def _evaluate(self, rule: AlertRule, now: datetime) -> AlertEvent | None:
        try:
            value = self.source.value(rule.project_id, rule.metric, rule.filter, rule.window, now)
        except HeronError as exc:
            # One failing query must not stop the other rules; the state is kept
            # as is so a store outage neither fires nor resolves anything.
            _log.warning(
                "alert rule not evaluated", rule_id=rule.id, project_id=rule.project_id,
                error=str(exc),
            )  # fmt: skip
            return None
        previous = self.store.load_state(rule.project_id, rule.id) or RuleState(since=now)
        transition = step(rule, previous, value, now)
        event = None
        if transition.changed or transition.notify is not None:
            state_to = transition.state.state
            event = AlertEvent(
                rule_id=rule.id, project_id=rule.project_id, rule_name=rule.name,
                severity=rule.severity, state_from=previous.state, state_to=state_to,
                value=value, threshold=rule.threshold, at=now,
                message=describe(rule, state_to, value, transition.notify),
                notification=transition.notify,
            )  # fmt: skip
            if transition.notify is not None:
                payload = event.to_payload(rule)
                for name in rule.notifiers or self.default_notifiers:
                    self.outbox.enqueue(name, payload, event.dedup_key, now)
            self.store.record_events([event])
            _log.info(
                "alert state", rule_id=rule.id, project_id=rule.project_id,
                state_from=previous.state, state_to=state_to, value=value,
                notification=transition.notify,
            )  # fmt: skip
        self.store.save_state(rule.project_id, rule.id, transition.state)
        return event
