"""AlertService: the background loop on a fake clock, default rules, rules file, notifiers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from heron.alerts.notifiers import WebhookNotifier
from heron.alerts.persistence import MetaAlertStore
from heron.alerts.service import AlertService, apply_rules_file, notifiers_from_settings
from heron.cli.worker import check_worker_settings
from heron.config import Settings
from heron.errors import ConfigError
from heron.store.meta import MetaStore

from .conftest import FakeClock, Receiver, SpanMetricSource, llm_span


def test_the_loop_fires_then_delivers_across_cycles_without_sleeping(
    meta: MetaStore, clock: FakeClock, receiver: Receiver
) -> None:
    project_id = meta.ensure_project("svc").id
    source = SpanMetricSource()
    store = MetaAlertStore(meta.engine, clock=clock)
    waits: list[float] = []

    def wait(seconds: float) -> bool:
        # Called between cycles: time passes, slow calls keep arriving; stop after 12.
        waits.append(seconds)
        clock.advance(seconds=seconds)
        for i in range(3):
            n = len(source.spans) + 1
            source.spans.append(llm_span(clock.now - timedelta(seconds=i + 1), n=n,
                                         project_id=project_id, duration_s=14.0))  # fmt: skip
        return len(waits) >= 12

    service = AlertService(
        store=store, source=source, notifiers={"hook": WebhookNotifier("hook", receiver.url)},
        projects=lambda: [project_id], interval=timedelta(seconds=15), clock=clock, wait=wait,
    )  # fmt: skip
    service.start()
    service.join(timeout=60)
    service.stop()
    assert service.cycles == 12
    assert waits == [15.0] * 12
    # Default rules were created for the project the service saw.
    assert "default-p95-latency" in {r.id for r in store.list_rules(project_id)}
    events = store.events(project_id, state="firing")
    assert [e.rule_id for e in events] == ["default-p95-latency"]
    # Pending at the first cycle with data (15 s), firing 2 minutes later.
    pending = store.events(project_id, state="pending")[0]
    assert events[0].at - pending.at == timedelta(minutes=2)
    # Delivered to the real receiver exactly once, in the cycle that fired.
    bodies = [r.json() for r in receiver.requests]
    assert [(b["kind"], b["rule"]["id"]) for b in bodies] == [("firing", "default-p95-latency")]
    assert [d.status for d in store.list()] == ["delivered"]


def test_a_failing_cycle_is_logged_and_the_loop_goes_on(meta: MetaStore, clock: FakeClock) -> None:
    calls = []

    def projects() -> list[str]:
        calls.append(1)
        if len(calls) == 1:
            raise ConfigError("metadata store unreachable")
        return []

    service = AlertService(
        store=MetaAlertStore(meta.engine, clock=clock), source=SpanMetricSource(),
        notifiers={}, projects=projects, clock=clock, wait=lambda s: len(calls) >= 3,
    )  # fmt: skip
    service.start()
    service.join(timeout=60)
    assert len(calls) == 3
    assert service.cycles == 2  # the first cycle failed, the loop kept going


def test_rules_file_upserts_by_id_and_resolves_project_names(
    meta: MetaStore, clock: FakeClock, tmp_path: Path
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "project_id: checkout\n"
        "rules:\n"
        "  - {id: default-p95-latency, name: Slow, metric: p95_latency, threshold: 3}\n"
        "  - {id: spend, name: Spend, metric: cost_per_hour, threshold: 5, notifiers: [slack]}\n"
    )
    store = MetaAlertStore(meta.engine, clock=clock)
    assert apply_rules_file(store, meta, path, default_project="default") == 2
    project = meta.get_project_by_name("checkout")
    assert project is not None
    rules = {r.id: r for r in store.list_rules(project.id)}
    assert rules["default-p95-latency"].threshold == 3  # the file overrides the default
    assert rules["spend"].notifiers == ("slack",)
    assert "default-error-rate" in rules  # the other defaults exist too
    path.write_text(path.read_text().replace("threshold: 5", "threshold: 7"))
    apply_rules_file(store, meta, path, default_project="default")
    assert store.get_rule(project.id, "spend").threshold == 7
    path.write_text("rules:\n  - {id: bad, name: Bad, metric: latency, threshold: 1}\n")
    with pytest.raises(ConfigError, match="metric"):
        apply_rules_file(store, meta, path, default_project="default")


def test_notifiers_come_from_settings(tmp_path: Path) -> None:
    assert set(notifiers_from_settings(Settings(data_dir=tmp_path))) == {"log"}
    settings = Settings(
        data_dir=tmp_path, alert_webhook_url="http://127.0.0.1:9/h", alert_webhook_secret="s",
        alert_slack_url="https://hooks.example/x",
    )  # fmt: skip
    assert set(notifiers_from_settings(settings)) == {"log", "webhook", "slack"}
    with pytest.raises(ConfigError, match="http"):
        notifiers_from_settings(Settings(data_dir=tmp_path, alert_webhook_url="ftp://x"))


def test_worker_refuses_an_embedded_store(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="only one process"):
        check_worker_settings(Settings(data_dir=tmp_path))
    with pytest.raises(ConfigError, match="ClickHouse server"):
        check_worker_settings(Settings(data_dir=tmp_path, store_url="chdb:///x"))
    check_worker_settings(Settings(data_dir=tmp_path, store_url="http://127.0.0.1:8123/heron"))
