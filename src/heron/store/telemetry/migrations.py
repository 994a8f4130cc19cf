"""Numbered SQL migrations of the telemetry store, rendered for one location.

Files ``migrations/NNNN_name.sql`` are applied in order and recorded in
``<db>.schema_migrations`` (version, name, checksum). They are templates
(``string.Template``, so ClickHouse's own ``{shard}``/``{replica}`` macros pass
through untouched):

variable            embedded chDB / one server -> with ``?cluster=NAME``

- ``$db``           ```heron``` (the database, back-quoted) in both cases
- ``$db_name``      ``'heron'`` (as a string literal) in both cases
- ``$on_cluster``   empty -> ``ON CLUSTER `NAME```
- ``$local``        empty -> ``_local`` (storage tables; a ``Distributed``
                    table without the suffix is in front)
- ``$replicated``   empty -> ``Replicated``
- ``$replication``  empty -> ``'/clickhouse/tables/{shard}/{database}/{table}', '{replica}', ``
- ``$dedup_window`` ``non_replicated_deduplication_window`` ->
                    ``replicated_deduplication_window``
- ``$cluster_name`` ``''`` (unused) -> ``'NAME'``

A statement preceded by the line ``-- heron:cluster-only`` is kept only for a
cluster. Statements end with ``;`` at the end of a line.

A later ``ALTER`` migration must target ``$db.spans$local $on_cluster`` and
repeat the change on the Distributed table when it adds columns.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass
from importlib import resources

from heron.errors import StoreError
from heron.store.telemetry.location import StoreLocation, quote_identifier

__all__ = [
    "CLUSTER_ONLY_MARKER",
    "Migration",
    "create_database_sql",
    "load_migrations",
    "migrations_table_sql",
    "render",
    "template_vars",
]

CLUSTER_ONLY_MARKER = "-- heron:cluster-only"


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered SQL file."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """SHA-256 of the template text (detects an applied file edited afterwards)."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations() -> list[Migration]:
    """Every migration file shipped in this package, ordered by number."""
    found: list[Migration] = []
    folder = resources.files("heron.store.telemetry").joinpath("migrations")
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        number, _, rest = entry.name.partition("_")
        if not number.isdigit():
            raise StoreError(
                f"telemetry migration file {entry.name!r} does not start with a number; "
                "name it NNNN_description.sql"
            )
        found.append(Migration(int(number), rest.removesuffix(".sql"), entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise StoreError(f"two telemetry migration files share a number: {versions}")
    return found


def template_vars(location: StoreLocation) -> dict[str, str]:
    """The substitutions for ``location`` (see the module docstring)."""
    db = quote_identifier(location.database, "database")
    plain = {
        "db": db,
        "db_name": f"'{location.database}'",
        "on_cluster": "",
        "local": "",
        "replicated": "",
        "replication": "",
        "dedup_window": "non_replicated_deduplication_window",
        "cluster_name": "''",
    }
    if location.cluster is None:
        return plain
    return {
        **plain,
        "on_cluster": f"ON CLUSTER {quote_identifier(location.cluster, 'cluster name')}",
        "local": "_local",
        "replicated": "Replicated",
        "replication": "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}', ",
        "dedup_window": "replicated_deduplication_window",
        "cluster_name": f"'{location.cluster}'",
    }


def render(migration: Migration, location: StoreLocation) -> list[str]:
    """The statements of ``migration`` for ``location``, in order, without comments."""
    text = string.Template(migration.sql).substitute(template_vars(location))
    statements: list[str] = []
    current: list[str] = []
    cluster_only = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped == CLUSTER_ONLY_MARKER:
            cluster_only = True
            continue
        if stripped.startswith("--") and not current:
            continue
        if stripped:
            current.append(line.rstrip())
        if stripped.endswith(";"):
            statement = "\n".join(current).rstrip(";").strip()
            if not cluster_only or location.cluster is not None:
                statements.append(statement)
            current, cluster_only = [], False
    if any(line.strip() for line in current):
        raise StoreError(
            f"telemetry migration {migration.version:04d}_{migration.name}.sql has a statement "
            "without a final ';' at the end of a line; terminate every statement"
        )
    return statements


def create_database_sql(location: StoreLocation) -> str:
    """``CREATE DATABASE`` for the location (on every node of a cluster)."""
    on_cluster = template_vars(location)["on_cluster"]
    db = quote_identifier(location.database, "database")
    return " ".join(part for part in ("CREATE DATABASE IF NOT EXISTS", db, on_cluster) if part)


def migrations_table_sql(location: StoreLocation) -> str:
    """The table that records applied migrations.

    On a cluster it is replicated to every node under one ZooKeeper path (no
    ``{shard}``), so whichever node ``heron migrate`` talks to sees the record.
    """
    v = template_vars(location)
    engine = (
        "ReplicatedMergeTree('/clickhouse/tables/{database}/schema_migrations', '{replica}')"
        if location.cluster
        else "MergeTree"
    )
    on_cluster = f" {v['on_cluster']}" if v["on_cluster"] else ""
    return (
        f"CREATE TABLE IF NOT EXISTS {v['db']}.schema_migrations{on_cluster}\n"
        "(\n"
        "    version UInt32,\n"
        "    name String,\n"
        "    checksum String,\n"
        "    applied_at DateTime64(6, 'UTC') DEFAULT now64(6)\n"
        ")\n"
        f"ENGINE = {engine}\n"
        "ORDER BY version"
    )
