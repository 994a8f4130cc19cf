"""``heron serve``: settings from flags and env, JSON logs, uvicorn on the composed app."""

from __future__ import annotations

import sys
from pathlib import Path

import structlog
import uvicorn

from heron.config import Settings
from heron.errors import HeronError
from heron.logs import configure_logging

__all__ = ["run_server"]


def run_server(*, host: str, port: int, grpc_port: int, data_dir: Path) -> None:
    """Start heron in the foreground until SIGINT/SIGTERM."""
    from heron.app import create_app

    settings = Settings(host=host, port=port, grpc_port=grpc_port, data_dir=data_dir)
    configure_logging(settings.log_level, settings.log_format)
    log = structlog.get_logger("heron.server")
    try:
        app = create_app(settings)
    except HeronError as exc:
        log.error("startup_refused", error=str(exc))
        print(f"heron: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    base = f"http://{host}:{port}"
    log.info(
        "heron_listening",
        ui=f"{base}/",
        api=f"{base}/api/v1",
        openapi=f"{base}/api/openapi.json",
        otlp_http=f"{base}/v1/traces",
        otlp_grpc=f"{host}:{grpc_port}" if grpc_port else "disabled",
        metrics=f"{base}/metrics",
        data_dir=str(settings.data_dir.resolve()),
    )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run()
