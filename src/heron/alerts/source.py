"""The engine's seams: where metric values come from and where rule state is kept."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from heron.alerts.event import AlertEvent
from heron.alerts.rule import MetricName, RuleFilter
from heron.alerts.state import RuleState

__all__ = ["AlertStore", "MemoryAlertStore", "MetricSource"]


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


class AlertStore(Protocol):
    """Rule states and the event history (the metadata database in production)."""

    def load_state(self, project_id: str, rule_id: str) -> RuleState | None:
        """The saved state of a rule, None if never evaluated."""

    def save_state(self, project_id: str, rule_id: str, state: RuleState) -> None:
        """Persist a rule's state."""

    def record_events(self, events: Sequence[AlertEvent]) -> None:
        """Append events to the history."""

    def events(self, project_id: str, *, limit: int = 100) -> list[AlertEvent]:
        """The project's most recent events, newest first."""


class MemoryAlertStore:
    """An in-process :class:`AlertStore`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[tuple[str, str], RuleState] = {}
        self._events: list[AlertEvent] = []

    def load_state(self, project_id: str, rule_id: str) -> RuleState | None:
        """See :class:`AlertStore`."""
        with self._lock:
            return self._states.get((project_id, rule_id))

    def save_state(self, project_id: str, rule_id: str, state: RuleState) -> None:
        """See :class:`AlertStore`."""
        with self._lock:
            self._states[(project_id, rule_id)] = state

    def record_events(self, events: Sequence[AlertEvent]) -> None:
        """See :class:`AlertStore`."""
        with self._lock:
            self._events.extend(events)

    def events(self, project_id: str, *, limit: int = 100) -> list[AlertEvent]:
        """See :class:`AlertStore`."""
        with self._lock:
            mine = [e for e in self._events if e.project_id == project_id]
        return mine[::-1][:limit]
