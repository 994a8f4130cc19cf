"""A throwaway PostgreSQL server for tests: ``with postgres_server() as pg: ... pg.url``.

It runs Debian's (or any) PostgreSQL binaries in a temporary directory,
listening on 127.0.0.1 only, on a free port, with ``trust`` authentication
restricted to loopback and to its private Unix socket directory. ``fsync`` is
off because the data is thrown away. As root, the server runs as the
``postgres`` OS user (PostgreSQL refuses to run as root).

Binaries are found through ``$HERON_PG_BIN`` (a ``bin`` directory), then
``pg_ctl`` on ``$PATH``, then the newest ``/usr/lib/postgresql/*/bin``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from heron.errors import ConfigError

__all__ = ["PostgresServer", "find_pg_bin", "postgres_server", "postgres_url"]

_SUPERUSER = "postgres"
_OS_USER = "postgres"
_START_TIMEOUT_S = 60


def find_pg_bin() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``; :class:`ConfigError` if none."""
    env = os.environ.get("HERON_PG_BIN")
    if env:
        return Path(env)
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit())

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version)
    if not candidates:
        raise ConfigError(
            "no PostgreSQL binaries found: install them with `make services` "
            "(Debian package postgresql) or point HERON_PG_BIN at a bin directory"
        )
    return Path(candidates[-1])


@dataclass(frozen=True)
class PostgresServer:
    """A running throwaway server; build databases on it with :meth:`create_database`."""

    host: str
    port: int
    user: str
    database: str

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the server's ``database`` (created at start)."""
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        """SQLAlchemy URL (psycopg 3 driver) of ``database`` on this server."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (a fresh name unless given) and return its URL."""
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"'.encode())
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop a database created by :meth:`create_database` (closing its sessions)."""
        import psycopg

        with psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _as_server_user() -> list[str]:
    # PostgreSQL refuses to run as root; drop to the postgres OS user then.
    if os.geteuid() == 0:
        return ["runuser", "-u", _OS_USER, "--"]
    return []


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(  # noqa: S603 - argv is built here from fixed binaries
        argv, capture_output=True, text=True, timeout=_START_TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        raise ConfigError(
            f"throwaway PostgreSQL: {what} failed (exit {done.returncode}): "
            f"{(done.stderr or done.stdout).strip()[-2000:]}"
        )


@contextlib.contextmanager
def postgres_server(database: str = "heron") -> Iterator[PostgresServer]:
    """Start a private PostgreSQL on 127.0.0.1, yield it, then stop it and delete its files."""
    bin_dir = find_pg_bin()
    base = Path(tempfile.mkdtemp(prefix="heron-pg-"))
    data = base / "data"
    log_file = base / "server.log"
    prefix = _as_server_user()
    if prefix:
        shutil.chown(base, user=_OS_USER, group=None)
    started = False
    try:
        _run(
            [
                *prefix,
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                _SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-instructions",
            ],
            "initdb",
        )
        # Trust only this machine: the private socket and loopback TCP.
        (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        port = _free_port()
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={base} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        _run(
            [
                *prefix,
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log_file),
                "-o",
                options,
                "-w",
                "-t",
                str(_START_TIMEOUT_S),
                "start",
            ],
            f"pg_ctl start (see {log_file})",
        )
        started = True
        server = PostgresServer("127.0.0.1", port, _SUPERUSER, database)
        server.create_database(database)
        yield server
    finally:
        if started:
            with contextlib.suppress(ConfigError, subprocess.TimeoutExpired):
                _run(
                    [
                        *prefix,
                        str(bin_dir / "pg_ctl"),
                        "-D",
                        str(data),
                        "-m",
                        "immediate",
                        "-w",
                        "stop",
                    ],
                    "pg_ctl stop",
                )
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def postgres_url(database: str = "heron") -> Iterator[str]:
    """Like :func:`postgres_server`, yielding just the SQLAlchemy URL."""
    with postgres_server(database) as server:
        yield server.url
