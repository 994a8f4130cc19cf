"""The metadata tables as SQLAlchemy Core objects, for queries.

The DDL that creates them lives in the Alembic migrations
(``migrations/versions``); these objects only describe the current shape so
queries are built, typed and quoted by SQLAlchemy instead of by hand. When a
migration changes a table, change it here in the same commit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
)
from sqlalchemy.types import TypeDecorator

__all__ = ["NAMING_CONVENTION", "UtcDateTime", "api_keys", "metadata", "projects"]


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine.

    PostgreSQL keeps the zone (``timestamptz``); SQLite stores naive text, so
    values are converted to UTC before writing and tagged UTC after reading.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: heron stores UTC-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {value!r}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Named constraints, because SQLite can only drop or change a constraint by
# name in an Alembic batch migration; the migrations use the same names.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

projects = Table(
    "projects",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("retention_days", Integer, nullable=True),
    Column("capture_content", Boolean, nullable=False),
    Column("redaction", JSON, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(36), primary_key=True),
    Column(
        "project_id",
        String(36),
        ForeignKey("projects.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("role", String(16), nullable=False),
    CheckConstraint("role IN ('ingest', 'read', 'admin')", name="role"),
    Column("name", String(200), nullable=True),
    Column("prefix", String(32), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_used_at", UtcDateTime(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
)
