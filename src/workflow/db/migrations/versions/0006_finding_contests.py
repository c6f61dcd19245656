"""finding_contests: a submitter contests an error of the checker; the reviewer accepts or rejects it

Revision ID: 0006_finding_contests
Revises: 0005_login_throttles
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_finding_contests"
down_revision = "0005_login_throttles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "finding_contests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("finding_key", sa.String(length=200), nullable=False),
        sa.Column("rule_id", sa.String(length=20), nullable=False),
        sa.Column("finding", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_finding_contests_by_id_users")),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_finding_contests_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_finding_contests_report_id_reports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_contests")),
        sa.UniqueConstraint(
            "report_id", "finding_key", name=op.f("uq_finding_contests_report_id_finding_key")
        ),
    )
    with op.batch_alter_table("finding_contests", schema=None) as batch_op:
        for column in ("report_id", "rule_id", "status", "by_id", "decided_by_id"):
            batch_op.create_index(batch_op.f(f"ix_finding_contests_{column}"), [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("finding_contests", schema=None) as batch_op:
        for column in ("report_id", "rule_id", "status", "by_id", "decided_by_id"):
            batch_op.drop_index(batch_op.f(f"ix_finding_contests_{column}"))
    op.drop_table("finding_contests")
