"""``heron worker``: background services (alerts and evals) without the HTTP server.

Run any number of workers beside ``heron serve`` processes; they share the
ClickHouse server and the PostgreSQL metadata database, and claim each rule
evaluation and each notification there, so nothing runs twice.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import click
import structlog

from heron.config import Settings
from heron.errors import ConfigError, HeronError
from heron.logs import configure_logging
from heron.protocols import BackgroundService

__all__ = ["check_worker_settings", "run_worker", "worker"]


def check_worker_settings(settings: Settings) -> None:
    """Refuse settings a worker cannot run with (an embedded chDB store)."""
    if settings.store_url is None or settings.store_url.startswith("chdb:"):
        shown = settings.resolved_store_url
        raise ConfigError(
            f"heron worker needs a ClickHouse server store, but HERON_STORE_URL is {shown!r}: "
            "chDB (the embedded store) can be opened by only one process, which is "
            "`heron serve`. Set HERON_STORE_URL=https://user:pass@host:8443/heron and "
            "HERON_META_URL=postgresql://user@host/heron on the server and every worker, or "
            "run without workers (heron serve runs the alert service itself)."
        )


def run_worker(
    settings: Settings, *, until: Callable[[float], bool] | None = None
) -> list[BackgroundService]:
    """Start the background services and block until SIGINT/SIGTERM (or ``until`` says stop)."""
    from heron.alerts.service import build_alert_service
    from heron.evals.service import build_eval_service
    from heron.store import open_meta_store, open_telemetry_store

    check_worker_settings(settings)
    log = structlog.get_logger("heron.worker")
    store = open_telemetry_store(settings.resolved_store_url)
    store.migrate()
    meta = open_meta_store(settings.resolved_meta_url, data_dir=settings.data_dir)
    meta.migrate()
    if meta.dialect == "sqlite":
        log.warning(
            "worker_on_sqlite",
            hint="set HERON_META_URL to PostgreSQL to share work between machines",
        )
    # Eval jobs are enqueued by the serving processes' flushers; workers run them.
    services: list[BackgroundService] = [
        build_alert_service(settings, store, meta),
        build_eval_service(settings, store, meta.engine),
    ]
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if until is None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    wait = until or stop.wait
    for service in services:
        service.start()
    log.info("heron_worker_started", services=[s.name for s in services])
    try:
        while not wait(1.0):
            pass
    finally:
        for service in reversed(services):
            service.stop()
        store.close()
        meta.close()
        log.info("heron_worker_stopped")
    return services


@click.command("worker")
@click.option(
    "--data-dir",
    envvar="HERON_DATA_DIR",
    default=".heron",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    show_envvar=True,
    help="Directory for the server secret file when HERON_SECRET_KEY is unset.",
)
def worker(data_dir: Path) -> None:
    """Run alert evaluation, notification delivery and eval jobs without the HTTP server.

    Needs HERON_STORE_URL (a ClickHouse server) and HERON_META_URL (PostgreSQL)
    shared with the `heron serve` processes; all other HERON_* settings apply.
    """
    settings = Settings(data_dir=data_dir)
    configure_logging(settings.log_level, settings.log_format)
    try:
        run_worker(settings)
    except HeronError as exc:
        print(f"heron worker: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
