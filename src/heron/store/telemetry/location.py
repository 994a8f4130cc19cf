"""Where the telemetry store lives: one URL parsed into a ``StoreLocation``.

Two forms, one code path behind them (``clickhouse-connect``):

- ``chdb:///abs/dir[?database=NAME]`` — chDB, ClickHouse's engine inside this
  process, on a local directory (the default; only one directory per process).
- ``http(s)://user:pass@host:port/DB[?cluster=NAME]`` — a ClickHouse server.
  With ``cluster=NAME`` every DDL runs ``ON CLUSTER`` and tables are
  ``Replicated*MergeTree`` with a ``Distributed`` table in front.

Identifiers (database, cluster) are checked against a strict pattern here,
because they end up in DDL text where parameters cannot be bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from heron.errors import ConfigError

__all__ = ["DEFAULT_DATABASE", "StoreLocation", "parse_store_url", "quote_identifier"]

DEFAULT_DATABASE = "heron"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_KNOWN_QUERY_KEYS = {"database", "cluster", "secure", "verify"}


def quote_identifier(name: str, what: str = "identifier") -> str:
    """``name`` back-quoted for SQL, after checking it is a plain identifier."""
    if not _IDENTIFIER.match(name):
        raise ConfigError(
            f"{what} {name!r} is not a valid ClickHouse identifier for heron: use letters, "
            "digits and '_' (not starting with a digit), at most 63 characters"
        )
    return f"`{name}`"


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """A parsed telemetry store URL (the password is never part of ``display``)."""

    kind: Literal["chdb", "http"]
    database: str
    path: str | None = None
    host: str | None = None
    port: int | None = None
    username: str | None = None
    password: str = ""
    secure: bool = False
    cluster: str | None = None

    @property
    def display(self) -> str:
        """The URL without credentials, safe for logs and error messages."""
        if self.kind == "chdb":
            return f"chdb://{self.path} (database {self.database})"
        scheme = "https" if self.secure else "http"
        suffix = f"?cluster={self.cluster}" if self.cluster else ""
        return f"{scheme}://{self.host}:{self.port}/{self.database}{suffix}"

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``clickhouse_connect.get_client``.

        The database is not passed: it may not exist before ``migrate`` creates
        it, and every statement names its tables fully qualified anyway.
        """
        if self.kind == "chdb":
            return {"dsn": f"chdb://{self.path}", "tz_mode": "aware"}
        return {
            "host": self.host,
            "port": self.port,
            "username": self.username or "default",
            "password": self.password,
            "secure": self.secure,
            "tz_mode": "aware",
            # One session per client would serialize the API's concurrent reads
            # ("session is locked"); heron uses no session state.
            "autogenerate_session_id": False,
        }


def parse_store_url(url: str, *, database: str | None = None) -> StoreLocation:
    """Parse ``HERON_STORE_URL``; ``database`` overrides the one in the URL.

    Raises ``ConfigError`` naming the bad part and the expected form.
    """
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = set(query) - _KNOWN_QUERY_KEYS
    if unknown:
        raise ConfigError(
            f"store URL {_redact(url)!r} has unknown option(s) {sorted(unknown)}; "
            f"known options are {sorted(_KNOWN_QUERY_KEYS)}"
        )
    if parts.scheme == "chdb":
        return _parse_chdb(url, parts.netloc, parts.path, query, database)
    if parts.scheme in ("http", "https", "clickhouse"):
        return _parse_http(url, parts, query, database)
    raise ConfigError(
        f"store URL {_redact(url)!r} has scheme {parts.scheme!r}; use chdb:///abs/dir for the "
        "embedded store or http(s)://user:pass@host:port/db[?cluster=NAME] for a ClickHouse server"
    )


def _parse_chdb(
    url: str, netloc: str, path: str, query: dict[str, str], database: str | None
) -> StoreLocation:
    if "cluster" in query:
        raise ConfigError(
            f"store URL {url!r} asks for a cluster, but chDB is a single embedded engine; "
            "drop ?cluster= or point HERON_STORE_URL at a ClickHouse server"
        )
    raw = unquote(netloc + path)
    if not raw or raw in (":memory:", "memory"):
        raise ConfigError(
            f"store URL {url!r} names no directory; use chdb:///absolute/path/to/telemetry "
            "(an in-memory engine would lose acknowledged spans on restart)"
        )
    resolved = str(Path(raw).expanduser().resolve())
    db = database or query.get("database") or DEFAULT_DATABASE
    quote_identifier(db, "database")
    return StoreLocation(kind="chdb", database=db, path=resolved)


def _parse_http(url: str, parts: Any, query: dict[str, str], database: str | None) -> StoreLocation:
    if not parts.hostname:
        raise ConfigError(
            f"store URL {_redact(url)!r} has no host; expected "
            "http(s)://user:pass@host:port/db[?cluster=NAME]"
        )
    secure = parts.scheme == "https" or query.get("secure", "").lower() in ("1", "true")
    try:
        port = parts.port or (8443 if secure else 8123)
    except ValueError as exc:
        raise ConfigError(f"store URL {_redact(url)!r} has an invalid port: {exc}") from exc
    db = database or query.get("database") or parts.path.strip("/") or DEFAULT_DATABASE
    quote_identifier(db, "database")
    cluster = query.get("cluster") or None
    if cluster is not None:
        quote_identifier(cluster, "cluster name")
    return StoreLocation(
        kind="http",
        database=db,
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else "",
        secure=secure,
        cluster=cluster,
    )


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)
