"""Run a real ``heron serve`` in a subprocess (integration tests, benchmarks, demos)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

__all__ = [
    "HeronServer",
    "free_port",
    "get_trace",
    "send_traces",
    "wait_for",
    "wal_backlog_bytes",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class HeronServer:
    """A ``heron serve`` child process on loopback with its own data directory."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        grpc_port: int | None = None,
        env: dict[str, str] | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.grpc_port = grpc_port if grpc_port is not None else free_port()
        self.env = env or {}
        self.log_path = log_path or data_dir.parent / f"heron-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of the HTTP server."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> HeronServer:
        """Start and wait until ``/readyz`` answers 200."""
        env = {**os.environ, **self.env}

        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "heron.cli.main",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--grpc-port",
                str(self.grpc_port),
                "--data-dir",
                str(self.data_dir),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Poll ``/readyz``; raise with the server log's tail if it does not come up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"heron serve exited early:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"heron serve not ready after {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers run (the durability tests' crash)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM and wait; SIGKILL if it does not exit in time."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode

    def __enter__(self) -> HeronServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def wait_for(fetch: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 30.0) -> Any:
    """Poll ``fetch`` until ``done(result)``; return the last result (the test asserts it)."""
    deadline = time.monotonic() + timeout
    result = fetch()
    while not done(result) and time.monotonic() < deadline:
        time.sleep(0.1)
        result = fetch()
    return result


def get_trace(base_url: str, trace_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """The API's view of a trace, once it is queryable (empty dict if it never is)."""

    def fetch() -> dict[str, Any]:
        resp = httpx.get(f"{base_url}/api/v1/traces/{trace_id}", timeout=10)
        return resp.json() if resp.status_code == 200 else {}

    result: dict[str, Any] = wait_for(fetch, bool, timeout)
    return result


def send_traces(http: httpx.Client, base_url: str, body: bytes) -> int:
    """POST an OTLP/protobuf body until accepted, honouring 429's Retry-After.

    Returns how many 429 answers came first; any other error status raises.
    """
    retries = 0
    while True:
        resp = http.post(
            f"{base_url}/v1/traces",
            content=body,
            headers={"Content-Type": "application/x-protobuf"},
        )
        if resp.status_code == 200:
            return retries
        if resp.status_code != 429:
            raise RuntimeError(f"POST /v1/traces answered {resp.status_code}: {resp.text}")
        retries += 1
        time.sleep(float(resp.headers.get("Retry-After", "1")))


def wal_backlog_bytes(http: httpx.Client, base_url: str) -> float:
    """The server's WAL bytes not yet stored (``heron_wal_backlog_bytes`` on /metrics)."""
    for line in http.get(f"{base_url}/metrics").text.splitlines():
        if line.startswith("heron_wal_backlog_bytes "):
            return float(line.split()[1])
    raise RuntimeError("/metrics has no heron_wal_backlog_bytes")
