"""review_comments: anchored to a table cell (table, row, column) and resolved by a reviewer

Revision ID: 0007_comment_anchors
Revises: 0006_finding_contests
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_comment_anchors"
down_revision = "0006_finding_contests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_comments", schema=None) as batch:
        batch.add_column(sa.Column("table_id", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("row_key", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("column_key", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resolved_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_review_comments_resolved_by_id_users"), "users", ["resolved_by_id"], ["id"]
        )
        batch.create_index(batch.f("ix_review_comments_resolved_by_id"), ["resolved_by_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review_comments", schema=None) as batch:
        batch.drop_index(batch.f("ix_review_comments_resolved_by_id"))
        batch.drop_constraint(batch.f("fk_review_comments_resolved_by_id_users"), type_="foreignkey")
        batch.drop_column("resolved_by_id")
        batch.drop_column("resolved_at")
        batch.drop_column("column_key")
        batch.drop_column("row_key")
        batch.drop_column("table_id")
