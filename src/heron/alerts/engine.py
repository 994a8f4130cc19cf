"""The alert engine: evaluate every enabled rule, record transitions, enqueue notifications."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

import structlog

from heron.alerts.event import AlertEvent, describe
from heron.alerts.rule import AlertRule
from heron.alerts.source import AlertStore, Evaluation, MetricSource, Notification
from heron.alerts.state import RuleState, step
from heron.errors import HeronError

__all__ = ["AlertEngine"]

_log = structlog.get_logger("heron.alerts.engine")


class AlertEngine:
    """Evaluates rules against a :class:`MetricSource` on an injected clock.

    ``rules`` returns the rules of every project (re-read at each evaluation so
    edits apply without a restart). A rule's notifications go to its
    ``notifiers`` by name, or to ``default_notifiers`` when it names none.

    Each rule is first claimed in the store for ``claim_for`` (see
    :meth:`AlertStore.claim`), so several engines sharing one store (several
    workers) evaluate each rule once per cycle; the resulting state, event and
    notifications are committed together, so a crash never notifies twice.
    """

    def __init__(
        self,
        *,
        rules: Callable[[], Iterable[AlertRule]],
        source: MetricSource,
        store: AlertStore,
        clock: Callable[[], datetime],
        default_notifiers: Sequence[str] = ("log",),
        claim_for: timedelta = timedelta(seconds=1),
    ) -> None:
        if claim_for <= timedelta(0):
            raise ValueError(f"claim_for must be positive, got {claim_for}")
        self.rules = rules
        self.source = source
        self.store = store
        self.clock = clock
        self.default_notifiers = tuple(default_notifiers)
        self.claim_for = claim_for

    def evaluate_once(self, now: datetime | None = None) -> list[AlertEvent]:
        """Evaluate all enabled rules at ``now`` (default: the clock); return the events."""
        now = now or self.clock()
        rules = [rule for rule in self.rules() if rule.enabled]
        # One claim and one commit per cycle, not per rule: a cycle's cost is its queries.
        claimed = self.store.claim([rule.key for rule in rules], now, now + self.claim_for)
        evaluations: list[Evaluation] = []
        for rule in rules:
            if rule.key not in claimed:
                continue  # another engine evaluates this rule in this cycle
            evaluation = self._evaluate(rule, claimed[rule.key], now)
            if evaluation is not None:
                evaluations.append(evaluation)
        self.store.commit(evaluations)
        return [e.event for e in evaluations if e.event is not None]

    def _evaluate(
        self, rule: AlertRule, saved: RuleState | None, now: datetime
    ) -> Evaluation | None:
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
        previous = saved or RuleState(since=now)
        transition = step(rule, previous, value, now)
        event = None
        notifications: list[Notification] = []
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
                notifications = [
                    Notification(name, payload, event.dedup_key)
                    for name in rule.notifiers or self.default_notifiers
                ]
            _log.info(
                "alert state", rule_id=rule.id, project_id=rule.project_id,
                state_from=previous.state, state_to=state_to, value=value,
                notification=transition.notify,
            )  # fmt: skip
        return Evaluation(
            rule.project_id, rule.id, now, transition.state, event, tuple(notifications)
        )
