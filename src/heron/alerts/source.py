"""The engine's seams: where metric values come from and where rule state is kept."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from heron.alerts.event import AlertEvent
from heron.alerts.outbox import MemoryOutbox
from heron.alerts.rule import MetricName, RuleFilter
from heron.alerts.state import AlertState, RuleState

__all__ = [
    "AlertStore",
    "Evaluation",
    "MemoryAlertStore",
    "MetricSource",
    "Notification",
    "RuleKey",
]

RuleKey = tuple[str, str]
"""``(project_id, rule_id)``."""


class MetricSource(Protocol):
    """Computes one alert metric over LLM calls (duplicates excluded).

    Returns the value in the unit listed in :mod:`heron.alerts.rule` for the
    window ``[now - window, now)``, or None when there is no data to judge (no
    LLM call in the window; for ``avg_eval_score``/``hallucination_rate``, no
    score). Raise a ``heron.errors.HeronError`` when the store cannot answer.
    """

    def value(
        self, project_id: str, metric: MetricName, filter: RuleFilter, window: timedelta,
        now: datetime,
    ) -> float | None:  # fmt: skip
        """The metric's value, or None for no data."""


@dataclass(frozen=True, slots=True)
class Notification:
    """One notification for one notifier, to be enqueued in the outbox."""

    notifier: str
    payload: dict[str, Any]
    dedup_key: str


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What one evaluation of one rule writes; an :class:`AlertStore` applies it atomically."""

    project_id: str
    rule_id: str
    at: datetime
    state: RuleState
    event: AlertEvent | None = None
    notifications: tuple[Notification, ...] = field(default_factory=tuple)


class AlertStore(Protocol):
    """Rule states, the event history and the outbox (the metadata database in production)."""

    def load_state(self, project_id: str, rule_id: str) -> RuleState | None:
        """The saved state of a rule, None if never evaluated."""

    def claim(
        self, keys: Sequence[RuleKey], now: datetime, until: datetime
    ) -> dict[RuleKey, RuleState | None]:
        """Claim the rules due at ``now`` among ``keys`` (none due again before ``until``).

        Returns the claimed ones with their saved state; a rule another engine
        claimed for this cycle (or that no longer exists) is left out.
        """

    def commit(self, evaluations: Sequence[Evaluation]) -> None:
        """Save states, append events and enqueue notifications, all or nothing."""

    def events(
        self, project_id: str, *, limit: int = 100, state: AlertState | None = None,
        since: datetime | None = None,
    ) -> list[AlertEvent]:  # fmt: skip
        """The project's most recent events, newest first."""


class MemoryAlertStore:
    """An in-process :class:`AlertStore` whose notifications go to :attr:`outbox`."""

    def __init__(self, outbox: MemoryOutbox | None = None) -> None:
        self.outbox = outbox or MemoryOutbox()
        self._lock = threading.Lock()
        self._states: dict[tuple[str, str], RuleState] = {}
        self._next_eval: dict[tuple[str, str], datetime] = {}
        self._events: list[AlertEvent] = []

    def load_state(self, project_id: str, rule_id: str) -> RuleState | None:
        """See :class:`AlertStore`."""
        with self._lock:
            return self._states.get((project_id, rule_id))

    def claim(
        self, keys: Sequence[RuleKey], now: datetime, until: datetime
    ) -> dict[RuleKey, RuleState | None]:
        """See :class:`AlertStore`."""
        claimed: dict[RuleKey, RuleState | None] = {}
        with self._lock:
            for key in keys:
                due = self._next_eval.get(key)
                if due is None or due <= now:
                    self._next_eval[key] = until
                    claimed[key] = self._states.get(key)
        return claimed

    def commit(self, evaluations: Sequence[Evaluation]) -> None:
        """See :class:`AlertStore`."""
        with self._lock:
            for evaluation in evaluations:
                self._states[(evaluation.project_id, evaluation.rule_id)] = evaluation.state
                if evaluation.event is not None:
                    self._events.append(evaluation.event)
                for item in evaluation.notifications:
                    self.outbox.enqueue(item.notifier, item.payload, item.dedup_key, evaluation.at)

    def events(
        self, project_id: str, *, limit: int = 100, state: AlertState | None = None,
        since: datetime | None = None,
    ) -> list[AlertEvent]:  # fmt: skip
        """See :class:`AlertStore`."""
        with self._lock:
            mine = [
                e for e in self._events
                if e.project_id == project_id and (state is None or e.state_to == state)
                and (since is None or e.at >= since)
            ]  # fmt: skip
        return mine[::-1][:limit]

    def record_events(self, events: Sequence[AlertEvent]) -> None:
        """Append events directly (tests and imports)."""
        with self._lock:
            self._events.extend(events)
