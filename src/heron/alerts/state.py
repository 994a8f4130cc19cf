"""The alert state machine: a pure function from (rule, previous state, value, now).

::

    ok | resolved --breach--> pending --held for `for`--> firing   (for = 0: straight to firing)
    pending --no breach--> ok
    firing --breach--> firing            (re-notified every `repeat_interval`)
    firing --no breach--> resolved
    any --value is None--> no_data --value again--> as from ok, or resolved if it was firing

Notifications are edge-triggered: on entering ``firing``, on ``firing`` ->
``resolved``, on losing data while firing, and every ``repeat_interval`` while
firing. ``open`` remembers whether receivers were told "firing" and not yet
told it ended, so an alert that lost its data still gets its "resolved".
Nothing here reads a clock or does I/O: tests drive it with explicit times.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from heron.alerts.rule import AlertRule

__all__ = ["AlertState", "NotificationKind", "RuleState", "Transition", "step"]

AlertState = Literal["ok", "pending", "firing", "resolved", "no_data"]
NotificationKind = Literal["firing", "repeat", "resolved", "no_data"]


@dataclass(frozen=True, slots=True)
class RuleState:
    """What the engine remembers about one rule between evaluations."""

    state: AlertState = "ok"
    since: datetime | None = None
    pending_since: datetime | None = None
    open: bool = False
    last_notified_at: datetime | None = None
    last_value: float | None = None
    last_evaluated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Transition:
    """The result of one evaluation: the new state and what, if anything, to tell receivers."""

    previous: RuleState
    state: RuleState
    notify: NotificationKind | None

    @property
    def changed(self) -> bool:
        """True when the rule moved to another state."""
        return self.previous.state != self.state.state


def _fire(prev: RuleState, value: float, now: datetime, since: datetime) -> Transition:
    new = replace(
        prev, state="firing", since=now, pending_since=since, open=True,
        last_notified_at=now, last_value=value, last_evaluated_at=now,
    )  # fmt: skip
    return Transition(prev, new, "firing")


def step(rule: AlertRule, prev: RuleState, value: float | None, now: datetime) -> Transition:
    """Advance ``prev`` given the metric ``value`` (None = no data) observed at ``now``."""
    if value is None:
        if prev.state == "no_data":
            return Transition(prev, replace(prev, last_evaluated_at=now), None)
        kind: NotificationKind | None = "no_data" if prev.state == "firing" else None
        new = replace(
            prev, state="no_data", since=now, pending_since=None, last_value=None,
            last_evaluated_at=now, last_notified_at=now if kind else prev.last_notified_at,
        )  # fmt: skip
        return Transition(prev, new, kind)

    seen = replace(prev, last_value=value, last_evaluated_at=now)
    if rule.breached(value):
        if prev.state == "firing":
            repeat = rule.repeat_interval
            last = prev.last_notified_at
            if repeat is not None and last is not None and now - last >= repeat:
                return Transition(prev, replace(seen, last_notified_at=now), "repeat")
            return Transition(prev, seen, None)
        if prev.state == "pending":
            started = prev.pending_since or now
            if now - started >= rule.for_duration:
                return _fire(prev, value, now, started)
            return Transition(prev, seen, None)
        if rule.for_duration <= timedelta(0):
            return _fire(prev, value, now, now)
        return Transition(prev, replace(seen, state="pending", since=now, pending_since=now), None)

    if prev.open:
        new = replace(seen, state="resolved", since=now, pending_since=None, open=False,
                      last_notified_at=now)  # fmt: skip
        return Transition(prev, new, "resolved")
    if prev.state in ("pending", "no_data"):
        return Transition(prev, replace(seen, state="ok", since=now, pending_since=None), None)
    return Transition(prev, seen, None)
