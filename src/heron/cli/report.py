"""``heron report``: a terminal report of a running heron, read over its REST API."""

from __future__ import annotations

import click
import httpx
from rich.console import Console

from heron.analytics.report import collect_report, render_json, render_markdown, render_tables
from heron.errors import HeronError
from heron.query import parse_duration

__all__ = ["report"]


@click.command()
@click.option("--since", default="24h", show_default=True, help="Window length: 1h, 24h, 7d...")
@click.option(
    "--url",
    envvar="HERON_URL",
    default="http://127.0.0.1:7070",
    show_default=True,
    show_envvar=True,
    help="Base URL of the heron server.",
)
@click.option(
    "--api-key",
    envvar="HERON_API_KEY",
    default=None,
    show_envvar=True,
    help="A read key of the project (not needed on a loopback server without keys).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown"]),
    default="table",
    show_default=True,
)
@click.option(
    "--limit", default=5, show_default=True, type=click.IntRange(1, 100), help="Rows per section."
)
@click.option(
    "--cost-by",
    default="tag",
    show_default=True,
    type=click.Choice(
        ["tag", "service_name", "workflow_name", "prompt_template_hash", "model", "user_id"]
    ),
    help="Feature to attribute cost to.",
)
@click.option("--timeout", default=60.0, show_default=True, help="Seconds per request.")
def report(
    since: str, url: str, api_key: str | None, fmt: str, limit: int, cost_by: str, timeout: float
) -> None:
    """Worst prompt templates, degraded users, top costs, context pressure and open alerts."""
    try:
        parse_duration(since)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        with httpx.Client(base_url=url, headers=headers, timeout=timeout) as http:
            data = collect_report(http, since, limit=limit, cost_by=cost_by)
    except HeronError as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "json":
        click.echo(render_json(data))
    elif fmt == "markdown":
        click.echo(render_markdown(data))
    else:
        render_tables(data, Console())
