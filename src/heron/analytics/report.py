"""The terminal report: worst templates, degraded users, top costs, context pressure, alerts.

``collect_report`` reads a running heron's REST API (any deployment, any
version that serves the analytics routes); ``render_*`` turn the collected
sections into rich tables, Markdown or JSON. Nothing here touches a store.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from heron.errors import HeronError

__all__ = ["collect_report", "render_json", "render_markdown", "render_tables"]

_WORST_BY = ("errors", "latency", "quality", "cost")


def _get(http: httpx.Client, path: str, params: dict[str, Any]) -> httpx.Response:
    try:
        resp = http.get(path, params=params)
    except httpx.HTTPError as exc:
        raise HeronError(
            f"cannot reach heron at {http.base_url}: {exc}; is `heron serve` running there "
            "(pass --url)?"
        ) from exc
    if resp.status_code in (401, 403):
        raise HeronError(
            f"heron at {http.base_url} refused the request ({resp.status_code}); "
            "pass a read key with --api-key or HERON_API_KEY"
        )
    return resp


def _json(resp: httpx.Response, what: str) -> Any:
    if resp.status_code != 200:
        raise HeronError(
            f"GET {resp.request.url} for {what} answered {resp.status_code}: {resp.text[:300]}"
        )
    return resp.json()


def collect_report(
    http: httpx.Client, since: str, *, limit: int = 5, cost_by: str = "tag"
) -> dict[str, Any]:
    """Every section of the report, as the API returned it (trimmed to ``limit`` rows)."""
    window = {"since": since}
    worst = {
        by: _json(
            _get(http, "/api/v1/prompts/worst", {**window, "by": by, "limit": limit}),
            f"worst templates by {by}",
        )["prompts"]
        for by in _WORST_BY
    }
    users = _json(_get(http, "/api/v1/users/degraded", {**window, "limit": limit}), "users")
    costs = _json(_get(http, "/api/v1/costs", {**window, "by": cost_by, "limit": limit}), "costs")
    pressure = _json(_get(http, "/api/v1/context-pressure", {**window, "limit": limit}), "context")
    alerts_resp = _get(http, "/api/v1/alerts/events", {"state": "firing"})
    alerts: dict[str, Any]
    if alerts_resp.status_code == 404:
        alerts = {"configured": False, "events": []}
    else:
        body = _json(alerts_resp, "alerts")
        events = body.get("events", body) if isinstance(body, dict) else body
        alerts = {"configured": True, "events": list(events)[: limit * 4]}
    return {
        "url": str(http.base_url),
        "since": since,
        "worst_templates": worst,
        "degraded_users": users,
        "costs": costs,
        "context_pressure": pressure,
        "alerts": alerts,
    }


def _num(value: Any, digits: int = 1, suffix: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{suffix}"
    return f"{value}{suffix}"


def _pct(value: Any) -> str:
    return "-" if value is None else f"{100 * float(value):.1f}%"


def _money(value: Any) -> str:
    return "-" if value is None else f"${float(value):,.4f}"


def _sections(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]], str]]:
    """(title, header, rows, note when empty) for every section."""
    sections = []
    for by, rows in report["worst_templates"].items():
        sections.append((
            f"Worst prompt templates by {by}",
            ["template", "calls", "error rate", "p95 ms", "$/call", "avg score", "example trace"],
            [[r["prompt_template_hash"], str(r["calls"]), _pct(r["error_rate"]),
              _num(r["latency_p95_ms"]), _money(r["cost_per_call_usd"]), _num(r["avg_score"], 2),
              r["example"]["trace_id"]] for r in rows],
            "no template has enough calls",
        ))  # fmt: skip
    user_rows = []
    for user in report["degraded_users"]["users"]:
        for e in user["evidence"]:
            user_rows.append([user["user_id"], e["metric"], str(e["n"]), _num(e["value"], 3),
                              _num(e["project_value"], 3), f"{e['p_adjusted']:.2g}"])  # fmt: skip
    sections.append((
        "Degraded users", ["user", "metric", "n", "value", "project", "p (Holm)"], user_rows,
        f"none among {report['degraded_users']['users_tested']} users with enough calls",
    ))  # fmt: skip
    costs = report["costs"]
    sections.append((
        f"Top cost by {costs['by']} (total {_money(costs['total']['cost_usd'])}, "
        f"projected {_money(costs['projected_monthly_usd'])}/month, "
        f"cache saved {_money(costs['cache_savings']['total_usd'])})",
        [costs["by"], "requests", "tokens in", "tokens out", "cost", "projected/month"],
        [[g["key"] or "(none)", str(g["requests"]), str(g["input_tokens"]), str(g["output_tokens"]),
          _money(g["cost_usd"]), _money(g["projected_monthly_usd"])] for g in costs["groups"]],
        "no priced calls",
    ))  # fmt: skip
    pressure = report["context_pressure"]
    sections.append((
        "Context-window pressure by model",
        ["model", "calls", "p50", "p95", "max", ">80%", ">95%", "finish=length"],
        [[r["key"], str(r["calls"]), _pct(r["p50"]), _pct(r["p95"]), _pct(r["max"]),
          str(r["over_80"]), str(r["over_95"]), str(r["finish_length"])]
         for r in pressure["by_model"]],
        "no calls with a known context window",
    ))  # fmt: skip
    alerts = report["alerts"]
    sections.append((
        "Open alerts",
        ["alert", "state", "since"],
        [[str(e.get("rule_name") or e.get("rule") or e.get("name") or "?"),
          str(e.get("state", "firing")), str(e.get("started_at") or e.get("at") or "")]
         for e in alerts["events"]],
        "no firing alerts" if alerts["configured"] else "alerting not configured",
    ))  # fmt: skip
    return sections


def render_tables(report: dict[str, Any], console: Console) -> None:
    """Print the report as rich tables."""
    console.print(f"[bold]heron report[/bold] {report['url']} — last {report['since']}")
    for title, header, rows, empty in _sections(report):
        if not rows:
            console.print(f"\n[bold]{title}[/bold]: {empty}")
            continue
        table = Table(title=title, title_justify="left")
        for index, column in enumerate(header):
            # The key column (template hash, user, model) must stay readable and searchable.
            table.add_column(column, no_wrap=index == 0, overflow="fold")
        for row in rows:
            table.add_row(*row)
        console.print(table)


def render_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown (for a PR comment or a wiki page)."""
    lines = [f"# heron report — last {report['since']}", "", f"Source: {report['url']}", ""]
    for title, header, rows, empty in _sections(report):
        lines += [f"## {title}", ""]
        if not rows:
            lines += [f"_{empty}_", ""]
            continue
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        for row in rows:
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        lines.append("")
    return "\n".join(lines)


def render_json(report: dict[str, Any]) -> str:
    """The collected sections as JSON."""
    return json.dumps(report, indent=2, sort_keys=True)
