"""The ``heron`` command: serve, migrate, keys, export and the other subcommands."""

from __future__ import annotations

from pathlib import Path

import click

from heron import __version__

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="heron")
def cli() -> None:
    """heron: self-hostable LLM observability (traces, metrics, logs, evals, alerts).

    Every option also reads a HERON_* environment variable (shown in each command's
    help); see docs/configuration.md for the full list.
    """


@cli.command()
@click.option(
    "--host",
    envvar="HERON_HOST",
    default="127.0.0.1",
    show_default=True,
    show_envvar=True,
    help="Address to bind (UI, REST API, OTLP/HTTP). Non-loopback addresses require API keys.",
)
@click.option(
    "--port",
    envvar="HERON_PORT",
    default=7070,
    show_default=True,
    type=int,
    show_envvar=True,
    help="HTTP port for the UI, REST API and OTLP/HTTP.",
)
@click.option(
    "--grpc-port",
    envvar="HERON_GRPC_PORT",
    default=4317,
    show_default=True,
    type=int,
    show_envvar=True,
    help="OTLP/gRPC port; 0 disables gRPC.",
)
@click.option(
    "--data-dir",
    envvar="HERON_DATA_DIR",
    default=".heron",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    show_envvar=True,
    help="Directory for the WAL and the embedded stores.",
)
def serve(host: str, port: int, grpc_port: int, data_dir: Path) -> None:
    """Run the heron server: OTLP receivers, REST API, UI and background workers."""
    from heron.server import run_server

    run_server(host=host, port=port, grpc_port=grpc_port, data_dir=data_dir)


@cli.command()
@click.option(
    "--data-dir",
    envvar="HERON_DATA_DIR",
    default=".heron",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    show_envvar=True,
)
def migrate(data_dir: Path) -> None:
    """Apply pending telemetry and metadata migrations, then exit."""
    from heron.config import Settings
    from heron.store import open_meta_store, open_telemetry_store

    settings = Settings(data_dir=data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = open_telemetry_store(settings.resolved_store_url)
    store.migrate()
    store.close()
    meta = open_meta_store(settings.resolved_meta_url)
    meta.migrate()
    meta.close()
    click.echo(f"migrations applied in {settings.data_dir}")


def _register_optional_groups() -> None:
    """Subcommand groups that live beside their feature."""
    from heron.cli.demo import demo
    from heron.cli.eval import eval_group
    from heron.cli.export import export as export_group
    from heron.cli.keys import keys_group
    from heron.cli.report import report
    from heron.cli.users import users_group
    from heron.cli.worker import worker

    cli.add_command(keys_group, "keys")
    cli.add_command(export_group, "export")
    cli.add_command(demo, "demo")
    cli.add_command(eval_group, "eval")
    cli.add_command(report, "report")
    cli.add_command(users_group, "users")
    cli.add_command(worker, "worker")


def main() -> None:
    """Console-script entry point."""
    _register_optional_groups()
    cli()


if __name__ == "__main__":
    main()
