"""The pure state machine, transition by transition, with explicit times."""

from __future__ import annotations

from datetime import timedelta

import pytest

from heron.alerts import AlertRule, RuleState, step

from .conftest import T0


def rule(**kw: object) -> AlertRule:
    base: dict[str, object] = {"id": "r", "project_id": "p", "name": "Slow", "metric":
                               "p95_latency", "threshold": 10.0, "for": "2m",
                               "repeat_interval": "1h"}  # fmt: skip
    base.update(kw)
    return AlertRule.model_validate(base)


def at(minutes: float) -> object:
    return T0 + timedelta(minutes=minutes)


def test_ok_pending_firing_resolved_with_edge_triggered_notifications() -> None:
    r = rule()
    s = RuleState(since=T0)
    t = step(r, s, 12.0, T0)
    assert (t.state.state, t.notify, t.changed) == ("pending", None, True)
    t = step(r, t.state, 11.0, T0 + timedelta(minutes=1))
    assert (t.state.state, t.notify, t.changed) == ("pending", None, False)
    t = step(r, t.state, 11.0, T0 + timedelta(minutes=2))
    assert (t.state.state, t.notify) == ("firing", "firing")
    assert t.state.open
    assert t.state.pending_since == T0
    t = step(r, t.state, 15.0, T0 + timedelta(minutes=3))
    assert (t.state.state, t.notify, t.changed) == ("firing", None, False)
    t = step(r, t.state, 5.0, T0 + timedelta(minutes=4))
    assert (t.state.state, t.notify) == ("resolved", "resolved")
    assert not t.state.open
    t = step(r, t.state, 5.0, T0 + timedelta(minutes=5))
    assert (t.state.state, t.notify, t.changed) == ("resolved", None, False)
    t = step(r, t.state, 20.0, T0 + timedelta(minutes=6))
    assert (t.state.state, t.notify) == ("pending", None)


def test_pending_that_clears_goes_back_to_ok_silently() -> None:
    r = rule()
    t = step(r, RuleState(), 12.0, T0)
    t = step(r, t.state, 3.0, T0 + timedelta(minutes=1))
    assert (t.state.state, t.notify, t.changed) == ("ok", None, True)
    # The next breach starts the `for` period again.
    t = step(r, t.state, 12.0, T0 + timedelta(minutes=2))
    t = step(r, t.state, 12.0, T0 + timedelta(minutes=3))
    assert t.state.state == "pending"


def test_zero_for_fires_on_first_breach() -> None:
    t = step(rule(**{"for": 0}), RuleState(), 10.5, T0)
    assert (t.state.state, t.notify) == ("firing", "firing")


@pytest.mark.parametrize(
    ("comparison", "value", "breached"),
    [(">", 10.0, False), (">=", 10.0, True), ("<", 10.0, False), ("<=", 10.0, True),
     ("<", 9.9, True), (">", 10.1, True)],
)  # fmt: skip
def test_comparisons_at_the_threshold(comparison: str, value: float, breached: bool) -> None:
    r = rule(comparison=comparison, **{"for": 0})
    assert (step(r, RuleState(), value, T0).state.state == "firing") is breached


def test_repeat_interval_renotifies_while_firing() -> None:
    r = rule(**{"for": 0, "repeat_interval": "30m"})
    t = step(r, RuleState(), 11.0, T0)
    kinds = [t.notify]
    for minute in range(5, 95, 5):
        t = step(r, t.state, 11.0, T0 + timedelta(minutes=minute))
        kinds.append(t.notify)
    assert [k for k in kinds if k] == ["firing", "repeat", "repeat", "repeat"]
    assert t.state.last_notified_at == T0 + timedelta(minutes=90)


def test_no_repeat_interval_means_one_notification() -> None:
    r = rule(**{"for": 0, "repeat_interval": None})
    t = step(r, RuleState(), 11.0, T0)
    t = step(r, t.state, 11.0, T0 + timedelta(days=2))
    assert t.notify is None


def test_no_data_from_ok_is_silent_and_recovers_to_ok() -> None:
    r = rule()
    t = step(r, RuleState(), None, T0)
    assert (t.state.state, t.notify, t.changed) == ("no_data", None, True)
    t = step(r, t.state, None, T0 + timedelta(minutes=1))
    assert (t.state.state, t.changed) == ("no_data", False)
    t = step(r, t.state, 1.0, T0 + timedelta(minutes=2))
    assert (t.state.state, t.notify) == ("ok", None)


def test_no_data_while_firing_notifies_and_later_resolves() -> None:
    r = rule(**{"for": 0})
    t = step(r, RuleState(), 11.0, T0)
    t = step(r, t.state, None, T0 + timedelta(minutes=1))
    assert (t.state.state, t.notify) == ("no_data", "no_data")
    assert t.state.open
    t = step(r, t.state, 2.0, T0 + timedelta(minutes=2))
    assert (t.state.state, t.notify) == ("resolved", "resolved")


def test_no_data_while_pending_drops_the_pending_period() -> None:
    r = rule()
    t = step(r, RuleState(), 11.0, T0)
    t = step(r, t.state, None, T0 + timedelta(minutes=1))
    assert (t.state.state, t.notify, t.state.pending_since) == ("no_data", None, None)
    t = step(r, t.state, 11.0, T0 + timedelta(minutes=3))
    assert t.state.state == "pending"  # a fresh `for` period, not fired at once
