"""login_throttles: growing delays per address and per account

Revision ID: 0005_login_throttles
Revises: 0004_auth_sessions
"""

from __future__ import annotations

revision = "0005_login_throttles"
down_revision = "0004_auth_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the sign-in throttling work (issue #13, point 5)


def downgrade() -> None:
    pass
