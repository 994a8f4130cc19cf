"""Alert rules with their state, default-rule markers, the event history and the outbox.

Revision ID: 0003_alerts
Revises: 0002
Create Date: 2025-01-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_alerts"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None


def _project_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["project_id"], ["projects.id"], name=f"fk_{table}_project_id_projects", ondelete="CASCADE"
    )


def upgrade() -> None:
    """Create ``alert_rules``, ``alert_projects``, ``alert_events`` and ``alert_outbox``."""
    op.create_table(
        "alert_rules",
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_eval_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("project_id", "id", name="pk_alert_rules"),
        _project_fk("alert_rules"),
    )
    op.create_table(
        "alert_projects",
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("defaults_created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("project_id", name="pk_alert_projects"),
        _project_fk("alert_projects"),
    )
    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("rule_id", sa.String(200), nullable=False),
        sa.Column("state_to", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_events"),
        _project_fk("alert_events"),
    )
    op.create_index("ix_alert_events_project_id", "alert_events", ["project_id"])
    op.create_table(
        "alert_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("dedup_key", sa.String(400), nullable=False),
        sa.Column("notifier", sa.String(100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alert_outbox"),
        _project_fk("alert_outbox"),
        sa.UniqueConstraint("dedup_key", "notifier", name="uq_alert_outbox_dedup_key"),
    )
    op.create_index("ix_alert_outbox_status", "alert_outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    """Drop the alert tables."""
    op.drop_index("ix_alert_outbox_status", table_name="alert_outbox")
    op.drop_table("alert_outbox")
    op.drop_index("ix_alert_events_project_id", table_name="alert_events")
    op.drop_table("alert_events")
    op.drop_table("alert_projects")
    op.drop_table("alert_rules")
