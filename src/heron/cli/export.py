"""``heron export ...``: print the Prometheus rules file and the Grafana dashboard."""

from __future__ import annotations

from pathlib import Path

import click

from heron.metrics.assets import grafana_dashboard_json, prometheus_rules_yaml

__all__ = ["export"]


def _write(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}", err=True)


@click.group()
def export() -> None:
    """Export assets for an existing Prometheus / Grafana stack."""


_OUTPUT = click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="File to write (default: standard output).",
)  # fmt: skip


@export.command("prometheus-rules")
@_OUTPUT
def prometheus_rules_cmd(output: Path | None) -> None:
    """Alert rules over heron's /metrics series (load with Prometheus' rule_files)."""
    _write(prometheus_rules_yaml(), output)


@export.command("grafana-dashboard")
@_OUTPUT
def grafana_dashboard_cmd(output: Path | None) -> None:
    """A Grafana dashboard JSON for file provisioning (uses a Prometheus datasource variable)."""
    _write(grafana_dashboard_json(), output)
