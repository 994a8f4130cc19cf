"""AlertEngine over spans in memory: rules fire, resolve, dedup and notify through the outbox."""

from __future__ import annotations

from datetime import timedelta

from heron.alerts import (
    AlertEngine,
    AlertRule,
    MemoryAlertStore,
    MemoryOutbox,
    RuleFilter,
    default_rules,
)
from heron.alerts.rule import MetricName
from heron.errors import StoreError
from heron.model import Score

from .conftest import FakeClock, SpanMetricSource, llm_span


def make_engine(
    rules: list[AlertRule], source: SpanMetricSource, clock: FakeClock
) -> tuple[AlertEngine, MemoryAlertStore, MemoryOutbox]:
    store = MemoryAlertStore()
    engine = AlertEngine(rules=lambda: rules, source=source, store=store,
                         clock=clock, default_notifiers=("log", "hook"))  # fmt: skip
    return engine, store, store.outbox


def add_traffic(source: SpanMetricSource, clock: FakeClock, n: int, **fields: object) -> None:
    base = len(source.spans)
    for i in range(n):
        at = clock.now - timedelta(seconds=1 + i)
        source.spans.append(llm_span(at, n=base + i + 1, **fields))  # type: ignore[arg-type]


def test_default_latency_rule_fires_after_two_minutes_and_resolves(
    source: SpanMetricSource, clock: FakeClock
) -> None:
    rules = default_rules("proj")
    engine, store, outbox = make_engine(rules, source, clock)
    add_traffic(source, clock, 20, duration_s=14.0, cost=0.001)
    events = engine.evaluate_once()
    states = {e.rule_id: (e.state_from, e.state_to) for e in events}
    assert states["default-p95-latency"] == ("ok", "pending")
    assert states["default-eval-score"] == ("ok", "no_data")  # no scores yet
    assert "default-error-rate" not in states
    assert "default-cost-spike" not in states
    assert outbox.list() == []

    clock.advance(minutes=1)
    add_traffic(source, clock, 5, duration_s=14.0)
    assert [e.rule_id for e in engine.evaluate_once()] == []
    clock.advance(minutes=1)
    add_traffic(source, clock, 5, duration_s=14.0)
    (fired,) = engine.evaluate_once()
    assert (fired.rule_id, fired.state_to, fired.notification) == (
        "default-p95-latency", "firing", "firing")  # fmt: skip
    assert fired.value == 14.0
    assert fired.threshold == 10.0
    assert "p95_latency is 14 s" in fired.message
    deliveries = outbox.list()
    assert sorted(d.notifier for d in deliveries) == ["hook", "log"]
    payload = deliveries[0].payload
    assert payload["kind"] == "firing"
    assert payload["rule"]["id"] == "default-p95-latency"
    assert payload["project_id"] == "proj"
    assert payload["value"] == 14.0

    clock.advance(minutes=6)  # the slow calls leave the window; fast ones arrive
    add_traffic(source, clock, 10, duration_s=1.0)
    events = {e.rule_id: e for e in engine.evaluate_once()}
    assert events["default-p95-latency"].state_to == "resolved"
    assert len(outbox.list()) == 4
    history = store.events("proj")
    assert history[0].state_to == "resolved"  # newest first
    assert store.load_state("proj", "default-p95-latency").state == "resolved"  # type: ignore[union-attr]


def test_error_rate_cost_and_eval_rules(source: SpanMetricSource, clock: FakeClock) -> None:
    rules = [r.model_copy(update={"for_duration": timedelta(0)}) for r in default_rules("proj")]
    engine, _, _ = make_engine(rules, source, clock)
    add_traffic(source, clock, 18, cost=0.5)  # $9 in 5 min = $108/h
    add_traffic(source, clock, 2, status="error")  # 10% errors
    source.scores += [Score(score_id=str(i), project_id="proj", trace_id="t", name="qa",
                            created_at=clock.now - timedelta(minutes=1), value=v)
                      for i, v in enumerate([0.5, 0.6, 0.7])]  # fmt: skip
    fired = {e.rule_id: e for e in engine.evaluate_once() if e.state_to == "firing"}
    assert set(fired) == {"default-error-rate", "default-cost-spike", "default-eval-score"}
    assert abs((fired["default-error-rate"].value or 0) - 0.1) < 1e-9
    assert abs((fired["default-cost-spike"].value or 0) - 108.0) < 1e-6
    assert abs((fired["default-eval-score"].value or 0) - 0.6) < 1e-9


def test_rules_are_scoped_to_their_project_and_filter(
    source: SpanMetricSource, clock: FakeClock
) -> None:
    def r(rid: str, project: str, flt: RuleFilter, metric: MetricName = "error_rate") -> AlertRule:
        return AlertRule(id=rid, project_id=project, name=rid, metric=metric, threshold=0.5,
                         filter=flt)  # fmt: skip

    rules = [
        r("a-all", "a", RuleFilter()),
        r("a-claude", "a", RuleFilter(model="claude")),
        r("b-all", "b", RuleFilter()),
        r("a-disabled", "a", RuleFilter()).model_copy(update={"enabled": False}),
    ]
    engine, _, _ = make_engine(rules, source, clock)
    add_traffic(source, clock, 3, project_id="a", model="claude", status="error")
    add_traffic(source, clock, 1, project_id="a", model="gpt-4o")
    add_traffic(source, clock, 4, project_id="b", status="ok")
    events = {e.rule_id: e.state_to for e in engine.evaluate_once()}
    assert events == {"a-all": "firing", "a-claude": "firing"}  # b is fine; disabled never runs


def test_evaluating_twice_at_the_same_time_notifies_once(
    source: SpanMetricSource, clock: FakeClock
) -> None:
    rule = AlertRule(id="e", project_id="proj", name="errors", metric="error_rate",
                     threshold=0.1, notifiers=("hook",))  # fmt: skip
    engine, _, outbox = make_engine([rule], source, clock)
    add_traffic(source, clock, 5, status="error")
    assert len(engine.evaluate_once()) == 1
    assert engine.evaluate_once(clock.now) == []
    (delivery,) = outbox.list()
    assert delivery.notifier == "hook"  # the rule's own notifiers, not the defaults
    # The outbox itself refuses a second delivery with the same key.
    assert outbox.enqueue("hook", delivery.payload, delivery.dedup_key, clock.now) is None
    assert len(outbox.list()) == 1


def test_repeat_notifications_follow_the_repeat_interval(
    source: SpanMetricSource, clock: FakeClock
) -> None:
    rule = AlertRule(id="e", project_id="proj", name="errors", metric="error_rate",
                     threshold=0.1, repeat_interval=timedelta(minutes=30),
                     notifiers=("hook",))  # fmt: skip
    engine, _, outbox = make_engine([rule], source, clock)
    for _ in range(13):  # one hour, every 5 minutes, always failing
        add_traffic(source, clock, 3, status="error")
        engine.evaluate_once()
        clock.advance(minutes=5)
    kinds = [d.payload["kind"] for d in outbox.list()]
    assert kinds == ["firing", "repeat", "repeat"]
    assert len({d.dedup_key for d in outbox.list()}) == 3


def test_a_failing_source_skips_the_rule_and_keeps_its_state(clock: FakeClock) -> None:
    class Broken(SpanMetricSource):
        def value(self, project_id: str, *args: object, **kw: object) -> float | None:
            if project_id == "down":
                raise StoreError("store unreachable")
            return 1.0

    rules = [AlertRule(id="x", project_id=p, name=p, metric="error_rate", threshold=0.5,
                       **{"for": 0}) for p in ("down", "up")]  # type: ignore[arg-type]  # fmt: skip
    engine, store, _ = make_engine(rules, Broken(), clock)
    events = engine.evaluate_once()
    assert [(e.project_id, e.state_to) for e in events] == [("up", "firing")]
    assert store.load_state("down", "x") is None


def test_no_data_is_recorded(source: SpanMetricSource, clock: FakeClock) -> None:
    rule = AlertRule(id="lat", project_id="proj", name="lat", metric="ttft_p95", threshold=2)
    engine, store, outbox = make_engine([rule], source, clock)
    add_traffic(source, clock, 3)  # calls without TTFT: nothing to judge
    (event,) = engine.evaluate_once()
    assert (event.state_from, event.state_to, event.value) == ("ok", "no_data", None)
    assert "NO DATA" in event.message
    assert outbox.list() == []
    assert store.events("proj") == [event]
