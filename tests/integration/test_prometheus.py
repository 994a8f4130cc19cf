"""A real Prometheus scrapes a real ``heron serve``: the team's own rules and dashboard work.

Prometheus (Debian's ``/usr/bin/prometheus``) scrapes ``/metrics`` every second
and evaluates a copy of ``seed-stack/prometheus-alerts.yaml`` with ``for:``
shortened. Traffic is OTLP with slow calls (> 10 s), > 5 % errors and
expensive calls, plus eval scores below 0.7 on the LLM spans; every seed alert
must become pending or firing and every dashboard query must return data.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from heron.metrics.assets import prometheus_rules_yaml
from heron.testing import shared_dir
from heron.testing.server import HeronServer, free_port, wait_for
from heron.testing.traffic import attr, make_request, trace_specs

pytestmark = [pytest.mark.integration, pytest.mark.prometheus]

SEED = shared_dir() / "seed-stack"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def _dashboard_queries() -> list[tuple[str, str]]:
    lines = (SEED / "dashboard-queries.promql").read_text().splitlines()
    return [tuple(line.split("\t", 1)) for line in lines if line and not line.startswith("#")]  # type: ignore[misc]


def _seed_rules_fast(path: Path) -> list[str]:
    """Copy the seed rules with every ``for:`` shortened to 1 s; return the alert names."""
    data = yaml.safe_load((SEED / "prometheus-alerts.yaml").read_text())
    names = []
    for group in data["groups"]:
        group["interval"] = "1s"
        for rule in group["rules"]:
            rule["for"] = "1s"
            names.append(rule["alert"])
    path.write_text(yaml.safe_dump(data))
    return names


class Prometheus:
    """A Prometheus on 127.0.0.1 with its TSDB in a temp directory."""

    def __init__(self, root: Path, target: str, rules: Path) -> None:
        self.port = free_port()
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(rules)],
            "scrape_configs": [{"job_name": "heron", "metrics_path": "/metrics",
                                "static_configs": [{"targets": [target]}]}],
        }  # fmt: skip
        self.config = root / "prometheus.yml"
        self.config.write_text(yaml.safe_dump(config))
        self.log = (root / "prometheus.log").open("wb")
        self.process = subprocess.Popen(
            [PROMETHEUS, f"--config.file={self.config}", f"--storage.tsdb.path={root / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"
        ready = wait_for(self._ready, bool, timeout=30)
        assert ready, "prometheus did not become ready"

    def _ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def query(self, expr: str) -> list[dict[str, Any]]:
        body = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10).json()
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def alerts(self) -> dict[str, str]:
        body = httpx.get(f"{self.url}/api/v1/alerts", timeout=10).json()
        return {a["labels"]["alertname"]: a["state"] for a in body["data"]["alerts"]}

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[HeronServer, Prometheus, list[str]]]:
    root = tmp_path_factory.mktemp("prom")
    heron = HeronServer(root / "data", env={"HERON_FLUSH_INTERVAL_S": "0.1",
                                            "HERON_WAL_SYNC": "false"})  # fmt: skip
    heron.start()
    rules = root / "seed-alerts.yaml"
    names = _seed_rules_fast(rules)
    prom = Prometheus(root, f"127.0.0.1:{heron.port}", rules)
    try:
        yield heron, prom, names
    finally:
        prom.stop()
        heron.stop()


def _batch(seed: int) -> tuple[bytes, list[tuple[str, str]]]:
    """Ten traces now: 3 failing, every LLM call 12 s long and priced at dollars."""
    start = time.time_ns() - 15_000_000_000
    specs = list(trace_specs(10, seed=seed, start_ns=start, spacing_ns=10_000_000))
    for i, spec in enumerate(specs):
        spec.error = i < 3
    request = make_request(specs, seed=seed)
    llm_spans = []
    for resource in request.resource_spans:
        for scope in resource.scope_spans:
            for span in scope.spans:
                if not span.name.startswith("chat "):
                    continue
                span.end_time_unix_nano = span.start_time_unix_nano + 12_000_000_000
                kept = [a for a in span.attributes if a.key != "gen_ai.usage.input_tokens"]
                del span.attributes[:]
                span.attributes.extend([*kept, attr("gen_ai.usage.input_tokens", 2_000_000)])
                llm_spans.append((span.trace_id.hex(), span.span_id.hex()))
    return request.SerializeToString(), llm_spans


def test_seed_alerts_fire_and_dashboard_queries_answer(
    stack: tuple[HeronServer, Prometheus, list[str]],
) -> None:
    heron, prom, names = stack
    scored: set[str] = set()
    deadline = time.monotonic() + 60
    states: dict[str, str] = {}
    seed = 1
    while time.monotonic() < deadline:
        body, llm_spans = _batch(seed)
        seed += 1
        sent = httpx.post(f"{heron.url}/v1/traces", content=body, timeout=10,
                          headers={"Content-Type": "application/x-protobuf"})  # fmt: skip
        assert sent.status_code == 200, sent.text
        # Scores name the LLM span, so /metrics labels them with the span's model.
        time.sleep(0.5)
        scores = [{"trace_id": t, "span_id": s, "name": "quality", "value": 0.3}
                  for t, s in llm_spans if s not in scored]  # fmt: skip
        posted = httpx.post(f"{heron.url}/api/v1/scores", json=scores, timeout=10)
        assert posted.status_code == 201, posted.text
        scored.update(s for _, s in llm_spans)
        states = prom.alerts()
        if all(states.get(name) in ("pending", "firing") for name in names):
            break
        time.sleep(1.0)
    assert sorted(names) == ["LLMCostSpike", "LLMHighErrorRate", "LLMHighLatency", "LLMQualityDrop"]
    inactive = [name for name in names if states.get(name) not in ("pending", "firing")]
    assert not inactive, f"seed alerts never became active: {inactive}; all: {states}"

    models = {r["metric"].get("model") for r in prom.query("llm_eval_score")}
    assert models
    assert not models & {"unknown", "other", None}
    for title, expr in _dashboard_queries():
        result = wait_for(lambda expr=expr: prom.query(expr), bool, timeout=15)
        assert result, f"dashboard panel {title!r} returned no data: {expr}"
        assert all(float(r["value"][1]) >= 0 for r in result)


def test_promtool_accepts_the_rules_and_a_live_scrape(
    stack: tuple[HeronServer, Prometheus, list[str]], tmp_path: Path
) -> None:
    heron, _, _ = stack
    exported = tmp_path / "heron-rules.yaml"
    exported.write_text(prometheus_rules_yaml())
    for path in (SEED / "prometheus-alerts.yaml", exported):
        done = subprocess.run(
            [PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
    scrape = httpx.get(f"{heron.url}/metrics", timeout=10)
    assert scrape.status_code == 200
    done = subprocess.run(
        [PROMTOOL, "check", "metrics"], input=scrape.text, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
