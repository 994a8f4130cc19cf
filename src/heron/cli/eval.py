"""``heron eval run``: score past spans with a rule or an evaluator on a running heron.

The run is started with ``POST /api/v1/evals/runs`` and executed by the
server's eval service; this command follows it with a progress bar and prints
the summary (count, pass / fail / unclear, mean score, judge cost).
"""

from __future__ import annotations

import json
import time
from typing import Any

import click
import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

__all__ = ["eval_group"]


@click.group()
def eval_group() -> None:
    """Offline evaluation of past spans."""


def _fail(response: httpx.Response) -> None:
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    raise click.ClickException(f"heron answered HTTP {response.status_code}: {detail}")


def summary_table(run: dict[str, Any]) -> Table:
    """The finished run's summary as a rich table."""
    summary = run.get("summary") or {}
    table = Table(title=f"eval run {run['id']} ({summary.get('evaluator', '?')})")
    for column in ("count", "pass", "fail", "unclear", "not applicable", "mean score", "cost USD"):
        table.add_column(column, justify="right")
    mean = summary.get("mean_score")
    cost = summary.get("cost_usd")
    table.add_row(
        str(summary.get("count", 0)),
        str(summary.get("pass", 0)),
        str(summary.get("fail", 0)),
        str(summary.get("unclear", 0)),
        str(summary.get("not_applicable", 0)),
        "-" if mean is None else f"{mean:.3f}",
        "-" if cost is None else f"{cost:.4f}",
    )
    return table


@eval_group.command("run")
@click.option("--rule", "rule_id", default=None, help="Score with this eval rule's evaluator.")
@click.option(
    "--evaluator", default=None, help="Or a built-in evaluator by name (pii, quality...)."
)
@click.option("--config", "config_json", default=None, help="The evaluator's config as JSON.")
@click.option("--from", "start", required=True, help="Range start: RFC 3339, unix s or now-24h.")
@click.option("--to", "end", default=None, help="Range end (default now).")
@click.option("--model", "models", multiple=True, help="Only spans of this model (repeatable).")
@click.option("--kind", "kinds", multiple=True, help="Span kinds (default llm; repeatable).")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, 100_000))
@click.option(
    "--url",
    envvar="HERON_URL",
    default="http://127.0.0.1:7070",
    show_default=True,
    show_envvar=True,
    help="Base URL of the heron server.",
)
@click.option(
    "--api-key", envvar="HERON_API_KEY", default=None, show_envvar=True, help="An admin key."
)
@click.option("--poll", default=0.5, show_default=True, help="Seconds between progress checks.")
@click.option("--timeout", default=3600.0, show_default=True, help="Give up after this many s.")
def run(
    rule_id: str | None,
    evaluator: str | None,
    config_json: str | None,
    start: str,
    end: str | None,
    models: tuple[str, ...],
    kinds: tuple[str, ...],
    limit: int,
    url: str,
    api_key: str | None,
    poll: float,
    timeout: float,
) -> None:
    """Score the spans of a time range and print a summary table."""
    if (rule_id is None) == (evaluator is None):
        raise click.UsageError("give exactly one of --rule or --evaluator")
    body: dict[str, Any] = {"start": start, "limit": limit}
    if end:
        body["end"] = end
    if rule_id:
        body["rule_id"] = rule_id
    else:
        body["evaluator"] = evaluator
        if config_json:
            try:
                body["config"] = json.loads(config_json)
            except json.JSONDecodeError as exc:
                raise click.BadParameter(f"not JSON: {exc}", param_hint="--config") from exc
    if models or kinds:
        body["filter"] = {"models": list(models), "kinds": list(kinds) or ["llm"]}
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    console = Console()
    with httpx.Client(base_url=url, headers=headers, timeout=60.0) as http:
        try:
            created = http.post("/api/v1/evals/runs", json=body)
        except httpx.HTTPError as exc:
            raise click.ClickException(f"cannot reach heron at {url}: {exc}") from exc
        if created.status_code >= 400:
            _fail(created)
        run_id = created.json()["id"]
        deadline = time.monotonic() + timeout
        columns = (TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("run", total=None)
            while True:
                answer = http.get(f"/api/v1/evals/runs/{run_id}")
                if answer.status_code >= 400:
                    _fail(answer)
                state = answer.json()
                progress.update(task, total=state["total"], completed=state["done"])
                if state["status"] in ("done", "error"):
                    break
                if time.monotonic() > deadline:
                    raise click.ClickException(
                        f"run {run_id} still {state['status']} after {timeout:g}s"
                    )
                time.sleep(poll)
    if state["status"] == "error":
        raise click.ClickException(f"run {run_id} failed: {state['error']}")
    console.print(summary_table(state))
