"""audit_events: the address and client of each event; append-only (PostgreSQL refuses UPDATE/DELETE)

Revision ID: 0003_audit_trail
Revises: 0002_reminder_delivery
"""

from __future__ import annotations

revision = "0003_audit_trail"
down_revision = "0002_reminder_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the audit-trail work (issue #13, point 10)


def downgrade() -> None:
    pass
