"""audit_events: the address and client of each event; append-only (PostgreSQL refuses UPDATE/DELETE)

Revision ID: 0003_audit_trail
Revises: 0002_reminder_delivery
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_audit_trail"
down_revision = "0002_reminder_delivery"
branch_labels = None
depends_on = None

# One statement-level trigger per operation: any UPDATE or DELETE on the table is refused, whoever
# sends it (the application never does; an operator with SQL access must not be able to either without
# dropping the trigger, which a dump shows).  TRUNCATE is not covered: it needs the table's owner.
_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
_TRIGGER = """
CREATE TRIGGER audit_events_append_only
BEFORE UPDATE OR DELETE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()
"""


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("address", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("client", sa.String(length=200), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION)
        op.execute(_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("client")
        batch.drop_column("address")
