"""Users who log in to the UI with a password.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``users`` (password stored as an scrypt hash with a per-user salt)."""
    op.create_table(
        "users",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("username", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name="fk_users_project_id_projects", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.CheckConstraint("role IN ('read', 'admin')", name="ck_users_role"),
    )
    op.create_index("ix_users_project_id", "users", ["project_id"])


def downgrade() -> None:
    """Drop ``users``."""
    op.drop_index("ix_users_project_id", table_name="users")
    op.drop_table("users")
