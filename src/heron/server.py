"""``heron serve``: settings from flags and env, JSON logs, uvicorn on the composed app."""

from __future__ import annotations

import sys
from pathlib import Path

import structlog
import uvicorn

from heron.config import Settings
from heron.errors import HeronError
from heron.logs import configure_logging

__all__ = ["SWITCH_INTERVAL_S", "run_server"]

SWITCH_INTERVAL_S = 0.001
"""How long a thread may hold the GIL while another waits (CPython's default: 5 ms).

The flusher normalizes spans in long pure-Python stretches; an API request needs
the GIL dozens of times, waiting up to one interval each. With 1 ms a trace lookup
during ingest went from 120 to 40 ms at p50 (300 to 121 ms p95) with no loss of
ingest throughput (``benchmarks/reads_during_ingest.py``, ``benchmarks/README.md``).
"""


def run_server(*, host: str, port: int, grpc_port: int, data_dir: Path) -> None:
    """Start heron in the foreground until SIGINT/SIGTERM."""
    from heron.app import create_app

    settings = Settings(host=host, port=port, grpc_port=grpc_port, data_dir=data_dir)
    configure_logging(settings.log_level, settings.log_format)
    # Process-wide, so set here for `heron serve` only, not in create_app (which
    # tests and embedding applications call in their own processes).
    sys.setswitchinterval(SWITCH_INTERVAL_S)
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
