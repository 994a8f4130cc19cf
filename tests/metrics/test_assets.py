"""The exported Prometheus rules and Grafana dashboard: valid, and over series heron exposes."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import yaml
from click.testing import CliRunner
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from heron.cli.export import export
from heron.metrics import HealthCounters, LlmMetrics
from heron.metrics.assets import (
    dashboard_exprs,
    grafana_dashboard,
    prometheus_rules,
    prometheus_rules_yaml,
)
from heron.model import Score
from heron.testing import shared_dir

from .conftest import T0, SpanFactory

_NAME = re.compile(r"\b((?:llm|heron|gen_ai)_[a-z0-9_]+)\b")


def _promtool_rules(promtool: str, path: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([promtool, "check", "rules", str(path)], capture_output=True,
                          timeout=60, check=False)  # fmt: skip


def _seed_exprs() -> list[str]:
    seed = shared_dir() / "seed-stack"
    rules = yaml.safe_load((seed / "prometheus-alerts.yaml").read_text())
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    for line in (seed / "dashboard-queries.promql").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            exprs.append(line.split("\t", 1)[1])
    return exprs


def _exposed_names(span: SpanFactory) -> set[str]:
    health = HealthCounters()
    health.add_rejected("invalid", 1)
    metrics = LlmMetrics(CollectorRegistry(), health=health)
    metrics.observe_spans([span(cost="0.1", ttft_ms=100.0, streaming=True, input_tokens=5,
                                output_tokens=2), span(status="error")])  # fmt: skip
    metrics.observe_scores([Score(score_id="s", project_id="proj", trace_id="t", name="qa",
                                  created_at=T0, value=0.5)])  # fmt: skip
    body, _ = metrics.render("text/plain")
    return {s.name for f in text_string_to_metric_families(body.decode()) for s in f.samples}


def test_exported_rules_pass_promtool(tmp_path: Path, promtool: str) -> None:
    path = tmp_path / "heron-rules.yaml"
    path.write_text(prometheus_rules_yaml())
    result = _promtool_rules(promtool, path)
    assert result.returncode == 0, result.stderr.decode() + result.stdout.decode()
    assert b"SUCCESS" in result.stdout


def test_exported_rules_cover_the_standard_alerts() -> None:
    rules = {r["alert"]: r for g in prometheus_rules()["groups"] for r in g["rules"]}
    for name in ("LLMHighLatencyP95", "LLMHighErrorRate", "LLMCostSpike", "LLMEvalScoreLow"):
        assert name in rules
        assert rules[name]["labels"]["severity"] in ("info", "warning", "critical")
    assert rules["LLMHighLatencyP95"]["for"] == "2m"
    assert rules["LLMEvalScoreLow"]["expr"].endswith("< 0.7")
    custom = {r["alert"]: r for g in prometheus_rules(cost_per_hour_usd=5)["groups"]
              for r in g["rules"]}  # fmt: skip
    assert custom["LLMCostSpike"]["expr"].endswith("> 5")


def test_every_queried_series_is_one_heron_exposes(span: SpanFactory) -> None:
    exposed = _exposed_names(span)
    exprs = _seed_exprs() + dashboard_exprs(grafana_dashboard())
    exprs += [r["expr"] for g in prometheus_rules()["groups"] for r in g["rules"]]
    referenced = {name for e in exprs for name in _NAME.findall(e)}
    assert {"llm_request_duration_bucket", "llm_cost_usd_total", "llm_eval_score"} <= referenced
    assert referenced - exposed == set()


def test_dashboard_is_a_provisionable_grafana_model() -> None:
    dash = grafana_dashboard()
    for key in ("uid", "title", "schemaVersion", "panels", "templating", "time", "version"):
        assert key in dash
    json.dumps(dash)  # serialisable as-is
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    titles = [p["title"] for p in dash["panels"]]
    for expected in ("Requests / minute", "p95 latency", "Time to first token p95",
                     "Tokens / second by model", "Cost (24h)", "Cost per model (24h)",
                     "Error rate", "Eval score by evaluator"):  # fmt: skip
        assert expected in titles
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dash["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert set(panel["gridPos"]) == {"x", "y", "w", "h"}
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip()
            assert target["datasource"] == panel["datasource"]
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids))


def test_every_dashboard_expr_is_valid_promql(tmp_path: Path, promtool: str) -> None:
    exprs = dashboard_exprs(grafana_dashboard())
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"heron:dashboard_panel_{i}", "expr": e} for i, e in enumerate(exprs)
    ]}]}  # fmt: skip
    path = tmp_path / "dashboard-exprs.yaml"
    path.write_text(yaml.safe_dump(rules))
    result = _promtool_rules(promtool, path)
    assert result.returncode == 0, result.stderr.decode() + result.stdout.decode()
    assert f"{len(exprs)} rules found".encode() in result.stdout


def test_seed_stack_rules_pass_promtool(promtool: str) -> None:
    result = _promtool_rules(promtool, shared_dir() / "seed-stack" / "prometheus-alerts.yaml")
    assert result.returncode == 0, result.stderr.decode()


def test_export_cli_writes_both_files(tmp_path: Path, promtool: str) -> None:
    runner = CliRunner()
    rules = tmp_path / "out" / "rules.yaml"
    result = runner.invoke(export, ["prometheus-rules", "-o", str(rules)])
    assert result.exit_code == 0, result.output
    assert _promtool_rules(promtool, rules).returncode == 0
    dash = tmp_path / "dash.json"
    result = runner.invoke(export, ["grafana-dashboard", "--output", str(dash)])
    assert result.exit_code == 0, result.output
    assert json.loads(dash.read_text())["uid"] == grafana_dashboard()["uid"]
    stdout = runner.invoke(export, ["grafana-dashboard"])
    assert json.loads(stdout.output) == grafana_dashboard()
