"""heron's own health series, read from a HealthSource at scrape time."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from heron.metrics import HealthCollector, HealthCounters


def test_health_counters_are_exposed_as_heron_series(registry: CollectorRegistry) -> None:
    backlog = [0]
    counters = HealthCounters(wal_backlog_bytes=lambda: backlog[0], eval_queue_depth=lambda: 7)
    registry.register(HealthCollector(counters))
    counters.add_accepted(5)
    counters.add_accepted(3)
    counters.add_rejected("invalid", 2)
    counters.add_rejected("backpressure", 4)
    counters.add_rejected("invalid", 1)
    counters.record_flush(0.2)
    counters.record_flush(0.4)
    counters.add_store_error()
    backlog[0] = 12345

    def v(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert v("heron_spans_accepted_total") == 8
    assert v("heron_spans_rejected_total", reason="invalid") == 3
    assert v("heron_spans_rejected_total", reason="backpressure") == 4
    assert v("heron_wal_backlog_bytes") == 12345  # read live at scrape time
    assert v("heron_flush_duration_seconds_count") == 2
    assert abs((v("heron_flush_duration_seconds_sum") or 0) - 0.6) < 1e-9
    assert v("heron_flush_last_duration_seconds") == 0.4
    assert v("heron_store_errors_total") == 1
    assert v("heron_eval_queue_depth") == 7


def test_no_flush_yet_has_no_last_duration(registry: CollectorRegistry) -> None:
    registry.register(HealthCollector(HealthCounters()))
    assert registry.get_sample_value("heron_flush_duration_seconds_count") == 0
    assert registry.get_sample_value("heron_flush_last_duration_seconds") is None
