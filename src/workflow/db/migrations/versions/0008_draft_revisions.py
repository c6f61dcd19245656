"""draft_revisions: every save of a draft, restorable from the clerk's 历史版本 page

Revision ID: 0008_draft_revisions
Revises: 0007_comment_anchors
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_draft_revisions"
down_revision = "0007_comment_anchors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "draft_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("saved_by_id", sa.Integer(), nullable=True),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_draft_revisions_report_id_reports")
        ),
        sa.ForeignKeyConstraint(
            ["saved_by_id"], ["users.id"], name=op.f("fk_draft_revisions_saved_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft_revisions")),
        sa.UniqueConstraint("report_id", "revision", name=op.f("uq_draft_revisions_report_id_revision")),
    )
    with op.batch_alter_table("draft_revisions", schema=None) as batch_op:
        for column in ("report_id", "saved_by_id"):
            batch_op.create_index(batch_op.f(f"ix_draft_revisions_{column}"), [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("draft_revisions", schema=None) as batch_op:
        for column in ("report_id", "saved_by_id"):
            batch_op.drop_index(batch_op.f(f"ix_draft_revisions_{column}"))
    op.drop_table("draft_revisions")
