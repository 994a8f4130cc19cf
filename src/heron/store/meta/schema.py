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
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

__all__ = [
    "NAMING_CONVENTION",
    "UtcDateTime",
    "alert_events",
    "alert_outbox",
    "alert_projects",
    "alert_rules",
    "api_keys",
    "eval_datasets",
    "eval_jobs",
    "eval_rules",
    "eval_runs",
    "metadata",
    "projects",
    "users",
]


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

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column(
        "project_id",
        String(36),
        ForeignKey("projects.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("username", String(200), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    CheckConstraint("role IN ('read', 'admin')", name="role"),
    Column("password_hash", String(300), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("disabled_at", UtcDateTime(), nullable=True),
)
"""UI users (migration 0002); functions over it live in ``users.py``."""

# -- alerts (migration 0003; functions over these live in ``alerts.py``) --------

alert_rules = Table(
    "alert_rules",
    metadata,
    Column(
        "project_id",
        String(36),
        ForeignKey("projects.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("id", String(200), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("definition", JSON, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("origin", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # A worker evaluates a rule only after claiming it by moving this forward.
    Column("next_eval_at", UtcDateTime(), nullable=False),
    Column("state", JSON, nullable=True),
)
"""Alert rules per project with their evaluation state (one row per rule)."""

alert_projects = Table(
    "alert_projects",
    metadata,
    Column(
        "project_id",
        String(36),
        ForeignKey("projects.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("defaults_created_at", UtcDateTime(), nullable=False),
)
"""Projects whose default rules were created (so a deleted default stays deleted)."""

alert_events = Table(
    "alert_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "project_id",
        String(36),
        ForeignKey("projects.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("rule_id", String(200), nullable=False),
    Column("state_to", String(16), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("body", JSON, nullable=False),
)
"""The history of alert state changes and notifications."""

alert_outbox = Table(
    "alert_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "project_id",
        String(36),
        ForeignKey("projects.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("dedup_key", String(400), nullable=False),
    Column("notifier", String(100), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("delivered_at", UtcDateTime(), nullable=True),
    UniqueConstraint("dedup_key", "notifier", name="uq_alert_outbox_dedup_key"),
    Index("ix_alert_outbox_status", "status", "next_attempt_at"),
)
"""Notifications waiting for (or done with) delivery; one row per notifier."""

# -- evals (migration 0004_evals; functions over these live in ``evals.py``) ----

eval_rules = Table(
    "eval_rules",
    metadata,
    Column("id", String(36), primary_key=True),
    Column(
        "project_id",
        String(36),
        ForeignKey("projects.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("name", String(200), nullable=False),
    Column("definition", JSON, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)
"""Online evaluation rules per project (the rule itself is ``definition``)."""

eval_jobs = Table(
    "eval_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "project_id",
        String(36),
        ForeignKey("projects.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("rule_id", String(36), nullable=False),
    Column("trace_id", String(32), nullable=False),
    Column("span_id", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    CheckConstraint("status IN ('pending', 'running', 'done', 'error')", name="status"),
    Column("attempts", Integer, nullable=False),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("score_id", String(64), nullable=True),
    Column("evaluator", String(200), nullable=True),
    Column("label", String(16), nullable=True),
    Column("value", Float, nullable=True),
    Column("cost_usd", Float, nullable=True),
    Column("judged", Boolean, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    # A replayed span never gets a second job for the same rule.
    UniqueConstraint("rule_id", "span_id", name="uq_eval_jobs_rule_id"),
    Index("ix_eval_jobs_status", "status", "due_at"),
    Index("ix_eval_jobs_project_id", "project_id", "finished_at"),
)
"""The durable eval job queue: one row per (rule, span), claimed by workers."""

eval_runs = Table(
    "eval_runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column(
        "project_id",
        String(36),
        ForeignKey("projects.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("kind", String(16), nullable=False),
    Column("spec", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("total", Integer, nullable=True),
    Column("done", Integer, nullable=False),
    Column("summary", JSON, nullable=True),
    Column("results", JSON, nullable=True),
    Column("error", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("started_at", UtcDateTime(), nullable=True),
    Column("finished_at", UtcDateTime(), nullable=True),
)
"""Offline eval runs and dataset experiments (``kind`` run|experiment): progress, summary and,
for experiments, the per-item results side by side."""

eval_datasets = Table(
    "eval_datasets",
    metadata,
    Column("id", String(36), primary_key=True),
    Column(
        "project_id",
        String(36),
        ForeignKey("projects.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("name", String(200), nullable=False),
    Column("items", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)
"""Datasets of {input, expected, metadata} items (kept whole: datasets are small)."""
