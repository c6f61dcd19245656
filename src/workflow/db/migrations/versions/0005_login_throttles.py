"""login_throttles: growing delays per address and per account

Revision ID: 0005_login_throttles
Revises: 0004_auth_sessions

Replaces the per-user lock (users.failed_logins / locked_until, no longer read or written; the columns
stay so that a downgrade needs no data back).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_login_throttles"
down_revision = "0004_auth_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(240), nullable=False),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("username", sa.String(80), nullable=True),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_allowed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_login_throttles"),
    )
    op.create_index("ix_login_throttles_last_failure_at", "login_throttles", ["last_failure_at"])


def downgrade() -> None:
    op.drop_index("ix_login_throttles_last_failure_at", table_name="login_throttles")
    op.drop_table("login_throttles")
