"""Rules, state, events and the outbox in the metadata database, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from heron.alerts import AlertEngine, AlertRule, OutboxDispatcher, default_rules
from heron.alerts.notifiers import LogNotifier
from heron.alerts.persistence import MetaAlertStore
from heron.errors import ConfigError, NotFoundError
from heron.store.meta import MetaStore, open_meta_store
from heron.store.meta import alerts as sql

from .conftest import FakeClock, SpanMetricSource, llm_span


def errors_rule(project_id: str, **kw: object) -> AlertRule:
    data: dict[str, object] = {"id": "errors", "project_id": project_id, "name": "Errors",
                               "metric": "error_rate", "threshold": 0.1,
                               "notifiers": ["hook", "log"]}  # fmt: skip
    data.update(kw)
    return AlertRule.model_validate(data)


def failing_traffic(clock: FakeClock, project_id: str, n: int = 5) -> SpanMetricSource:
    return SpanMetricSource([
        llm_span(clock.now - timedelta(seconds=i + 1), n=i + 1, project_id=project_id,
                 status="error") for i in range(n)
    ])  # fmt: skip


def test_defaults_are_created_once_and_a_deleted_default_stays_deleted(
    meta: MetaStore, project_id: str, clock: FakeClock
) -> None:
    store = MetaAlertStore(meta.engine, clock=clock)
    assert store.ensure_defaults(project_id) is True
    assert [r.id for r in store.list_rules(project_id)] == sorted(
        r.id for r in default_rules(project_id)
    )
    store.delete_rule(project_id, "default-cost-spike")
    assert store.ensure_defaults(project_id) is False
    assert "default-cost-spike" not in {r.id for r in store.list_rules(project_id)}
    edited = store.get_rule(project_id, "default-p95-latency").model_copy(update={"threshold": 4.0})
    store.replace_rule(edited)
    assert store.get_rule(project_id, "default-p95-latency").threshold == 4.0


def test_rule_crud_is_scoped_to_the_project(meta: MetaStore, clock: FakeClock) -> None:
    a = meta.ensure_project("a").id
    b = meta.ensure_project("b").id
    store = MetaAlertStore(meta.engine, clock=clock)
    rule = errors_rule(a, window="10m", filter={"model": "gpt-4o"}, labels={"team": "x"})
    store.create_rule(rule)
    assert store.get_rule(a, "errors") == rule  # round-trips every field
    with pytest.raises(ConfigError, match="already exists"):
        store.create_rule(rule)
    with pytest.raises(NotFoundError):
        store.get_rule(b, "errors")
    with pytest.raises(NotFoundError):
        store.delete_rule(b, "errors")
    with pytest.raises(NotFoundError):
        store.replace_rule(rule.model_copy(update={"project_id": b}))
    store.delete_rule(a, "errors")
    assert store.list_rules(a) == []


def test_state_events_and_outbox_survive_a_restart(
    meta_url: str, meta: MetaStore, project_id: str, clock: FakeClock
) -> None:
    store = MetaAlertStore(meta.engine, clock=clock)
    store.create_rule(errors_rule(project_id))
    source = failing_traffic(clock, project_id)
    engine = AlertEngine(rules=store.rules, source=source, store=store, clock=clock)
    (event,) = engine.evaluate_once()
    assert event.state_to == "firing"

    reopened = open_meta_store(meta_url, server_secret="x" * 40)  # a new process, in effect
    try:
        again = MetaAlertStore(reopened.engine, clock=clock)
        state = again.load_state(project_id, "errors")
        assert state is not None
        assert state.state == "firing"
        assert state.open
        assert state.last_value == 1.0
        assert state.since == clock.now
        (stored,) = again.events(project_id)
        assert stored == event
        assert again.events(project_id, state="resolved") == []
        assert again.events(project_id, since=clock.now + timedelta(seconds=1)) == []
        deliveries = again.list()
        assert sorted(d.notifier for d in deliveries) == ["hook", "log"]
        assert all(d.status == "pending" and d.payload["kind"] == "firing" for d in deliveries)
        # The same notification cannot be enqueued twice.
        first = deliveries[0]
        assert again.enqueue(first.notifier, first.payload, first.dedup_key, clock.now) is None
    finally:
        reopened.close()


def test_dispatch_delivers_each_notification_once_and_records_failures(
    meta: MetaStore, project_id: str, clock: FakeClock
) -> None:
    store = MetaAlertStore(meta.engine, clock=clock)
    store.create_rule(errors_rule(project_id))
    AlertEngine(rules=store.rules, source=failing_traffic(clock, project_id), store=store,
                clock=clock).evaluate_once()  # fmt: skip
    dispatcher = OutboxDispatcher(store, {"log": LogNotifier()}, clock=clock)
    done = {d.notifier: d for d in dispatcher.dispatch_due()}
    assert done["log"].status == "delivered"
    assert done["log"].delivered_at == clock.now
    assert done["hook"].status == "failed"
    assert "no notifier named 'hook'" in str(done["hook"].last_error)
    assert dispatcher.dispatch_due() == []
    assert {d.notifier: d.status for d in store.list()} == {"hook": "failed", "log": "delivered"}


def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_ends(
    meta: MetaStore, project_id: str, clock: FakeClock
) -> None:
    store = MetaAlertStore(meta.engine, clock=clock)
    payload = {"project_id": project_id, "kind": "firing"}
    for i in range(3):
        assert store.enqueue("log", payload, f"k{i}", clock.now) is not None
    lease = timedelta(minutes=5)
    first = store.claim_due(clock.now, 2, lease)
    assert [d.dedup_key for d in first] == ["k0", "k1"]
    second = store.claim_due(clock.now, 10, lease)
    assert [d.dedup_key for d in second] == ["k2"]
    assert store.claim_due(clock.now + timedelta(minutes=4), 10, lease) == []
    # The claimer died: after the lease the deliveries are due again.
    assert len(store.claim_due(clock.now + lease, 10, lease)) == 3


def test_two_workers_evaluating_at_the_same_time_fire_once(
    meta_url: str, meta: MetaStore, clock: FakeClock
) -> None:
    projects = [meta.ensure_project(f"p{i}").id for i in range(3)]
    setup = MetaAlertStore(meta.engine, clock=clock)
    for project_id in projects:
        setup.create_rule(errors_rule(project_id, **{"for": 0}))
    spans = [s for p in projects for s in failing_traffic(clock, p).spans]
    for i, span in enumerate(spans):  # unique ids across projects
        span.span_id = f"{i + 1:016x}"

    workers = []
    for _ in range(2):
        opened = open_meta_store(meta_url, server_secret="x" * 40)  # its own engine and pool
        store = MetaAlertStore(opened.engine, clock=clock)
        engine = AlertEngine(rules=store.rules, source=SpanMetricSource(spans), store=store,
                             clock=clock, claim_for=timedelta(seconds=15))  # fmt: skip
        workers.append((opened, store, engine))
    barrier = threading.Barrier(2)
    fired: list[list[str]] = [[], []]

    def run(index: int) -> None:
        engine = workers[index][2]
        barrier.wait()
        fired[index] = [e.project_id for e in engine.evaluate_once(clock.now)]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert sorted(fired[0] + fired[1]) == sorted(projects)  # each rule fired exactly once
        for project_id in projects:
            assert len(setup.events(project_id)) == 1
        assert len(setup.list()) == 2 * len(projects)  # hook + log per project, once each
        # Both workers dispatch at the same moment: every delivery is attempted once.
        claimed: list[list[int]] = [[], []]

        def claim(index: int) -> None:
            barrier.wait()
            claimed[index] = [d.id for d in workers[index][1].claim_due(
                clock.now, 100, timedelta(minutes=5))]  # fmt: skip

        threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not set(claimed[0]) & set(claimed[1])
        assert sorted(claimed[0] + claimed[1]) == sorted(d.id for d in setup.list())
        # The next cycle (after the claim period) is evaluated again, by either worker.
        clock.advance(seconds=15)
        later = workers[1][2].evaluate_once() + workers[0][2].evaluate_once()
        assert later == []  # still firing: no new event
        assert sql.count_events(meta.engine, projects[0]) == 1
    finally:
        for opened, _, _ in workers:
            opened.close()
