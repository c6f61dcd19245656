"""reminders_sent: next_attempt_at (lease and backoff) and payload (what the reminder says)

Revision ID: 0002_reminder_delivery
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_reminder_delivery"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reminders_sent") as batch:
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("payload", sa.JSON(), nullable=False, server_default="{}"))
        batch.create_index("ix_reminders_sent_next_attempt_at", ["next_attempt_at"])


def downgrade() -> None:
    with op.batch_alter_table("reminders_sent") as batch:
        batch.drop_index("ix_reminders_sent_next_attempt_at")
        batch.drop_column("payload")
        batch.drop_column("next_attempt_at")
