"""Turning a metadata URL into a configured SQLAlchemy engine (SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import ConnectionPoolEntry

from heron.errors import ConfigError

__all__ = ["create_meta_engine", "sqlite_file"]

_EXAMPLES = "sqlite:///path/meta.db (embedded) or postgresql+psycopg://user@host/db (at scale)"


def create_meta_engine(url: str) -> Engine:
    """An engine for ``url``; plain ``postgresql://`` means the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        # The URL may hold a password, so only its scheme is repeated.
        raise ConfigError(
            f"metadata URL starting {url.split(':', 1)[0]!r}: is not a SQLAlchemy URL; "
            f"use {_EXAMPLES}"
        ) from exc
    backend = parsed.get_backend_name()
    shown = parsed.render_as_string(hide_password=True)
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(f"metadata URL {shown!r} uses {backend!r}; heron supports {_EXAMPLES}")
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    path = sqlite_file(parsed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # pre_ping: a PostgreSQL restart or failover must not fail the next request.
        engine = create_engine(parsed, pool_pre_ping=backend == "postgresql")
    except (ArgumentError, ImportError) as exc:
        raise ConfigError(
            f"cannot open metadata URL {shown!r}: {exc}; "
            "PostgreSQL needs: pip install 'heron[postgres]'"
        ) from exc
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL; ``None`` for in-memory or other engines."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(str(url.database)).resolve()


def _sqlite_pragmas(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    # WAL lets `heron keys` write while `heron serve` reads; busy_timeout makes a
    # concurrent writer wait instead of failing; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
