"""AlertRule validation, the default rules and the YAML rules file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from heron.alerts import (
    AlertRule,
    default_rules,
    dump_rules,
    load_rules,
    parse_duration,
    parse_rules,
)
from heron.errors import ConfigError


def test_durations() -> None:
    assert parse_duration("2m") == timedelta(minutes=2)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("500ms") == timedelta(milliseconds=500)
    assert parse_duration(45) == timedelta(seconds=45)
    for bad in ("2 minutes", "m", "", True, "1x"):
        with pytest.raises(ValueError, match="duration"):
            parse_duration(bad)


def test_the_four_default_rules() -> None:
    rules = {r.metric: r for r in default_rules("proj")}
    assert set(rules) == {"p95_latency", "cost_per_hour", "error_rate", "avg_eval_score"}
    lat = rules["p95_latency"]
    assert (lat.comparison, lat.threshold, lat.for_duration) == (">", 10.0, timedelta(minutes=2))
    cost = rules["cost_per_hour"]
    assert (cost.comparison, cost.threshold, cost.for_duration) == (">", 50.0, timedelta(minutes=5))
    err = rules["error_rate"]
    assert (err.comparison, err.threshold, err.for_duration) == (">", 0.05, timedelta(minutes=2))
    ev = rules["avg_eval_score"]
    assert (ev.comparison, ev.threshold, ev.for_duration) == ("<", 0.7, timedelta(minutes=10))
    assert all(r.project_id == "proj" and r.enabled for r in rules.values())


def test_misuse_fails_at_construction() -> None:
    base = {"id": "x", "project_id": "p", "name": "n", "threshold": 1}
    with pytest.raises(ValidationError, match="metric"):
        AlertRule.model_validate({**base, "metric": "p50_latency"})
    with pytest.raises(ValidationError, match="window must be positive"):
        AlertRule.model_validate({**base, "metric": "error_rate", "window": 0})
    with pytest.raises(ValidationError, match="comparison"):
        AlertRule.model_validate({**base, "metric": "error_rate", "comparison": "=="})
    with pytest.raises(ValidationError, match="Extra inputs"):
        AlertRule.model_validate({**base, "metric": "error_rate", "treshold": 2})


RULES_YAML = """
project_id: shop
rules:
  - id: checkout-latency
    name: Checkout assistant is slow
    metric: p95_latency
    comparison: ">"
    threshold: 8
    window: 10m
    for: 2m
    severity: critical
    filter: {model: gpt-4o, tag: checkout}
    labels: {team: payments}
    repeat_interval: 1h
    notifiers: [slack, webhook]
  - id: quality
    project_id: support
    name: Answers got worse
    metric: avg_eval_score
    comparison: "<"
    threshold: 0.6
    enabled: false
    repeat_interval: null
"""


def test_rules_file_loads_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES_YAML)
    first, second = load_rules(path)
    assert first.project_id == "shop"
    assert second.project_id == "support"
    assert first.window == timedelta(minutes=10)
    assert first.for_duration == timedelta(minutes=2)
    assert first.filter.model == "gpt-4o"
    assert first.filter.tag == "checkout"
    assert first.notifiers == ("slack", "webhook")
    assert first.labels == {"team": "payments"}
    assert first.repeat_interval == timedelta(hours=1)
    assert second.enabled is False
    assert second.repeat_interval is None
    assert parse_rules(dump_rules([first, second])) == [first, second]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: [{id: a, name: n, metric: error_rate, threshold: 1}]", "project_id"),
        ("project_id: p\nrules: [{id: a, name: n, metric: nope, threshold: 1}]", r"rules\[0\]"),
        ("project_id: p\nrules: [{id: a, name: n, metric: error_rate, threshold: 1, for: soon}]",
         "duration 'soon'"),
        ("project_id: p\nrules:\n - {id: a, name: n, metric: error_rate, threshold: 1}\n"
         " - {id: a, name: m, metric: error_rate, threshold: 2}", "repeats rule id 'a'"),
        ("rules: {a: 1}", "'rules:' list"),
        ("rules: [", "not valid YAML"),
    ],
)  # fmt: skip
def test_rules_file_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_rules(text, source="rules.yaml")


def test_missing_rules_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read alert rules file"):
        load_rules(tmp_path / "absent.yaml")
