"""Eval rules, the eval job queue, offline runs / experiments and datasets.

Revision ID: 0004_evals
Revises: 0003_alerts
Create Date: 2025-01-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_evals"
down_revision: str | None = "0003_alerts"
branch_labels = None
depends_on = None


def _project_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["project_id"], ["projects.id"], name=f"fk_{table}_project_id_projects", ondelete="CASCADE"
    )


def upgrade() -> None:
    """Create ``eval_rules``, ``eval_jobs``, ``eval_runs`` and ``eval_datasets``."""
    op.create_table(
        "eval_rules",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_eval_rules"),
        _project_fk("eval_rules"),
    )
    op.create_index("ix_eval_rules_project_id", "eval_rules", ["project_id"])
    op.create_table(
        "eval_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("rule_id", sa.String(36), nullable=False),
        sa.Column("trace_id", sa.String(32), nullable=False),
        sa.Column("span_id", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("score_id", sa.String(64), nullable=True),
        sa.Column("evaluator", sa.String(200), nullable=True),
        sa.Column("label", sa.String(16), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.Column("judged", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_eval_jobs"),
        _project_fk("eval_jobs"),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'done', 'error')", name="ck_eval_jobs_status"
        ),
        sa.UniqueConstraint("rule_id", "span_id", name="uq_eval_jobs_rule_id"),
    )
    op.create_index("ix_eval_jobs_status", "eval_jobs", ["status", "due_at"])
    op.create_index("ix_eval_jobs_project_id", "eval_jobs", ["project_id", "finished_at"])
    op.create_table(
        "eval_runs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("results", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_eval_runs"),
        _project_fk("eval_runs"),
    )
    op.create_index("ix_eval_runs_project_id", "eval_runs", ["project_id"])
    op.create_table(
        "eval_datasets",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_eval_datasets"),
        _project_fk("eval_datasets"),
    )
    op.create_index("ix_eval_datasets_project_id", "eval_datasets", ["project_id"])


def downgrade() -> None:
    """Drop the eval tables."""
    op.drop_index("ix_eval_datasets_project_id", table_name="eval_datasets")
    op.drop_table("eval_datasets")
    op.drop_index("ix_eval_runs_project_id", table_name="eval_runs")
    op.drop_table("eval_runs")
    op.drop_index("ix_eval_jobs_project_id", table_name="eval_jobs")
    op.drop_index("ix_eval_jobs_status", table_name="eval_jobs")
    op.drop_table("eval_jobs")
    op.drop_index("ix_eval_rules_project_id", table_name="eval_rules")
    op.drop_table("eval_rules")
