"""Files operators drop into their stack: a Prometheus rules file and a Grafana dashboard.

Both query only series that :class:`heron.metrics.LlmMetrics` and the health
collector expose, so they work as soon as Prometheus scrapes heron's
``/metrics``. ``heron export prometheus-rules`` and ``heron export
grafana-dashboard`` print them.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

__all__ = [
    "DASHBOARD_UID",
    "dashboard_exprs",
    "grafana_dashboard",
    "grafana_dashboard_json",
    "prometheus_rules",
    "prometheus_rules_yaml",
]

DASHBOARD_UID = "heron-llm-overview"
_SEL = 'project=~"$project",model=~"$model"'
_DS = {"type": "prometheus", "uid": "${datasource}"}


def _alert(
    name: str, expr: str, for_: str, severity: str, summary: str, description: str
) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": for_,
        "labels": {"severity": severity, "source": "heron"},
        "annotations": {"summary": summary, "description": description},
    }


def prometheus_rules(
    *,
    latency_p95_s: float = 10.0,
    ttft_p95_s: float = 5.0,
    error_rate: float = 0.05,
    cost_per_hour_usd: float = 50.0,
    eval_score: float = 0.7,
    wal_backlog_bytes: int = 256 * 1024 * 1024,
) -> dict[str, Any]:
    """The rule groups as a mapping (``groups: [...]``) ready to dump as YAML.

    The LLM group extends the standard hand-written rules (same conditions and
    ``for`` durations) by keeping ``project`` and ``model`` in the result, so
    each alert says which project and model it is about.
    """
    by = "by (le, model, project)"
    llm = [
        _alert(
            "LLMHighLatencyP95",
            f"histogram_quantile(0.95, sum {by} (rate(llm_request_duration_bucket[5m])))"
            f" > {latency_p95_s:g}",
            "2m",
            "warning",
            f"LLM p95 latency above {latency_p95_s:g}s for {{{{ $labels.model }}}}",
            "p95 of llm_request_duration over 5m is {{ $value | humanizeDuration }} "
            "in project {{ $labels.project }}.",
        ),
        _alert(
            "LLMHighTimeToFirstTokenP95",
            f"histogram_quantile(0.95, sum {by} (rate(llm_time_to_first_token_bucket[5m])))"
            f" > {ttft_p95_s:g}",
            "5m",
            "warning",
            f"LLM p95 time to first token above {ttft_p95_s:g}s for {{{{ $labels.model }}}}",
            "Streamed calls take {{ $value | humanizeDuration }} to their first token "
            "in project {{ $labels.project }}.",
        ),
        _alert(
            "LLMHighErrorRate",
            'sum by (project) (rate(llm_requests_total{status="error"}[5m]))'
            " / sum by (project) (rate(llm_requests_total[5m]))"
            f" > {error_rate:g}",
            "2m",
            "critical",
            f"LLM error rate above {error_rate:.0%} in project {{{{ $labels.project }}}}",
            "{{ $value | humanizePercentage }} of LLM calls failed over the last 5m.",
        ),
        _alert(
            "LLMCostSpike",
            f"sum by (project) (rate(llm_cost_usd_total[5m])) * 3600 > {cost_per_hour_usd:g}",
            "5m",
            "warning",
            f"LLM spending above ${cost_per_hour_usd:g}/hour in project {{{{ $labels.project }}}}",
            'Spending at ${{ $value | printf "%.2f" }}/hour — possible runaway calls.',
        ),
        _alert(
            "LLMEvalScoreLow",
            f"avg by (project, evaluator) (llm_eval_score) < {eval_score:g}",
            "10m",
            "warning",
            f"Average eval score below {eval_score:g} for {{{{ $labels.evaluator }}}}",
            '{{ $labels.evaluator }} averages {{ $value | printf "%.2f" }} '
            "in project {{ $labels.project }}.",
        ),
    ]
    health = [
        _alert(
            "HeronWalBacklogHigh",
            f"heron_wal_backlog_bytes > {wal_backlog_bytes}",
            "5m",
            "warning",
            "heron's write-ahead log is not draining",
            "{{ $value | humanize1024 }}B wait to be written to the store; "
            "ingest answers 429 once the WAL budget is reached. Check store health.",
        ),
        _alert(
            "HeronStoreErrors",
            "increase(heron_store_errors_total[5m]) > 0",
            "5m",
            "critical",
            "heron cannot write to or read from its telemetry store",
            "{{ $value }} store errors in 5m; see heron's logs and /readyz.",
        ),
        _alert(
            "HeronSpansRejected",
            "sum by (reason) (rate(heron_spans_rejected_total[5m])) > 0",
            "10m",
            "info",
            "heron is rejecting spans ({{ $labels.reason }})",
            "Clients send spans heron refuses; their exporter logs say why.",
        ),
        _alert(
            "HeronEvalQueueBacklog",
            "heron_eval_queue_depth > 1000",
            "15m",
            "warning",
            "heron's eval queue keeps growing",
            "{{ $value }} eval jobs wait; add `heron worker` processes or lower sampling.",
        ),
    ]
    return {
        "groups": [
            {"name": "heron-llm-alerts", "rules": llm},
            {"name": "heron-health", "rules": health},
        ]
    }


def prometheus_rules_yaml(**thresholds: Any) -> str:
    """:func:`prometheus_rules` as YAML text (what ``promtool check rules`` reads)."""
    header = "# Generated by `heron export prometheus-rules`; edit thresholds there or here.\n"
    return header + yaml.safe_dump(
        prometheus_rules(**thresholds), sort_keys=False, allow_unicode=True, width=200
    )


def _panel(
    pid: int, title: str, exprs: list[tuple[str, str]], *, kind: str = "timeseries",
    unit: str = "short", x: int, y: int, w: int = 12, h: int = 8, description: str = "",
) -> dict[str, Any]:  # fmt: skip
    return {
        "id": pid,
        "type": kind,
        "title": title,
        "description": description,
        "datasource": _DS,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True}},
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": _DS, "expr": expr, "legendFormat": legend}
            for i, (expr, legend) in enumerate(exprs)
        ],
    }


def _variable(name: str, label: str, query: str) -> dict[str, Any]:
    return {
        "type": "query",
        "name": name,
        "label": label,
        "datasource": _DS,
        "definition": query,
        "query": {"query": query, "refId": f"{name}-variable"},
        "refresh": 2,
        "includeAll": True,
        "multi": True,
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "sort": 1,
    }


def grafana_dashboard(
    *, title: str = "heron — LLM overview", uid: str = DASHBOARD_UID
) -> dict[str, Any]:
    """A provisionable Grafana dashboard (the JSON model, not the API wrapper)."""
    s = _SEL
    panels = [
        _panel(1, "Requests / minute", [
            (f"sum by (model) (rate(llm_requests_total{{{s}}}[5m])) * 60", "{{model}}"),
        ], unit="reqpm", x=0, y=0),
        _panel(2, "Error rate", [
            (f'sum(rate(llm_requests_total{{{s},status="error"}}[5m]))'
             f" / sum(rate(llm_requests_total{{{s}}}[5m]))", "error rate"),
        ], unit="percentunit", x=12, y=0),
        _panel(3, "p95 latency", [
            (f"histogram_quantile(0.95, sum by (le, model) "
             f"(rate(llm_request_duration_bucket{{{s}}}[5m])))", "{{model}}"),
        ], unit="s", x=0, y=8),
        _panel(4, "Time to first token p95", [
            (f"histogram_quantile(0.95, sum by (le, model) "
             f"(rate(llm_time_to_first_token_bucket{{{s}}}[5m])))", "{{model}}"),
        ], unit="s", x=12, y=8),
        _panel(5, "Tokens / second by model", [
            (f'sum by (model) (rate(llm_tokens_total{{{s},type="input"}}[5m]))', "{{model}} input"),
            (f'sum by (model) (rate(llm_tokens_total{{{s},type="output"}}[5m]))',
             "{{model}} output"),
        ], x=0, y=16),
        _panel(6, "Cost (24h)", [
            (f"sum(increase(llm_cost_usd_total{{{s}}}[24h]))", "USD"),
        ], kind="stat", unit="currencyUSD", x=12, y=16, w=6),
        _panel(7, "Cost per model (24h)", [
            (f"sum by (model) (increase(llm_cost_usd_total{{{s}}}[24h]))", "{{model}}"),
        ], kind="bargauge", unit="currencyUSD", x=18, y=16, w=6),
        _panel(8, "Eval score by evaluator", [
            (f"avg by (evaluator) (llm_eval_score{{{s}}})", "{{evaluator}}"),
        ], unit="percentunit", x=0, y=24),
        _panel(9, "heron ingest (spans / s)", [
            ("sum(rate(heron_spans_accepted_total[5m]))", "accepted"),
            ("sum by (reason) (rate(heron_spans_rejected_total[5m]))", "rejected {{reason}}"),
        ], x=12, y=24, description="heron's own health: spans accepted and refused."),
        _panel(10, "heron WAL backlog", [
            ("max(heron_wal_backlog_bytes)", "backlog"),
        ], unit="bytes", x=0, y=32,
           description="Bytes waiting in the WAL; near the budget, ingest answers 429."),
    ]  # fmt: skip
    return {
        "uid": uid,
        "title": title,
        "description": "LLM calls seen by heron: traffic, latency, tokens, cost and quality.",
        "tags": ["heron", "llm"],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "annotations": {"list": []},
        "links": [],
        "templating": {
            "list": [
                {
                    "type": "datasource",
                    "name": "datasource",
                    "label": "Data source",
                    "query": "prometheus",
                    "current": {},
                    "hide": 0,
                    "refresh": 1,
                },
                _variable("project", "Project", "label_values(llm_requests_total, project)"),
                _variable(
                    "model", "Model", 'label_values(llm_requests_total{project=~"$project"}, model)'
                ),
            ]
        },
        "panels": panels,
    }


def grafana_dashboard_json(**kwargs: Any) -> str:
    """:func:`grafana_dashboard` as indented JSON text."""
    return json.dumps(grafana_dashboard(**kwargs), indent=2, ensure_ascii=False) + "\n"


def dashboard_exprs(dashboard: dict[str, Any]) -> list[str]:
    """Every PromQL expression of a dashboard's panels (for validation)."""
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
